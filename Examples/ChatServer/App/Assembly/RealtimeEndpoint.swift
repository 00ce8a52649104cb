import Hummingbird
import HummingbirdCore
import Logging
import MessagingSSE
import MessagingTransport
import MessagingWebSocket
import ServiceLifecycle

/// The realtime routes: `/v1/realtime` (the WebSocket adapter's upgrade route, and the
/// server builder that enables the upgrade) and `/v1/realtime/events` (the Server-Sent
/// Events adapter, for clients whose network blocks WebSocket), and the services that feed
/// both listeners' connections to the one gateway.
///
/// Thread safety: immutable; safe to share across tasks.
struct RealtimeEndpoint: Sendable {
    static let path = "/v1/realtime"
    static let eventsPath = "/v1/realtime/events"

    let listener: WebSocketListener
    let events: SSEListener

    init(configuration: ChatServerConfiguration, logger: Logger) {
        let origins: OriginPolicy = configuration.allowedOrigins.isEmpty ? .any : .only(configuration.allowedOrigins)
        var transport = WebSocketTransportConfiguration(maxFrameBytes: configuration.limits.maxFrameBytes, allowedOrigins: origins)
        transport.http = configuration.http
        listener = WebSocketListener(configuration: transport, logger: logger)
        events = SSEListener(
            configuration: SSETransportConfiguration(
                allowedOrigins: origins, maxRequestBodyBytes: max(1 << 20, configuration.limits.maxFrameBytes * 2)),
            logger: logger)
    }

    /// The routes ``addRoute(to:)`` registers, as `METHOD /path`.
    var routes: [String] { ["GET \(Self.path)"] + SSEListener.routes(at: Self.eventsPath) }

    func addRoute(to router: Router<ChatRequestContext>) {
        listener.addRoute(to: router, at: RouterPath(Self.path))
        events.addRoutes(to: router, at: RouterPath(Self.eventsPath))
    }

    func serverBuilder() -> HTTPServerBuilder {
        listener.serverBuilder()
    }

    /// Refuses new connections on both transports (the first moment of a graceful shutdown).
    func stopAccepting() {
        listener.stopAccepting()
        events.stopAccepting()
    }

    /// The services that hand the listeners' connections to the gateway.
    func services<C: Clock>(gateway: Gateway<C>) -> [any Service] where C.Duration == Duration {
        [RealtimeListenerService(listener: listener, gateway: gateway), RealtimeListenerService(listener: events, gateway: gateway)]
    }
}

/// The listeners a ``RealtimeListenerService`` can stop and drain.
protocol DrainableListener: TransportListener {
    func closeAll(_ close: TransportClose) async
}

extension WebSocketListener: DrainableListener {}
extension SSEListener: DrainableListener {}

/// Runs `gateway.serve(listener)`. On graceful shutdown (it is shut down before the gateway)
/// it stops the listener — new connections get 503, so a client told to go away cannot slip
/// back in — then closes every connection the listener holds with 1001 going away,
/// including those still in their handshake, and returns once their handlers finished.
struct RealtimeListenerService<Listener: DrainableListener, C: Clock>: Service where C.Duration == Duration {
    let listener: Listener
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
