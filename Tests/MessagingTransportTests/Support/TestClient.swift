import Foundation
import Logging
import MessagingClient
@testable import MessagingTransport
@testable import MessagingWire
import Synchronization
import TestSupport
import Testing

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

extension JSONValue {
    /// `integer`, by the name the tests were written with.
    var int: Int64? {
        guard case .integer(let value) = self else { return nil }
        return value
    }
}

/// A protocol v1 client over an in-memory connection, for tests: a `ProtocolConnection`
/// that reads only while the test waits for something (a test that stops reading is a slow
/// consumer, the transport's backpressure reaches the gateway), answers no pings by itself,
/// and keeps every frame that is not an answer for ``next(timeout:)``.
final class TestClient: Sendable {
    let connection: InMemoryConnection
    let protocolConnection: ProtocolConnection
    private let recorder: RecordingConnection
    /// The number of the next frame ``next(timeout:)`` returns.
    private let cursor = Mutex(0)

    init(_ connection: InMemoryConnection) {
        self.connection = connection
        recorder = RecordingConnection(connection)
        let protocolConnection = ProtocolConnection(
            recorder, configuration: .init(requestTimeout: .seconds(5), answersPings: false, keptFrames: nil, readsAhead: false),
            logger: .quiet)
        self.protocolConnection = protocolConnection
        // Unowned on purpose: like the connection it reads, it lives as long as the harness
        // (a client dropped by a test keeps its connection open, as a real one would).
        Task { await protocolConnection.run() }
    }

    /// Every frame received, as the exact text the server sent, in arrival order.
    var rawFrames: [String] { recorder.frames.withLock { $0 } }

    func sendRaw(_ frame: TransportFrame) async throws { try await protocolConnection.write(raw: frame) }

    /// Writes a frame of `fields` as they are (an `id` only if the test put one in): for
    /// frames whose exact fields are the point of the test.
    func send(_ fields: [String: any Sendable]) async throws {
        try await protocolConnection.write(Self.fields(fields))
    }

    /// Writes a typed request without an `id` (`ack`, `typing`, `ping`, …): no answer comes back.
    func send(_ body: ClientRequest.Body) async throws {
        try await protocolConnection.write(body)
    }

    /// The next frame that is not an answer to ``request(_:timeout:)``, or `nil` once the connection closed.
    func next(timeout: Duration = .seconds(5)) async throws -> JSONValue? {
        let start = cursor.withLock { $0 }
        do {
            guard let (index, frame) = try await protocolConnection.frame(from: start, within: timeout, where: { _ in true }) else { return nil }
            cursor.withLock { $0 = index + 1 }
            return frame
        } catch let error as RealtimeClientError where error.code == .timedOut {
            throw TimedOut(what: "a frame")
        }
    }

    /// Sends a request with a fresh id and returns its answer (`ok`, `error` or `ready`);
    /// other frames read meanwhile are kept for ``next(timeout:)``.
    func request(_ fields: [String: any Sendable], timeout: Duration = .seconds(5)) async throws -> JSONValue {
        try await protocolConnection.answer(to: Self.fields(fields), timeout: timeout)
    }

    /// Sends a typed request with a fresh id and returns its answer frame (`ok`, `error` or
    /// `ready`), as ``request(_:timeout:)`` does for a dictionary.
    func request(_ body: ClientRequest.Body, timeout: Duration = .seconds(5)) async throws -> JSONValue {
        try await protocolConnection.answer(to: body, timeout: timeout)
    }

    /// The next `event` frames' events, `count` of them, skipping pings and other frames.
    func events(_ count: Int, timeout: Duration = .seconds(5)) async throws -> [JSONValue] {
        var events: [JSONValue] = []
        while events.count < count {
            guard let frame = try await next(timeout: timeout) else {
                throw TimedOut(what: "\(count) events, got \(events.count) (closed: \(String(describing: connection.closeStatus)))")
            }
            if frame["type"]?.string == "event", let event = frame["event"] { events.append(event) }
        }
        return events
    }

    /// Reads until the connection closes; returns the close and the frames read.
    func closed(timeout: Duration = .seconds(5)) async throws -> (TransportClose?, [JSONValue]) {
        var frames: [JSONValue] = []
        while let frame = try await next(timeout: timeout) { frames.append(frame) }
        return (connection.closeStatus, frames)
    }

    func close() async { await protocolConnection.close(.normal, reason: "bye") }

    private static func fields(_ fields: [String: any Sendable]) -> [String: ClientJSON] {
        fields.mapValues { JSONValue(testValue: $0) }
    }
}

/// An in-memory connection that records the text of every frame it receives, for tests of
/// the exact wire text.
final class RecordingConnection: TransportConnection {
    let base: InMemoryConnection
    let frames = Mutex<[String]>([])

    init(_ base: InMemoryConnection) { self.base = base }

    var metadata: ConnectionMetadata { base.metadata }

    func receive() async throws -> TransportFrame? {
        let frame = try await base.receive()
        if let frame { frames.withLock { $0.append(String(decoding: frame.bytes, as: UTF8.self)) } }
        return frame
    }

    func write(_ frame: TransportFrame) async throws { try await base.write(frame) }

    func close(_ close: TransportClose) async { await base.close(close) }

    var closeStatus: TransportClose? { base.closeStatus }
}
