import Synchronization

/// The lifecycle every network listener of the package shares: ``listen(_:name:)`` holds the
/// handler until the listener is stopped and then waits for the running handlers; each
/// accepted connection is registered under a key while its handler runs, so the listener can
/// look it up (the SSE adapter's `POST`s) or close them all at shutdown.
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks.
package final class ListenerRegistry<Key: Hashable & Sendable, Connection: Sendable>: Sendable {
    package typealias Handler = @Sendable (Connection) async -> Void

    private struct State {
        var handler: Handler?
        var refusing = false
        var stopped = false
        var connections: [Key: Connection] = [:]
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    package init() {}

    /// Runs until ``stopListening()`` or cancellation, then until every registered connection
    /// was ``finish(_:)``ed. Throws `listenerClosed` when already listening or stopped.
    package func listen(_ handler: @escaping Handler, name: String) async throws {
        let started = state.withLock { state -> Bool in
            guard state.handler == nil, !state.stopped else { return false }
            state.handler = handler
            return true
        }
        guard started else {
            throw TransportError(code: .listenerClosed, message: "This \(name) is already listening or was stopped.")
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
                if state.connections.isEmpty { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// Refuses new connections from now on, without ending ``listen(_:name:)``.
    package func stopAccepting() {
        state.withLock { $0.refusing = true }
    }

    /// Stops accepting; ``listen(_:name:)`` returns once the running handlers finished.
    package func stopListening() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.stopped = true
            defer { state.stopWaiters.removeAll() }
            return state.stopWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Whether a new connection would be admitted now.
    package var isAccepting: Bool { state.withLock { $0.handler != nil && !$0.stopped && !$0.refusing } }

    /// Registers `connection` under `key` and returns the handler to run it with, or `nil`
    /// when the listener does not admit it (not listening, stopped, or — unless
    /// `whileRefusing` — refusing).
    package func admit(_ connection: Connection, as key: Key, whileRefusing: Bool = false) -> Handler? {
        state.withLock { state -> Handler? in
            guard let handler = state.handler, !state.stopped, whileRefusing || !state.refusing else { return nil }
            state.connections[key] = connection
            return handler
        }
    }

    /// Forgets the connection of `key` (its handler returned).
    package func finish(_ key: Key) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.connections[key] = nil
            guard state.connections.isEmpty else { return [] }
            defer { state.idleWaiters.removeAll() }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The connection registered under `key`.
    package func connection(_ key: Key) -> Connection? { state.withLock { $0.connections[key] } }

    /// Every registered connection.
    package var connections: [Connection] { state.withLock { Array($0.connections.values) } }

    /// How many connections are registered.
    package var count: Int { state.withLock { $0.connections.count } }
}
