import Foundation
import Logging
import MessagingTransport
import MessagingWebSocket
import Synchronization
import Testing

/// A realtime client for the end-to-end tests: a real WebSocket to a `TestServer`, with a
/// reader task that keeps every frame, so tests wait for frames by predicate (with a time
/// bound) instead of racing reads.
final class Peer: Sendable {
    let connection: WebSocketConnection
    /// Acknowledge every event as it arrives (what a well-behaved client does).
    let autoAck: Bool
    private let frames = Mutex<[String]>([])
    private let nextID = Mutex(0)

    init(_ connection: WebSocketConnection, autoAck: Bool = false) {
        self.connection = connection
        self.autoAck = autoAck
    }

    /// Reads until the connection closes.
    func pump() async {
        while let frame = try? await connection.receive() {
            let text = frame.string ?? "<\(frame.bytes.count) non-UTF-8 bytes>"
            frames.withLock { $0.append(text) }
            if autoAck, text.contains(#""type":"event""#) {
                let json = Self.parse(text)
                if let event = json["event"] as? [String: Any], let conversation = event["conversation"] as? String,
                    let seq = (event["seq"] as? NSNumber)?.int64Value
                {
                    try? await write(["type": "ack", "conversation": conversation, "seq": seq])
                }
            }
        }
    }

    /// The `seq`s a client following the protocol keeps: each event whose `seq` is above
    /// the last one kept (redeliveries and replays overlapping live events are dropped).
    func keptSeqs(in conversation: String) -> [Int64] {
        var last: Int64 = 0
        return seqs(in: conversation).filter { seq in
            guard seq > last else { return false }
            last = seq
            return true
        }
    }

    var count: Int { frames.withLock { $0.count } }

    static func parse(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// Every frame so far, parsed.
    var all: [[String: Any]] { frames.withLock { $0 }.map(Self.parse) }

    /// The first frame from index `start` on that matches, waiting up to `timeout`.
    func wait(
        from start: Int = 0, timeout: Duration = .seconds(10), _ what: String, _ matches: ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        var index = start
        while true {
            let snapshot = frames.withLock { Array($0.dropFirst(index)) }
            for text in snapshot {
                index += 1
                let json = Self.parse(text)
                if matches(json) { return json }
            }
            if connection.closeStatus != nil, frames.withLock({ $0.count }) == index {
                throw TestFailure.unexpected("connection closed while waiting for \(what) (\(connection.closeStatus!))")
            }
            guard ContinuousClock.now < deadline else { throw TestFailure.timeout(what) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func ready() async throws -> [String: Any] {
        try await wait("ready") { $0["type"] as? String == "ready" }
    }

    func write(_ object: [String: Any]) async throws {
        let data = try JSONSerialization.data(withJSONObject: object)
        try await connection.write(.text(Array(data)))
    }

    /// Sends a request with a fresh `id`; returns its `ok` or `error` answer.
    @discardableResult
    func request(_ fields: [String: Any]) async throws -> [String: Any] {
        let id = nextID.withLock { value -> String in
            value += 1
            return "r\(value)"
        }
        var object = fields
        object["id"] = id
        try await write(object)
        return try await wait("answer to \(fields["type"] ?? "?") \(id)") { $0["id"] as? String == id }
    }

    /// The `seq`s of the events of `conversation` received so far, in arrival order.
    func seqs(in conversation: String) -> [Int64] {
        all.compactMap { frame -> Int64? in
            guard frame["type"] as? String == "event", let event = frame["event"] as? [String: Any],
                (event["conversation"] as? String)?.lowercased() == conversation.lowercased()
            else { return nil }
            return (event["seq"] as? NSNumber)?.int64Value
        }
    }

    /// Waits until an event of `conversation` with `seq` arrived; returns the event object.
    @discardableResult
    func event(_ conversation: String, seq: Int64, timeout: Duration = .seconds(10)) async throws -> [String: Any] {
        let frame = try await wait("event \(seq) of \(conversation)", ) { frame in
            guard frame["type"] as? String == "event", let event = frame["event"] as? [String: Any] else { return false }
            return (event["conversation"] as? String)?.lowercased() == conversation.lowercased()
                && (event["seq"] as? NSNumber)?.int64Value == seq
        }
        return frame["event"] as? [String: Any] ?? [:]
    }

    /// Opens a connection to `server` (with `token` in the Authorization header), runs
    /// `body` with a pumping peer, closes, and returns the value and the close the server sent.
    static func with<T: Sendable>(
        _ server: TestServer, token: String?, autoAck: Bool = false, _ body: @escaping @Sendable (Peer) async throws -> T
    ) async throws -> WebSocketTransportClient.Outcome<T> {
        let client = WebSocketTransportClient(url: "ws://127.0.0.1:\(server.port)/v1/realtime", bearerToken: token, logger: .quiet)
        return try await client.withConnection { connection in
            let peer = Peer(connection, autoAck: autoAck)
            let pump = Task { await peer.pump() }
            do {
                let value = try await body(peer)
                if connection.closeStatus == nil { await connection.close(.normal, reason: "test done") }
                await pump.value
                return value
            } catch {
                if connection.closeStatus == nil { await connection.close(.normal, reason: "test failed") }
                // The reader may be stuck on a connection that never ends (the failure being
                // reported); stop it rather than wait.
                pump.cancel()
                await pump.value
                throw error
            }
        }
    }
}

extension [String: Any] {
    var type: String? { self["type"] as? String }
    var code: String? { self["code"] as? String }
    var result: [String: Any] { self["result"] as? [String: Any] ?? [:] }
    var message: [String: Any] { self["message"] as? [String: Any] ?? [:] }
    func int(_ key: String) -> Int64? { (self[key] as? NSNumber)?.int64Value }
}
