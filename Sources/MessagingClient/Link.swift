import MessagingTransport
import MessagingWire
import Synchronization

/// One open connection of a ``RealtimeClient``: its ordered outbound frames, the requests
/// waiting for answers, and when something last arrived.
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks.
final class Link: Sendable {
    private struct State {
        var pending: [String: CheckedContinuation<ClientJSON, any Error>] = [:]
        var closed = false
        var lastReceived = ContinuousClock.now
    }

    let connection: any TransportConnection
    /// Frames to write, in order (one writer drains them).
    let outbound: AsyncStream<TransportFrame>
    private let outboundContinuation: AsyncStream<TransportFrame>.Continuation
    private let state = Mutex(State())

    init(connection: any TransportConnection) {
        self.connection = connection
        (outbound, outboundContinuation) = AsyncStream.makeStream(of: TransportFrame.self)
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    /// Queues a frame for the writer.
    func write(_ object: [String: ClientJSON]) {
        outboundContinuation.yield(.text(ClientJSON.object(object).text))
    }

    /// Registers the waiter of request `id`; when the link is closed already it fails at once
    /// and `false` is returned.
    func register(_ id: String, _ continuation: CheckedContinuation<ClientJSON, any Error>) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.pending[id] = continuation
            return true
        }
        if !accepted { continuation.resume(throwing: Self.closedError) }
        return accepted
    }

    /// Answers request `id` (once; later answers are ignored); `false` when nobody waited for it.
    @discardableResult
    func resolve(_ id: String, _ result: Result<ClientJSON, any Error>) -> Bool {
        guard let continuation = state.withLock({ $0.pending.removeValue(forKey: id) }) else { return false }
        continuation.resume(with: result)
        return true
    }

    /// Notes that a frame arrived.
    func touch() {
        state.withLock { $0.lastReceived = .now }
    }

    /// How long nothing has arrived.
    var silence: Duration { ContinuousClock.now - state.withLock { $0.lastReceived } }

    /// Marks the link closed, fails every waiting request and ends the writer.
    func close() {
        let waiting = state.withLock { state -> [CheckedContinuation<ClientJSON, any Error>] in
            state.closed = true
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for continuation in waiting { continuation.resume(throwing: Self.closedError) }
        outboundContinuation.finish()
    }

    static let closedError = RealtimeClientError(code: .notConnected, message: "The connection closed before the answer came.")
}
