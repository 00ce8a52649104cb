import Hummingbird
import HummingbirdCore
import Logging
import MessagingTransport
import ServiceLifecycle

/// The realtime route `/v1/realtime`: the WebSocket adapter's listener, its upgrade route,
/// the server builder that enables the upgrade, and the service that feeds its connections
/// to the gateway. (Pending the `MessagingWebSocket` adapter: plain HTTP/1.1 until it lands.)
struct RealtimeEndpoint: Sendable {
    init(configuration: ChatServerConfiguration, logger: Logger) {}

    /// The routes ``addRoute(to:)`` registers, as `METHOD /path`.
    var routes: [String] { [] }

    func addRoute(to router: Router<ChatRequestContext>) {}

    func serverBuilder(router: Router<ChatRequestContext>) -> HTTPServerBuilder { .http1() }

    func services<C: Clock>(gateway: Gateway<C>) -> [any Service] where C.Duration == Duration { [] }
}
