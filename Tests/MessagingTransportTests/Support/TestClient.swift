import Foundation
@testable import MessagingTransport
@testable import MessagingWire
import Synchronization
import Testing

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        guard case .object(let fields) = self else { return nil }
        return fields[key]
    }

    var string: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }

    var int: Int64? {
        guard case .integer(let value) = self else { return nil }
        return value
    }

    var bool: Bool? {
        guard case .bool(let value) = self else { return nil }
        return value
    }

    var array: [JSONValue]? {
        guard case .array(let value) = self else { return nil }
        return value
    }

    /// A JSON object from a dictionary literal of plain values.
    static func from(_ fields: [String: any Sendable]) -> JSONValue {
        .object(fields.mapValues(convert))
    }

    private static func convert(_ value: any Sendable) -> JSONValue {
        switch value {
        case let value as JSONValue: value
        case let value as String: .string(value)
        case let value as Bool: .bool(value)
        case let value as Int: .integer(Int64(value))
        case let value as Int64: .integer(value)
        case let value as [String]: .array(value.map { .string($0) })
        case let value as [String: any Sendable]: from(value)
        default: .null
        }
    }
}

/// A protocol v1 client over an in-memory connection, for tests.
final class TestClient: Sendable {
    let connection: InMemoryConnection
    private let counter = Atomic<Int>(0)
    /// Frames read while waiting for something else (events, typing), in arrival order.
    private let stash = Mutex<[JSONValue]>([])
    /// Every frame received, as the exact text the server sent, in arrival order.
    let rawFrames = Mutex<[String]>([])

    init(_ connection: InMemoryConnection) { self.connection = connection }

    func sendRaw(_ frame: TransportFrame) async throws { try await connection.write(frame) }

    func send(_ fields: [String: any Sendable]) async throws {
        let data = try JSONEncoder().encode(JSONValue.from(fields))
        try await connection.write(.text(Array(data)))
    }

    /// The next frame, or `nil` once the connection closed.
    func next(timeout: Duration = .seconds(5)) async throws -> JSONValue? {
        if let stashed = stash.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return stashed }
        return try await receive(timeout: timeout)
    }

    private func receive(timeout: Duration) async throws -> JSONValue? {
        let connection = connection
        let frame: TransportFrame?? = try await withThrowingTaskGroup(of: TransportFrame??.self) { group in
            group.addTask { .some(try await connection.receive()) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return .none
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        guard let frame else { throw TimedOut(what: "a frame") }
        guard let frame else { return nil }
        rawFrames.withLock { $0.append(String(decoding: frame.bytes, as: UTF8.self)) }
        return try JSONDecoder().decode(JSONValue.self, from: Data(frame.bytes))
    }

    /// Sends a request with a fresh id and returns its answer (`ok`, `error` or `ready`);
    /// other frames read meanwhile are kept for ``next(timeout:)``.
    func request(_ fields: [String: any Sendable], timeout: Duration = .seconds(5)) async throws -> JSONValue {
        let id = "r\(counter.wrappingAdd(1, ordering: .relaxed).newValue)"
        var fields = fields
        fields["id"] = id
        try await send(fields)
        return try await answer(to: id, timeout: timeout)
    }

    /// Reads until the answer with correlation id `id`.
    func answer(to id: String, timeout: Duration = .seconds(5)) async throws -> JSONValue {
        while true {
            guard let frame = try await receive(timeout: timeout) else {
                throw TimedOut(what: "the answer to \(id) (connection closed: \(String(describing: connection.closeStatus)))")
            }
            if frame["id"]?.string == id { return frame }
            stash.withLock { $0.append(frame) }
        }
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

    func close() async { await connection.close(.normal, reason: "bye") }
}
