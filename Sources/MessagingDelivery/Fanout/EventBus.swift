import Logging
import MessagingCore

/// Carries committed events to the fanout hubs that have sessions for them.
///
/// Publish only after the event's transaction committed. A process that dies between
/// commit and publish loses nothing: reconnecting clients sync from their `seq`, and the
/// hub closes sessions that would otherwise see a gap.
///
/// Implementers: deliver each conversation's events to every subscribed hub in the order
/// they were published (a hub reorders by `seq` when publishers race); the local
/// implementation is ``InMemoryEventBus``, a multi-node one (PostgreSQL LISTEN/NOTIFY) runs
/// its listener as a `Service` and calls ``FanoutHub/publish(_:)`` on its node.
/// Implementations must be safe to call from any task.
public protocol EventBus: Sendable {
    /// Publishes a committed event.
    func publish(_ event: EncodedEvent) async throws

    /// Publishes the entries a committed transaction appended to users' feeds: every hub's
    /// ``FanoutHub/feeds`` is signalled (``FeedFollowers/signal(_:)-([UserFeedEvent])``),
    /// and its followers read the entries from the store.
    func publish(feed entries: [UserFeedEvent]) async throws

    /// Publishes a frame outside the log (``EncodedEvent/init(ephemeralIn:bytes:)``, a read
    /// receipt) to the sessions of its conversation on every hub
    /// (``FanoutHub/publishEphemeral(_:)``): best effort, nothing stored, nothing resent.
    func publishEphemeral(_ event: EncodedEvent) async throws
}

/// The in-process event bus: publishing hands the event straight to the local hub.
///
/// Thread safety: immutable; safe to share across tasks.
public struct InMemoryEventBus: EventBus {
    private let hub: FanoutHub

    /// A bus feeding `hub`.
    public init(hub: FanoutHub) {
        self.hub = hub
    }

    public func publish(_ event: EncodedEvent) async throws {
        hub.publish(event)
    }

    public func publish(feed entries: [UserFeedEvent]) async throws {
        hub.feeds.signal(entries)
    }

    public func publishEphemeral(_ event: EncodedEvent) async throws {
        hub.publishEphemeral(event)
    }
}

/// The delivering layer: a `MessagingCore.CommittedEventPublisher` that encodes each
/// committed event once (``EncodedEvent``) and publishes it on an ``EventBus``.
///
/// Attach it with `Messaging.publishing(to:)` and every use case publishes what it
/// committed, whoever called it. Every event goes on the bus, whether or not a session of
/// this process follows its conversation: a multi-node bus carries it to the others.
///
/// Thread safety: immutable; safe to share across tasks.
public struct EventBusPublisher: CommittedEventPublisher {
    private let bus: any EventBus
    private let logger: Logger

    /// A publisher onto `bus`; failures are logged on `logger`.
    public init(bus: any EventBus, logger: Logger) {
        self.bus = bus
        self.logger = logger
    }

    public func publish(_ events: [ConversationEvent]) async {
        for event in events {
            do {
                try await bus.publish(try EncodedEvent(event))
            } catch {
                // Committed all the same: subscribers fill the gap from the store (the hub
                // closes for resync the sessions that would otherwise wait for it).
                logger.warning(
                    "could not publish a committed event; subscribers will catch up from the store",
                    metadata: ["conversation": "\(event.conversationID)", "seq": "\(event.seq)", "error": "\(error)"])
            }
        }
    }

    public func publish(feed entries: [UserFeedEvent]) async {
        do {
            try await bus.publish(feed: entries)
        } catch {
            // Committed all the same: followers read their feeds from the store when woken
            // next, and clients resume from their feed seq.
            logger.warning("could not publish committed feed entries", metadata: ["entries": "\(entries.count)", "error": "\(error)"])
        }
    }
}
