import MessagingCore

/// Carries committed events to the fanout hubs that have sessions for them.
///
/// Publish only after the event's transaction committed. A process that dies between
/// commit and publish loses nothing: reconnecting clients sync from their `seq`, and the
/// hub closes sessions that would otherwise see a gap.
///
/// Implementers: deliver each conversation's events to every subscribed hub in the order
/// they were published (a hub reorders by `seq` when publishers race); the local
/// implementation is ``LocalEventBus``, a multi-node one (PostgreSQL LISTEN/NOTIFY) runs
/// its listener as a `Service` and calls ``FanoutHub/publish(_:)`` on its node.
/// Implementations must be safe to call from any task.
public protocol EventBus: Sendable {
    /// Publishes a committed event.
    func publish(_ event: EncodedEvent) async throws
}

/// The in-process event bus: publishing hands the event straight to the local hub.
///
/// Thread safety: immutable; safe to share across tasks.
public struct LocalEventBus: EventBus {
    private let hub: FanoutHub

    /// A bus feeding `hub`.
    public init(hub: FanoutHub) {
        self.hub = hub
    }

    public func publish(_ event: EncodedEvent) async throws {
        hub.publish(event)
    }
}
