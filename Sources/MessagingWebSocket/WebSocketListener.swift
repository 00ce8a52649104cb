import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import MessagingTransport
import NIOCore
import Synchronization
import WSCore

/// The server side of the WebSocket adapter: a ``MessagingTransport/TransportListener``
/// fed by a Hummingbird 2 WebSocket upgrade route.
///
/// Hummingbird owns the socket and accepts connections; this listener registers the
/// upgrade route (``addRoute(to:at:)``), checks the `Origin` header against
/// ``WebSocketTransportConfiguration/allowedOrigins`` before upgrading (refused browsers
/// get HTTP 403 and never a socket), takes the bearer token from the `Authorization`
/// header (never from the URL), and hands each upgraded connection to the handler given to
/// ``listen(_:)`` — typically `Gateway.serve(listener)`.
///
/// ```swift
/// let listener = WebSocketListener(configuration: .init(allowedOrigins: .only(["https://chat.example.com"])), logger: logger)
/// let router = Router(context: MyContext.self)      // MyContext: WebSocketRequestContext
/// listener.addRoute(to: router, at: "/v1/realtime")
/// let app = Application(router: router, server: listener.serverBuilder(router: router))
/// // run `app`, `gateway`, and a service calling `gateway.serve(listener)` in one ServiceGroup
/// ```
///
/// Upgrades that arrive before ``listen(_:)`` started or after ``stopListening()`` are
/// answered 503 (no socket is opened).
///
/// Thread safety: safe to share across tasks.
public final class WebSocketListener: TransportListener, Sendable {
    public typealias Connection = WebSocketConnection

    /// The settings.
    public let configuration: WebSocketTransportConfiguration
    let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var handler: (@Sendable (WebSocketConnection) async -> Void)?
        var stopped = false
        var active = 0
        var connections: [ObjectIdentifier: WebSocketConnection] = [:]
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Makes a listener.
    public init(configuration: WebSocketTransportConfiguration = .init(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Registers `GET path` as the WebSocket upgrade route of `router`.
    public func addRoute<Context: WebSocketRequestContext>(to router: Router<Context>, at path: RouterPath) {
        let policy = configuration.allowedOrigins
        router.ws(
            path,
            shouldUpgrade: { [self] request, _ in
                let origins = request.headers[values: .origin]
                if let refused = origins.first(where: { !policy.admits($0) }) {
                    logger.notice("refused a WebSocket upgrade from a disallowed origin", metadata: ["origin": "\(refused)"])
                    throw HTTPError(.forbidden, message: "Origin \(refused) may not open realtime connections.")
                }
                guard isAccepting else {
                    throw HTTPError(.serviceUnavailable, message: "The server is not accepting realtime connections; retry later.")
                }
                return .upgrade([:])
            },
            onUpgrade: { [self] inbound, outbound, context in
                let address = Self.address(of: context.requestContext)
                let token = context.request.headers[.authorization].flatMap(ConnectionMetadata.bearerToken(fromAuthorizationHeader:))
                let connection = WebSocketConnection(
                    metadata: ConnectionMetadata(remoteAddress: address, bearerToken: token),
                    inbound: inbound, outbound: outbound, configuration: configuration)
                await run(connection)
            }
        )
    }

    /// A Hummingbird server builder: HTTP/1.1 with WebSocket upgrades routed through
    /// `router`, frame size enforced by the decoder, UTF-8 left to the protocol codec (so
    /// invalid text answers a typed error frame, not a bare close), compression off, and
    /// WebSocket-level pings off (the gateway pings at the protocol level).
    public func serverBuilder<Context: WebSocketRequestContext>(router: Router<Context>) -> HTTPServerBuilder {
        .http1WebSocketUpgrade(
            webSocketRouter: router,
            configuration: .init(
                http1: .init(),
                ws: .init(
                    maxFrameSize: configuration.maxFrameBytes, extensions: [], autoPing: .disabled,
                    closeTimeout: configuration.closeTimeout, validateUTF8: false)))
    }

    public func listen(_ handler: @escaping @Sendable (WebSocketConnection) async -> Void) async throws {
        let started = state.withLock { state -> Bool in
            guard state.handler == nil, !state.stopped else { return false }
            state.handler = handler
            return true
        }
        guard started else {
            throw TransportError(code: .listenerClosed, message: "This WebSocketListener is already listening or was stopped.")
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let stopped = state.withLock { state -> Bool in
                    if state.stopped { return true }
                    state.stopWaiters.append(continuation)
                    return false
                }
                if stopped { continuation.resume() }
            }
        } onCancel: {
            self.stopListening()
        }
        // Let the connections that are running finish.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                if state.active == 0 { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    public func stopListening() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.stopped = true
            defer { state.stopWaiters.removeAll() }
            return state.stopWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Closes every connection whose handler is running (shutdown: 1001 going away), those
    /// still in their protocol handshake included. Call ``stopListening()`` first so no new
    /// connection arrives meanwhile.
    public func closeAll(_ close: TransportClose) async {
        let open = state.withLock { Array($0.connections.values) }
        await withDiscardingTaskGroup { group in
            for connection in open { group.addTask { await connection.close(close) } }
        }
    }

    /// The number of upgraded connections whose handler is running.
    public var activeConnections: Int { state.withLock { $0.active } }

    /// Whether upgrades are accepted now: ``listen(_:)`` is running and
    /// ``stopListening()`` was not called. Before and after, upgrades are answered 503.
    public var isAccepting: Bool { state.withLock { $0.handler != nil && !$0.stopped } }

    private func run(_ connection: WebSocketConnection) async {
        let handler = state.withLock { state -> (@Sendable (WebSocketConnection) async -> Void)? in
            guard let handler = state.handler, !state.stopped else { return nil }
            state.active += 1
            state.connections[ObjectIdentifier(connection)] = connection
            return handler
        }
        guard let handler else {
            await connection.close(.goingAway, reason: "server shutting down; reconnect with backoff")
            return
        }
        await handler(connection)
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.active -= 1
            state.connections[ObjectIdentifier(connection)] = nil
            guard state.active == 0 else { return [] }
            defer { state.idleWaiters.removeAll() }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    static func address<Context>(of context: Context) -> String {
        guard let address = (context as? any RemoteAddressRequestContext)?.remoteAddress else { return "unknown" }
        return address.ipAddress ?? "\(address)"
    }
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
