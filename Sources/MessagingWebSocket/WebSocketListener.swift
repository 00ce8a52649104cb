import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import MessagingTransport
import NIOCore
import Synchronization
@_spi(WSInternal) import WSCore

/// The server side of the WebSocket adapter: a `MessagingTransport.TransportListener`
/// fed by a Hummingbird 2 WebSocket upgrade route.
///
/// Hummingbird owns the socket and accepts connections; this listener registers the
/// upgrade route (``addRoute(to:at:)``), checks the upgrade request (RFC 6455) and the
/// `Origin` header against ``WebSocketTransportConfiguration/allowedOrigins`` before
/// upgrading (refusals get their status and a JSON error body, never a socket), takes the bearer token from the `Authorization`
/// header (never from the URL), and hands each upgraded connection to the handler given to
/// ``listen(_:)`` — typically `Gateway.serve(listener)`.
///
/// ```swift
/// let listener = WebSocketListener(configuration: .init(allowedOrigins: .only(["https://chat.example.com"])), logger: logger)
/// let router = Router(context: MyContext.self)      // MyContext: WebSocketRequestContext
/// listener.addRoute(to: router, at: "/v1/realtime")
/// let app = Application(router: router, server: listener.serverBuilder())
/// // run `app`, `gateway`, and a service calling `gateway.serve(listener)` in one ServiceGroup
/// ```
///
/// Upgrades that arrive before ``listen(_:)`` started or after ``stopAccepting()`` or
/// ``stopListening()`` are answered 503 (no socket is opened).
///
/// Thread safety: safe to share across tasks.
public final class WebSocketListener: TransportListener, Sendable {
    public typealias Connection = WebSocketConnection

    /// The settings.
    public let configuration: WebSocketTransportConfiguration
    let logger: Logger
    private let registry = ListenerRegistry<ObjectIdentifier, WebSocketConnection>()
    private let route = Mutex<String?>(nil)

    /// Makes a listener.
    public init(configuration: WebSocketTransportConfiguration = .init(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Registers `GET path` as the WebSocket upgrade route of `router`.
    ///
    /// A valid upgrade of `path` is taken by the channel of ``serverBuilder()`` before it
    /// reaches the router; the route itself answers every request that was not upgraded
    /// with a ``WebSocketUpgradeRefusal``: 426 (no upgrade, or a WebSocket version other
    /// than 13), 400 (a missing or malformed `Sec-WebSocket-Key`), 403 (a disallowed
    /// `Origin`: refused browsers never get a socket) or 503 (not accepting), each with the
    /// JSON error body. (A valid upgrade sent on a kept-alive connection after another
    /// request is answered 307 to the same URL with `Connection: close`: reconnect.)
    public func addRoute<Context: RequestContext>(to router: Router<Context>, at path: RouterPath) {
        route.withLock { $0 = Self.normalizedPath(path.description) }
        router.get(path) { [self] request, _ -> Response in
            guard let refusal = refusal(for: request.head) else {
                // A valid upgrade on a connection that already served another request (only
                // a connection's first request can switch protocols): reconnect, as
                // Hummingbird's own upgrade channel asks.
                let location = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
                return Response(status: .temporaryRedirect, headers: [.location: location, .connection: "close"])
            }
            if refusal.code == "origin_not_allowed" {
                logger.notice("refused a WebSocket upgrade from a disallowed origin", metadata: [
                    "origin": "\(request.headers[values: .origin].first { !configuration.allowedOrigins.admits($0) } ?? "")"
                ])
            }
            throw refusal
        }
    }

    /// A Hummingbird server builder: HTTP/1.1 for every route, with WebSocket upgrades of
    /// the route given to ``addRoute(to:at:)``, and the limits of
    /// ``WebSocketTransportConfiguration/http`` (header and idle timeouts, 408/414/431
    /// answers) on every connection. Upgraded connections get the frame rules of
    /// ``WebSocketTransportConfiguration``: masked client frames only (1002 otherwise),
    /// size and fragment limits enforced from frame headers (`frame_too_big`, then 1009),
    /// UTF-8 left to the protocol codec (so invalid text answers a typed error frame, not a
    /// bare close), compression off, and WebSocket-level pings off (the gateway pings at the
    /// protocol level).
    public func serverBuilder() -> HTTPServerBuilder {
        let configuration = configuration
        return HTTPServerBuilder { responder in
            RealtimeHTTPChannel(responder: responder, configuration: configuration) { [self] request, channel in
                upgradeHandler(for: request, channel: channel)
            }
        }
    }

    /// Why `request` (to the realtime route) is not upgraded now, or `nil` when it would be.
    func refusal(for request: HTTPRequest) -> WebSocketUpgradeRefusal? {
        if let refusal = UpgradeRequestCheck.refusal(for: request) { return refusal }
        if let refused = request.headerFields[values: .origin].first(where: { !configuration.allowedOrigins.admits($0) }) {
            return .originNotAllowed(refused)
        }
        guard isAccepting else { return .unavailable }
        return nil
    }

    /// The handler of an upgrade of `request` when it is to the route and would be upgraded
    /// now; `nil` leaves the request to the router (which answers the refusal).
    func upgradeHandler(for request: HTTPRequest, channel: any Channel) -> RealtimeHTTPChannel.UpgradedHandler? {
        let path = Self.normalizedPath(String((request.path ?? "").prefix { $0 != "?" }))
        guard let route = route.withLock({ $0 }), route == path, refusal(for: request) == nil else { return nil }
        let address = channel.remoteAddress.map { $0.ipAddress ?? "\($0)" } ?? "unknown"
        let token = request.headerFields[.authorization].flatMap(ConnectionMetadata.bearerToken(fromAuthorizationHeader:))
        let metadata = ConnectionMetadata(remoteAddress: address, bearerToken: token)
        let configuration = configuration
        return { [self] asyncChannel, sink, logger in
            do {
                _ = try await WSCore.WebSocketHandler.handle(
                    type: .server,
                    configuration: .init(
                        extensions: [], autoPing: .disabled, closeTimeout: configuration.closeTimeout, validateUTF8: false,
                        maxFrameSize: configuration.maxFrameBytes),
                    asyncChannel: asyncChannel, context: UpgradedContext(logger: logger)
                ) { inbound, outbound, _ in
                    await self.run(
                        WebSocketConnection(
                            metadata: metadata, inbound: inbound, outbound: outbound, sink: sink, configuration: configuration))
                }
            } catch {
                logger.debug("WebSocket handler error", metadata: ["error": "\(error)"])
            }
        }
    }

    static func normalizedPath(_ path: String) -> String {
        var path = path.hasPrefix("/") ? path : "/" + path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    public func listen(_ handler: @escaping @Sendable (WebSocketConnection) async -> Void) async throws {
        try await registry.listen(handler, name: "WebSocketListener")
    }

    /// Refuses new upgrades (503) from now on, without ending ``listen(_:)``: call it at
    /// the first moment of a graceful shutdown, before the connections are closed.
    public func stopAccepting() {
        registry.stopAccepting()
    }

    public func stopListening() {
        registry.stopListening()
    }

    /// Closes every connection whose handler is running (shutdown: 1001 going away), those
    /// still in their protocol handshake included. Call ``stopListening()`` first so no new
    /// connection arrives meanwhile.
    public func closeAll(_ close: TransportClose) async {
        let open = registry.connections
        await withDiscardingTaskGroup { group in
            for connection in open { group.addTask { await connection.close(close) } }
        }
    }

    /// The number of upgraded connections whose handler is running.
    public var activeConnections: Int { registry.count }

    /// Whether upgrades are accepted now: ``listen(_:)`` is running and
    /// ``stopListening()`` was not called. Before and after, upgrades are answered 503.
    public var isAccepting: Bool { registry.isAccepting }

    private func run(_ connection: WebSocketConnection) async {
        // An upgrade that passed the refusal checks runs even if stopAccepting() came since.
        guard let handler = registry.admit(connection, as: ObjectIdentifier(connection), whileRefusing: true) else {
            await connection.close(.goingAway, reason: "server shutting down; reconnect with backoff")
            return
        }
        await handler(connection)
        registry.finish(ObjectIdentifier(connection))
    }

}

/// The context of an upgraded connection's handler.
struct UpgradedContext: WebSocketContext {
    let logger: Logger
}

/// A request context for applications that only need the realtime route (and tests):
/// WebSocket upgrades plus the peer's address for per-address rate limits.
public struct RealtimeRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.remoteAddress = source.channel.remoteAddress
    }
}
