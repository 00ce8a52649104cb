import Synchronization

/// The in-process ``SessionEvents``: publication hands each revocation synchronously to
/// every subscriber's stream buffer, so a subscriber in the same process sees it as soon
/// as it is scheduled.
///
/// Thread safety: subscribers behind a `Mutex`; safe to share across tasks.
public final class InMemorySessionEvents: SessionEvents {
    private struct State {
        var nextID = 0
        var subscribers: [Int: AsyncStream<SessionRevocation>.Continuation] = [:]
    }

    private let state = Mutex(State())

    /// Makes a feed with no subscribers.
    public init() {}

    /// The number of live subscriptions (for tests and metrics).
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    public func publish(_ revocation: SessionRevocation) async {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(revocation) }
    }

    public func revocations() -> AsyncStream<SessionRevocation> {
        let (stream, continuation) = AsyncStream.makeStream(of: SessionRevocation.self, bufferingPolicy: .unbounded)
        let id = state.withLock { state -> Int in
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }
}
