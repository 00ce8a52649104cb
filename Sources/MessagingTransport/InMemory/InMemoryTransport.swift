import Synchronization

/// An in-process transport for tests and benchmarks: ``connect(metadata:)`` makes a
/// connected pair, returns the client end and hands the server end to ``listen(_:)``.
///
/// ```swift
/// let transport = InMemoryTransport()
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { try await transport.listen { connection in await gateway.handle(connection) } }
///     let client = try transport.connect(metadata: .init(remoteAddress: "192.0.2.1"))
///     try await client.write(.text(#"{"type":"auth","id":"1","token":"…"}"#))
///     transport.stopListening()
/// }
/// ```
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks.
public final class InMemoryTransport: TransportListener {
    /// Settings of the pairs this transport makes.
    ///
    /// Thread safety: a value type; safe to share across tasks.
    public struct Configuration: Hashable, Sendable {
        /// Unread frames each direction buffers before the writer suspends. Default 64.
        public var bufferCapacity: Int

        /// Makes settings.
        public init(bufferCapacity: Int = 64) { self.bufferCapacity = max(1, bufferCapacity) }
    }

    public typealias Connection = InMemoryConnection

    private struct State {
        var stopped = false
        var pending: [InMemoryConnection] = []
        var continuation: AsyncStream<InMemoryConnection>.Continuation?
    }

    /// The settings.
    public let configuration: Configuration
    private let state = Mutex(State())

    /// Makes a transport with no connections.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Makes a connected pair: returns the client end; the server end goes to the listener
    /// (queued until ``listen(_:)`` runs). Throws `listenerClosed` after ``stopListening()``.
    public func connect(metadata: ConnectionMetadata = .init(remoteAddress: "127.0.0.1")) throws -> InMemoryConnection {
        let (client, server) = Self.makePair(metadata: metadata, configuration: configuration)
        let accepted = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            if let continuation = state.continuation {
                continuation.yield(server)
            } else {
                state.pending.append(server)
            }
            return true
        }
        guard accepted else {
            throw TransportError(code: .listenerClosed, message: "The in-memory listener was stopped; make a new transport.")
        }
        return client
    }

    /// Makes a connected pair without a listener: `(client, server)`.
    public static func makePair(
        metadata: ConnectionMetadata = .init(remoteAddress: "127.0.0.1"), configuration: Configuration = .init()
    ) -> (client: InMemoryConnection, server: InMemoryConnection) {
        let shared = InMemoryConnection.Shared()
        let closed: @Sendable () -> TransportError = {
            TransportError(
                code: .connectionClosed, message: "The connection is closed; reconnect to continue.",
                close: shared.status.withLock { $0 })
        }
        let toServer = FrameChannel(capacity: configuration.bufferCapacity, closedError: closed)
        let toClient = FrameChannel(capacity: configuration.bufferCapacity, closedError: closed)
        let client = InMemoryConnection(
            metadata: ConnectionMetadata(remoteAddress: "server"), incoming: toClient, outgoing: toServer, shared: shared)
        let server = InMemoryConnection(metadata: metadata, incoming: toServer, outgoing: toClient, shared: shared)
        return (client, server)
    }

    public func listen(_ handler: @escaping @Sendable (InMemoryConnection) async -> Void) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: InMemoryConnection.self)
        let started = state.withLock { state -> Bool in
            guard !state.stopped, state.continuation == nil else { return false }
            state.continuation = continuation
            for connection in state.pending { continuation.yield(connection) }
            state.pending.removeAll()
            return true
        }
        guard started else {
            throw TransportError(code: .listenerClosed, message: "The in-memory listener is stopped or already listening.")
        }
        await withDiscardingTaskGroup { group in
            for await connection in stream {
                group.addTask { await handler(connection) }
            }
        }
    }

    public func stopListening() {
        let continuation = state.withLock { state -> AsyncStream<InMemoryConnection>.Continuation? in
            state.stopped = true
            return state.continuation.take()
        }
        continuation?.finish()
    }
}
