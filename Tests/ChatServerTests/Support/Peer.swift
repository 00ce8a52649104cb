import Foundation
import Logging
import MessagingClient
import MessagingCore
import MessagingTransport
import MessagingWire
import MessagingWebSocket
import Synchronization
import TestSupport
import Testing

/// A realtime client for the end-to-end tests: a `ProtocolConnection` over a real WebSocket
/// to a `TestServer` that keeps every frame, so tests wait for frames by predicate (with a
/// time bound) instead of racing reads. Frames are handed out as `JSONSerialization`-style
/// dictionaries, the shape the tests were written against.
final class Peer: Sendable {
    let connection: WebSocketConnection
    let protocolConnection: ProtocolConnection

    /// `autoAck`: acknowledge every event as it arrives (what a well-behaved client does).
    init(_ connection: WebSocketConnection, autoAck: Bool = false) {
        self.connection = connection
        protocolConnection = ProtocolConnection(
            connection,
            configuration: .init(requestTimeout: .seconds(10), answersPings: false, acknowledgesEvents: autoAck, keptFrames: nil),
            logger: .quiet)
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

    /// Frames received so far that were not answers to ``request(_:)``.
    var count: Int { protocolConnection.receivedCount }

    /// Every frame so far that was not an answer to ``request(_:)``.
    var all: [[String: Any]] { protocolConnection.received().map(Self.object) }

    /// The first frame from number `start` on that matches, waiting up to `timeout`.
    func wait(
        from start: Int = 0, timeout: Duration = .seconds(10), _ what: String, _ matches: ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        let found: (index: Int, frame: ClientJSON)?
        do {
            found = try await protocolConnection.frame(from: start, within: timeout) { matches(Self.object($0)) }
        } catch let error as RealtimeClientError where error.code == .timedOut {
            throw TestFailure.timeout(what)
        }
        guard let found else {
            throw TestFailure.unexpected("connection closed while waiting for \(what) (\(String(describing: connection.closeStatus)))")
        }
        return Self.object(found.frame)
    }

    func ready() async throws -> [String: Any] {
        try await wait("ready") { $0["type"] as? String == "ready" }
    }

    /// Writes a frame of `object`'s fields as they are (an `id` only if the test put one in):
    /// for frames whose exact fields are the point of the test.
    func write(_ object: [String: Any]) async throws {
        try await protocolConnection.write(Self.fields(object))
    }

    /// Writes a typed request without an `id` (`ack`, `typing`, `presence`, …): no answer comes back.
    func write(_ body: ClientRequest.Body) async throws {
        try await protocolConnection.write(body)
    }

    /// Sends a request with a fresh `id`; returns its `ok` or `error` answer.
    @discardableResult
    func request(_ fields: [String: Any]) async throws -> [String: Any] {
        do {
            return Self.object(try await protocolConnection.answer(to: Self.fields(fields)))
        } catch let error as RealtimeClientError where error.code == .timedOut {
            throw TestFailure.timeout("answer to \(fields["type"] ?? "?")")
        }
    }

    /// Sends a typed request with a fresh `id`; returns its `ok` or `error` answer as a
    /// dictionary, as ``request(_:)`` does for a dictionary request.
    @discardableResult
    func request(_ body: ClientRequest.Body) async throws -> [String: Any] {
        do {
            return Self.object(try await protocolConnection.answer(to: body))
        } catch let error as RealtimeClientError where error.code == .timedOut {
            throw TestFailure.timeout("answer to \(body.type)")
        }
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
    /// `body` with a reading peer, closes, and returns the value and the close the server sent.
    static func with<T: Sendable>(
        _ server: TestServer, token: String?, autoAck: Bool = false, _ body: @escaping @Sendable (Peer) async throws -> T
    ) async throws -> WebSocketTransportClient.Outcome<T> {
        let client = WebSocketTransportClient(url: "ws://127.0.0.1:\(server.port)/v1/realtime", bearerToken: token, logger: .quiet)
        return try await client.withConnection { connection in
            let peer = Peer(connection, autoAck: autoAck)
            let reader = Task { await peer.protocolConnection.run() }
            do {
                let value = try await body(peer)
                if connection.closeStatus == nil { await connection.close(.normal, reason: "test done") }
                await reader.value
                return value
            } catch {
                if connection.closeStatus == nil { await connection.close(.normal, reason: "test failed") }
                // The reader may be stuck on a connection that never ends (the failure being
                // reported); stop it rather than wait.
                reader.cancel()
                await reader.value
                throw error
            }
        }
    }

    // MARK: The dictionaries of the tests

    /// A frame's text as a dictionary (for tests that read a connection themselves).
    static func parse(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// A frame's fields from the dictionary a test wrote.
    static func fields(_ object: [String: Any]) -> [String: ClientJSON] {
        object.mapValues(ClientJSON.init(testValue:))
    }

    /// A frame as the dictionary `JSONSerialization` would make of it.
    static func object(_ frame: ClientJSON) -> [String: Any] {
        frame.object?.mapValues(foundation) ?? [:]
    }

    private static func foundation(_ value: ClientJSON) -> Any {
        switch value {
        case .null: NSNull()
        case .bool(let value): value
        case .integer(let value): NSNumber(value: value)
        case .number(let value): NSNumber(value: value)
        case .string(let value): value
        case .array(let values): values.map(foundation)
        case .object(let fields): fields.mapValues(foundation)
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
