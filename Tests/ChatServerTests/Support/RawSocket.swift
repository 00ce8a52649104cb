import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to 127.0.0.1 for tests that need the exact bytes on the wire
/// (partial requests, slow senders, unmasked WebSocket frames). Blocking POSIX calls run on
/// a dedicated thread each, never on the concurrency pool the in-process server uses.
final class RawSocket: @unchecked Sendable {
    // @unchecked: `descriptor` is set once in init; each call is awaited before the next.
    private let descriptor: Int32

    /// Connects; every read waits at most `readTimeout`.
    init(port: Int, readTimeout: Duration = .seconds(10)) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure.unexpected("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw TestFailure.unexpected("connect() failed: \(errno)")
        }
        var noSignal: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_KEEPALIVE, &noSignal, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: Int(readTimeout.components.seconds), tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.start()
        }
    }

    /// Sends every byte (a closed connection is reported as an error).
    func send(_ bytes: [UInt8]) async throws {
        let descriptor = descriptor
        try await Self.onThread {
            var offset = 0
            while offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard sent > 0 else { throw TestFailure.unexpected("send() failed: \(errno)") }
                offset += sent
            }
        }
    }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    /// Reads until the peer closes (or resets) the connection or `limit` bytes arrived;
    /// `nil` when the read timed out with the connection still open.
    func readToEnd(limit: Int = 1 << 20) async throws -> (bytes: [UInt8], closed: Bool) {
        let descriptor = descriptor
        return try await Self.onThread {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while bytes.count < limit {
                let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count > 0 {
                    bytes.append(contentsOf: chunk[0..<count])
                } else if count == 0 || errno == ECONNRESET {
                    return (bytes, true)
                } else {
                    return (bytes, false)  // timed out
                }
            }
            return (bytes, false)
        }
    }

    /// Reads one HTTP response: its head, then as many body bytes as `Content-Length` says
    /// (or until the connection closes or the read times out).
    func readResponse() async throws -> RawHTTPResponse? {
        let descriptor = descriptor
        let bytes = try await Self.onThread { () -> [UInt8] in
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                if let response = RawHTTPResponse(bytes) {
                    let length = response.headers["content-length"].flatMap(Int.init) ?? 0
                    if response.body.count >= length { return bytes }
                }
                let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { return bytes }
                bytes.append(contentsOf: chunk[0..<count])
            }
        }
        return RawHTTPResponse(bytes)
    }

    /// Reads until `bytes` contains `marker` (or the connection closes or the read times out).
    func read(until marker: [UInt8]) async throws -> [UInt8] {
        let descriptor = descriptor
        return try await Self.onThread {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while !bytes.containsSequence(marker) {
                let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { break }
                bytes.append(contentsOf: chunk[0..<count])
            }
            return bytes
        }
    }
}

extension Array where Element == UInt8 {
    func containsSequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return needle.isEmpty }
        for start in 0...(count - needle.count) where self[start..<(start + needle.count)].elementsEqual(needle) { return true }
        return false
    }
}

/// An HTTP/1.1 response read off the wire.
struct RawHTTPResponse: CustomStringConvertible {
    let status: Int
    let headers: [String: String]
    let body: [UInt8]

    /// Parses the first response in `bytes`; `nil` when there is none.
    init?(_ bytes: [UInt8]) {
        let separator = Array("\r\n\r\n".utf8)
        guard let end = (0...(Swift.max(0, bytes.count - 4))).first(where: { bytes.count >= $0 + 4 && Array(bytes[$0..<($0 + 4)]) == separator })
        else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = head[0].split(separator: " ")
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else { return nil }
        self.status = status
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        self.headers = headers
        var body = Array(bytes[(end + 4)...])
        if let length = headers["content-length"].flatMap(Int.init), body.count > length { body = Array(body[0..<length]) }
        self.body = body
    }

    /// `error.code` of a JSON error body.
    var errorCode: String? {
        let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        return (json?["error"] as? [String: Any])?["code"] as? String
    }
    var hasErrorMessage: Bool {
        let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        return ((json?["error"] as? [String: Any])?["message"] as? String)?.isEmpty == false
    }

    var description: String { "\(status) \(headers) \(String(decoding: body.prefix(300), as: UTF8.self))" }
}
