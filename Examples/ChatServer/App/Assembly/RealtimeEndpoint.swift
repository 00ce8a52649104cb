import Hummingbird
import HummingbirdCore
import Logging
import MessagingTransport
import MessagingWebSocket
import ServiceLifecycle

/// The realtime route `/v1/realtime`: the WebSocket adapter's listener, its upgrade route,
/// the server builder that enables the upgrade, and the service that feeds its connections
/// to the gateway.
///
/// Thread safety: immutable; safe to share across tasks.
struct RealtimeEndpoint: Sendable {
    static let path = "/v1/realtime"

    let listener: WebSocketListener

    init(configuration: ChatServerConfiguration, logger: Logger) {
        var transport = WebSocketTransportConfiguration(
            maxFrameBytes: configuration.limits.maxFrameBytes,
            allowedOrigins: configuration.allowedOrigins.isEmpty ? .any : .only(configuration.allowedOrigins))
        transport.http = configuration.http
        listener = WebSocketListener(configuration: transport, logger: logger)
    }

    /// The routes ``addRoute(to:)`` registers, as `METHOD /path`.
    var routes: [String] { ["GET \(Self.path)"] }

    func addRoute(to router: Router<ChatRequestContext>) {
        listener.addRoute(to: router, at: RouterPath(Self.path))
    }

    func serverBuilder() -> HTTPServerBuilder {
        listener.serverBuilder()
    }

    /// The service that hands the listener's connections to the gateway.
    func services<C: Clock>(gateway: Gateway<C>) -> [any Service] where C.Duration == Duration {
        [RealtimeListenerService(listener: listener, gateway: gateway)]
    }
}

/// Runs `gateway.serve(listener)`. On graceful shutdown (it is shut down before the gateway)
/// it stops the listener — new upgrades get 503, so a client told to go away cannot slip
/// back in — then closes every connection the listener holds with 1001 going away,
/// including those still in their handshake, and returns once their handlers finished.
struct RealtimeListenerService<C: Clock>: Service where C.Duration == Duration {
    let listener: WebSocketListener
    let gateway: Gateway<C>

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await gateway.serve(listener)
        } onGracefulShutdown: {
            listener.stopListening()
            Task { await listener.closeAll(TransportClose(code: .goingAway, reason: "server shutting down; reconnect with backoff")) }
        }
    }
}
