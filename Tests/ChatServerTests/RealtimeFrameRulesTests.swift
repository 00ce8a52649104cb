import ChatServerApp
import Foundation
import Testing

/// WebSocket frame rules on the wire (issue 13 B.7): raw frames after a real upgrade.
@Suite("Realtime frame rules on the wire", .timeLimit(.minutes(2)))
struct RealtimeFrameRulesTests {
    /// A frame the server sent.
    struct Frame {
        let opcode: UInt8
        let payload: [UInt8]
        var closeCode: Int? { opcode == 8 && payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil }
        var text: String { String(decoding: payload, as: UTF8.self) }
    }

    /// A client frame: masked unless `mask` is nil; `length` overrides the announced length.
    static func frame(opcode: UInt8, fin: Bool = true, payload: [UInt8] = [], mask: [UInt8]? = [1, 2, 3, 4], length: Int? = nil) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let announced = length ?? payload.count
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        if announced < 126 {
            bytes.append(maskBit | UInt8(announced))
        } else if announced <= 0xFFFF {
            bytes.append(maskBit | 126)
            bytes += [UInt8(announced >> 8), UInt8(announced & 0xFF)]
        } else {
            bytes.append(maskBit | 127)
            bytes += (0..<8).reversed().map { UInt8((announced >> ($0 * 8)) & 0xFF) }
        }
        if let mask {
            bytes += mask
            bytes += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        } else {
            bytes += payload
        }
        return bytes
    }

    /// The server's frames in `bytes` (server frames are never masked).
    static func frames(in bytes: [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var index = 0
        while index + 2 <= bytes.count {
            let opcode = bytes[index] & 0x0F
            var length = Int(bytes[index + 1] & 0x7F)
            index += 2
            if length == 126 {
                guard index + 2 <= bytes.count else { break }
                length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                index += 2
            } else if length == 127 {
                guard index + 8 <= bytes.count else { break }
                length = bytes[index..<(index + 8)].reduce(0) { $0 << 8 | Int($1) }
                index += 8
            }
            guard index + length <= bytes.count else { break }
            frames.append(Frame(opcode: opcode, payload: Array(bytes[index..<(index + length)])))
            index += length
        }
        return frames
    }

    /// Upgrades a raw connection; returns it after the 101.
    static func upgraded(_ server: TestServer) async throws -> RawSocket {
        let socket = try RawSocket(port: server.port, readTimeout: .seconds(8))
        try await socket.send(HTTPConformanceTests.upgrade())
        let head = try await socket.read(until: Array("\r\n\r\n".utf8))
        try #require(String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 101"), "no 101: \(String(decoding: head, as: UTF8.self))")
        return socket
    }

    static func configure(_ configuration: inout ChatServerConfiguration) {
        configuration.limits.maxFrameBytes = 4096
    }

    @Test("an unmasked client frame closes the connection with 1002")
    func unmaskedFrame() async throws {
        try await TestServer.with(configure: Self.configure) { server in
            let socket = try await Self.upgraded(server)
            try await socket.send(Self.frame(opcode: 1, payload: Array(#"{"type":"ping","id":"p1"}"#.utf8), mask: nil))
            let (bytes, closed) = try await socket.readToEnd()
            let frames = Self.frames(in: bytes)
            #expect(frames.last?.closeCode == 1002, "frames: \(frames.map { ($0.opcode, $0.text) })")
            #expect(closed)
        }
    }

    @Test("a frame announcing more than maxFrameBytes gets the frame_too_big error frame, then close 1009")
    func oversizedFrame() async throws {
        try await TestServer.with(configure: Self.configure) { server in
            let socket = try await Self.upgraded(server)
            // The header alone announces 5,000 bytes; none of the payload is sent.
            try await socket.send(Self.frame(opcode: 1, length: 5_000))
            let (bytes, closed) = try await socket.readToEnd()
            let frames = Self.frames(in: bytes)
            let error = frames.first { $0.opcode == 1 }
            #expect(error?.text.contains(#""code":"frame_too_big""#) == true, "frames: \(frames.map { ($0.opcode, $0.text) })")
            #expect(error?.text.contains(#""type":"error""#) == true)
            #expect(frames.last?.closeCode == 1009)
            #expect(closed)
        }
    }

    @Test("a fragmented message passing maxFrameBytes gets frame_too_big, then close 1009")
    func oversizedFragmentedMessage() async throws {
        try await TestServer.with(configure: Self.configure) { server in
            let socket = try await Self.upgraded(server)
            var bytes = Self.frame(opcode: 1, fin: false, payload: Array(repeating: UInt8(ascii: " "), count: 3_000))
            bytes += Self.frame(opcode: 0, fin: false, payload: Array(repeating: UInt8(ascii: " "), count: 3_000))
            try await socket.send(bytes)
            let (answer, closed) = try await socket.readToEnd()
            let frames = Self.frames(in: answer)
            #expect(frames.first { $0.opcode == 1 }?.text.contains("frame_too_big") == true, "frames: \(frames.map { ($0.opcode, $0.text) })")
            #expect(frames.last?.closeCode == 1009)
            #expect(closed)
        }
    }

    @Test("a message spanning more than 128 frames gets frame_too_big and close 1009 at once (not after a million frames)")
    func tooManyFragments() async throws {
        try await TestServer.with(configure: Self.configure) { server in
            let socket = try await Self.upgraded(server)
            var bytes = Self.frame(opcode: 1, fin: false, payload: Array("{".utf8))
            for _ in 0..<200 { bytes += Self.frame(opcode: 0, fin: false) }
            let started = ContinuousClock.now
            try await socket.send(bytes)
            let (answer, closed) = try await socket.readToEnd()
            let frames = Self.frames(in: answer)
            #expect(frames.first { $0.opcode == 1 }?.text.contains("frame_too_big") == true, "frames: \(frames.map { ($0.opcode, $0.text) })")
            #expect(frames.last?.closeCode == 1009)
            #expect(closed)
            #expect(started.duration(to: .now) < .seconds(5))
        }
    }

    @Test("a masked message within the limits, split into frames, still reaches the gateway")
    func fragmentedPingAnswered() async throws {
        try await TestServer.with(configure: Self.configure) { server in
            let socket = try await Self.upgraded(server)
            let text = Array(#"{"type":"ping","id":"p1"}"#.utf8)
            var bytes = Self.frame(opcode: 1, fin: false, payload: Array(text[0..<5]))
            for index in 5..<(text.count - 1) { bytes += Self.frame(opcode: 0, fin: false, payload: [text[index]]) }
            bytes += Self.frame(opcode: 0, fin: true, payload: [text[text.count - 1]])
            try await socket.send(bytes)
            let answer = try await socket.read(until: Array(#""type":"pong""#.utf8))
            #expect(String(decoding: answer, as: UTF8.self).contains(#""type":"pong""#), "\(String(decoding: answer, as: UTF8.self))")
        }
    }
}
