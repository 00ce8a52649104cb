import Logging
import MessagingSSE
import MessagingTransport
import MessagingWebSocket
import MessagingWire
import Synchronization

/// How a ``RealtimeClient`` opens connections: one call per connection attempt.
///
/// Implementers: open a connection, run `body` with it, close it when `body` returns, and
/// return what `body` returned with how the server closed the connection (`nil` when it
/// dropped without a close). Throw `MessagingTransport.TransportError` when no connection
/// could be opened. Must be safe to call from any task.
public protocol ClientTransport: Sendable {
    /// Opens one connection for `body`.
    func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (any TransportConnection) async throws -> Value
    ) async throws -> (value: Value, close: TransportClose?)
}

/// The WebSocket transport of ``RealtimeClient``: `ws://host:port/v1/realtime` (or `wss://`).
///
/// The access token is sent in the first `auth` frame, so it never appears in a URL or
/// an upgrade request.
///
/// Thread safety: a value type; safe to share across tasks.
public struct WebSocketClientTransport: ClientTransport {
    /// The server's realtime URL.
    public var url: String
    /// An `Origin` header to send (to act as a page of that origin).
    public var origin: String?
    private let logger: Logger

    /// A transport to `url`.
    public init(url: String, origin: String? = nil, logger: Logger) {
        self.url = url
        self.origin = origin
        self.logger = logger
    }

    public func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (any TransportConnection) async throws -> Value
    ) async throws -> (value: Value, close: TransportClose?) {
        let client = WebSocketTransportClient(url: url, origin: origin, logger: logger)
        let outcome = try await client.withConnection { connection in try await body(connection) }
        return (outcome.value, outcome.close)
    }
}

/// The Server-Sent Events transport of ``RealtimeClient``: the stream at
/// `http://host:port/v1/realtime/events` (or `https://`), frames sent as `POST`s
/// (`MessagingSSE`'s client; Protocol.md §13).
///
/// The access token is sent in the first `auth` frame, as over WebSocket.
///
/// Thread safety: a value type; safe to share across tasks.
public struct SSEClientTransport: ClientTransport {
    /// The server's event-stream URL.
    public var url: String
    /// An `Origin` header to send (to act as a page of that origin).
    public var origin: String?
    private let logger: Logger

    /// A transport to `url`.
    public init(url: String, origin: String? = nil, logger: Logger) {
        self.url = url
        self.origin = origin
        self.logger = logger
    }

    public func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (any TransportConnection) async throws -> Value
    ) async throws -> (value: Value, close: TransportClose?) {
        let client = SSETransportClient(url: url, origin: origin, logger: logger)
        let outcome = try await client.withConnection { connection in try await body(connection) }
        return (outcome.value, outcome.close)
    }
}

/// A transport that uses `primary` (WebSocket) and switches to `fallback` (Server-Sent
/// Events) when the primary's connection request is answered without upgrading
/// (`MessagingTransport.TransportError` code `upgradeRefused`: a proxy or network that
/// blocks WebSocket). It stays on the fallback for ``retryPrimaryAfter``, then tries the
/// primary again. Other failures (the server is down) are passed on: the client's backoff
/// handles them, and switching transports would not help.
///
/// ```swift
/// let transport = FallbackClientTransport.webSocket(
///     url: "wss://chat.example.com/v1/realtime", eventStream: "https://chat.example.com/v1/realtime/events", logger: logger)
/// ```
///
/// Thread safety: safe to share across tasks.
public struct FallbackClientTransport: ClientTransport {
    /// The transport tried first.
    public let primary: any ClientTransport
    /// The transport used while the primary is refused.
    public let fallback: any ClientTransport
    /// How long the fallback is used before the primary is tried again.
    public let retryPrimaryAfter: Duration
    private let fallbackUntil = SharedDeadline()
    private let logger: Logger

    /// Falls back from `primary` to `fallback`.
    public init(primary: any ClientTransport, fallback: any ClientTransport, retryPrimaryAfter: Duration = .seconds(300), logger: Logger) {
        self.primary = primary
        self.fallback = fallback
        self.retryPrimaryAfter = retryPrimaryAfter
        self.logger = logger
    }

    /// WebSocket at `url`, falling back to Server-Sent Events at `eventStream`.
    public static func webSocket(url: String, eventStream: String, origin: String? = nil, logger: Logger) -> FallbackClientTransport {
        FallbackClientTransport(
            primary: WebSocketClientTransport(url: url, origin: origin, logger: logger),
            fallback: SSEClientTransport(url: eventStream, origin: origin, logger: logger), logger: logger)
    }

    /// Whether the next connection uses the fallback.
    public var isUsingFallback: Bool { fallbackUntil.isActive }

    public func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (any TransportConnection) async throws -> Value
    ) async throws -> (value: Value, close: TransportClose?) {
        if fallbackUntil.isActive { return try await fallback.withConnection(body) }
        do {
            return try await primary.withConnection(body)
        } catch let error as TransportError where error.code == .upgradeRefused {
            logger.notice("the primary transport was refused; using the fallback", metadata: ["error": "\(error.message)"])
            fallbackUntil.set(ContinuousClock.now.advanced(by: retryPrimaryAfter))
            return try await fallback.withConnection(body)
        }
    }
}

/// A deadline shared by the copies of a value type.
final class SharedDeadline: Sendable {
    private let deadline = Mutex<ContinuousClock.Instant?>(nil)

    var isActive: Bool { deadline.withLock { $0.map { ContinuousClock.now < $0 } ?? false } }

    func set(_ instant: ContinuousClock.Instant) { deadline.withLock { $0 = instant } }
}
