import Logging
import MessagingTransport
import MessagingWebSocket
import MessagingWire

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
