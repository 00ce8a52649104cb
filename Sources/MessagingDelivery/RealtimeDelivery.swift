import Logging
import MessagingCore

/// The delivery pieces a realtime front end (such as `MessagingTransport`'s `Gateway`)
/// works with, built together so that they agree: one ``FanoutHub``, the ``EventBus`` that
/// feeds that hub, the use cases publishing what they commit to that bus, and the
/// ``AckTracker`` over the same hub.
///
/// ```swift
/// let delivery = RealtimeDelivery(
///     messaging: Messaging(store: store), cursors: store, jobs: SQLiteJobQueue(store: store),
///     clock: ContinuousClock(), logger: logger)   // an in-process bus; a cluster passes its own
/// ```
///
/// Run ``acks`` in the host's `ServiceGroup` (and the bus, when it is a service).
///
/// Thread safety: immutable; safe to share across tasks.
public struct RealtimeDelivery<C: Clock>: Sendable where C.Duration == Duration {
    /// The node's fanout hub.
    public let hub: FanoutHub
    /// The bus committed events travel on to ``hub`` (and to other nodes' hubs on a cluster).
    public let bus: any EventBus
    /// The use cases, publishing every event they commit to ``bus``.
    public let messaging: Messaging
    /// Acknowledgements, redelivery and offline detection over ``hub``.
    public let acks: AckTracker<C>

    /// Builds the hub over `messaging`'s store, the bus over the hub (`bus`; the default is
    /// an ``InMemoryEventBus``, one process), the publishing use cases and the tracker.
    ///
    /// `messaging` that publishes already (`MessagingCore.Messaging.publishing(to:)`) is
    /// kept as it is; otherwise it is made to publish to the bus.
    public init(
        messaging: Messaging, cursors: any AckCursorStore, jobs: any JobQueue, fanout: FanoutConfiguration = .init(),
        acknowledgements: AckConfiguration = .init(), clock: C, wallClock: any WallClock = SystemWallClock(), logger: Logger,
        bus makeBus: (FanoutHub) -> any EventBus = { InMemoryEventBus(hub: $0) }
    ) {
        let hub = FanoutHub(messaging: messaging, configuration: fanout, logger: logger)
        let bus = makeBus(hub)
        let publishing = messaging.isPublishing ? messaging : messaging.publishing(to: EventBusPublisher(bus: bus, logger: logger))
        self.hub = hub
        self.bus = bus
        self.messaging = publishing
        self.acks = AckTracker(
            hub: hub, messaging: publishing, cursors: cursors, jobs: jobs, configuration: acknowledgements, clock: clock,
            wallClock: wallClock, logger: logger)
    }
}
