import Hummingbird
import HummingbirdCore
import Logging
import MessagingSSE
import MessagingTesting
import MessagingTransport
import MessagingWebSocket
import NIOCore
import Synchronization

/// Hands the server ends a listener accepted to the test, and keeps each one's handler
/// running until the test is done with it.
final class ServerEnds<Connection: TransportConnection>: Sendable {
    private let stream: AsyncStream<Connection>
    private let continuation: AsyncStream<Connection>.Continuation
    private let released = Mutex<[ObjectIdentifier: CheckedContinuation<Void, Never>]>([:])
    private let done = Mutex<Set<ObjectIdentifier>>([])

    init() { (stream, continuation) = AsyncStream.makeStream(of: Connection.self) }

    /// The listener's handler: offers the connection, then waits for ``release()``.
    func handler(_ connection: Connection) async {
        continuation.yield(connection)
        let id = ObjectIdentifier(connection as AnyObject)
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let already = done.withLock { $0.contains(id) }
            if already { waiter.resume() } else { released.withLock { $0[id] = waiter } }
        }
    }

    /// The next server end.
    func next() async throws -> Connection {
        var iterator = stream.makeAsyncIterator()
        guard let connection = await iterator.next() else { throw TransportError(code: .listenerClosed, message: "no server end") }
        return connection
    }

    /// Lets the handler of `connection` return.
    func release(_ connection: Connection) {
        let id = ObjectIdentifier(connection as AnyObject)
        let waiter = released.withLock { $0.removeValue(forKey: id) }
        if let waiter { waiter.resume() } else { _ = done.withLock { $0.insert(id) } }
    }
}

/// A request context with the peer's address, for the adapters' routes.
struct TestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Runs `app` until `body` returns; `body` gets the bound port.
func withApplication<Responder: HTTPResponder>(
    router: Responder, server: HTTPServerBuilder = .http1(),
    listen: @escaping @Sendable () async throws -> Void, isAccepting: @escaping @Sendable () -> Bool,
    stop: @escaping @Sendable () -> Void, _ body: @escaping @Sendable (Int) async throws -> TransportClose?
) async throws -> TransportClose? where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
    let port = Mutex<Int?>(nil)
    let app = Application(
        responder: router, server: server, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } }, logger: Logger(label: "test"))
    return try await withThrowingTaskGroup(of: TransportClose??.self) { group in
        group.addTask {
            try await app.runService(gracefulShutdownSignals: [])
            return nil
        }
        group.addTask {
            try await listen()
            return nil
        }
        var bound: Int?
        for _ in 0..<500 {
            bound = port.withLock { $0 }
            if bound != nil, isAccepting() { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        guard let bound else { throw TransportError(code: .listenerClosed, message: "the test server did not start") }
        let close = try await body(bound)
        stop()
        group.cancelAll()
        return close
    }
}

struct InMemoryHarness: TransportConformanceHarness {
    var name: String { "InMemoryTransport" }
    var carriesBearerToken: Bool { true }
    var maxFrameBytes: Int { 65_536 }

    func withPair(
        bearerToken: String?,
        _ body: @escaping @Sendable (any TransportConnection, any TransportConnection) async throws -> Void
    ) async throws -> TransportClose? {
        let (client, server) = InMemoryTransport.makePair(metadata: .init(remoteAddress: "192.0.2.1", bearerToken: bearerToken))
        try await body(client, server)
        return client.closeStatus
    }
}

struct WebSocketHarness: TransportConformanceHarness {
    var name: String { "WebSocket" }
    var carriesBearerToken: Bool { true }
    var maxFrameBytes: Int { 65_536 }

    func withPair(
        bearerToken: String?,
        _ body: @escaping @Sendable (any TransportConnection, any TransportConnection) async throws -> Void
    ) async throws -> TransportClose? {
        let listener = WebSocketListener(configuration: .init(maxFrameBytes: 2 * maxFrameBytes), logger: Logger(label: "test"))
        let router = Router(context: RealtimeRequestContext.self)
        listener.addRoute(to: router, at: "/ws")
        let ends = ServerEnds<WebSocketConnection>()
        return try await withApplication(
            router: router.buildResponder(), server: listener.serverBuilder(),
            listen: { try await listener.listen(ends.handler) }, isAccepting: { listener.isAccepting },
            stop: { listener.stopListening() }
        ) { port in
            let client = WebSocketTransportClient(url: "ws://127.0.0.1:\(port)/ws", bearerToken: bearerToken, logger: Logger(label: "test"))
            let outcome = try await client.withConnection { connection in
                let server = try await ends.next()
                defer { ends.release(server) }
                try await body(connection, server)
            }
            return outcome.close
        }
    }
}

struct SSEHarness: TransportConformanceHarness {
    var name: String { "Server-Sent Events" }
    var carriesBearerToken: Bool { true }
    var maxFrameBytes: Int { 65_536 }
    var configuration = SSETransportConfiguration()

    func withPair(
        bearerToken: String?,
        _ body: @escaping @Sendable (any TransportConnection, any TransportConnection) async throws -> Void
    ) async throws -> TransportClose? {
        try await withSSEServer(configuration: configuration) { port, ends in
            let client = SSETransportClient(url: "http://127.0.0.1:\(port)/events", bearerToken: bearerToken, logger: Logger(label: "test"))
            let outcome = try await client.withConnection { connection in
                let server = try await ends.next()
                defer { ends.release(server) }
                try await body(connection, server)
            }
            return outcome.close
        }
    }
}

/// Runs an SSE listener at `/events` on loopback for `body`.
func withSSEServer(
    configuration: SSETransportConfiguration = .init(), listening: Bool = true,
    _ body: @escaping @Sendable (Int, ServerEnds<SSEConnection>) async throws -> TransportClose?
) async throws -> TransportClose? {
    let listener = SSEListener(configuration: configuration, logger: Logger(label: "test"))
    let router = Router(context: TestContext.self)
    listener.addRoutes(to: router, at: "/events")
    let ends = ServerEnds<SSEConnection>()
    return try await withApplication(
        router: router.buildResponder(),
        listen: { if listening { try await listener.listen(ends.handler) } },
        isAccepting: { !listening || listener.isAccepting }, stop: { listener.stopListening() }
    ) { port in
        try await body(port, ends)
    }
}
