import Logging
import ServiceLifecycle
import Synchronization

/// What `/readyz` reports besides the database check: whether migrations ran and whether
/// the server is shutting down.
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks.
final class Readiness: Sendable {
    private struct State {
        var migrated = false
        var draining = false
        var listenerCheck: (@Sendable () -> String?)?
    }

    private let state = Mutex(State())

    func markMigrated() { state.withLock { $0.migrated = true } }
    func markDraining() { state.withLock { $0.draining = true } }
    /// Sets the check of the cluster's listeners (event bus, revocation feed); it returns
    /// why they cannot serve, or `nil`.
    func setListenerCheck(_ check: @escaping @Sendable () -> String?) { state.withLock { $0.listenerCheck = check } }

    /// Why the server is not ready, or `nil` when it is (apart from the database check).
    var blocker: String? {
        state.withLock { state in
            if !state.migrated { return "migrations have not run yet" }
            if state.draining { return "the server is shutting down" }
            return state.listenerCheck?()
        }
    }
}

/// Flips readiness to "draining" as soon as graceful shutdown starts (it is the last
/// service of the group, so the first to hear of the shutdown).
struct ReadinessService: Service {
    let readiness: Readiness
    let logger: Logger
    /// Called at the same moment (the realtime listener stops accepting upgrades).
    var onDraining: @Sendable () -> Void = {}

    func run() async throws {
        try? await gracefulShutdown()
        readiness.markDraining()
        onDraining()
        logger.notice("shutting down: readiness is now 503; closing realtime connections, then draining HTTP")
    }
}
