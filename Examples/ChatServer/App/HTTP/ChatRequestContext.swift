import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// The request context of the chat server's router: Hummingbird's core storage, the
/// client's address (for per-address rate limits and the session list) and the WebSocket
/// handler slot the realtime upgrade route uses.
///
/// Thread safety: a value type made per request.
public struct ChatRequestContext: RequestContext, RemoteAddressRequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<ChatRequestContext>
    /// The peer's address as the socket reports it.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address as text (the rate-limit and throttling key); `unknown` when the
    /// transport has none (a Unix socket).
    var clientAddress: String {
        remoteAddress?.ipAddress ?? "unknown"
    }

    /// Hummingbird's request id (also in every log line of this request as `hb.request.id`).
    var requestID: String {
        logger[metadataKey: "hb.request.id"].map { "\($0)" } ?? "-"
    }
}
