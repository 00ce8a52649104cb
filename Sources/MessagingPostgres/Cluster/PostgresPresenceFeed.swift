import Logging
import MessagingCore
import MessagingPresence
import ServiceLifecycle

/// Pushes presence changes between the nodes of a cluster: listens on
/// ``PostgresChannels/presence``, where every ``PostgresPresenceStore`` write announces the
/// users it changed, and hands each announced batch from another node to `onChange`
/// (usually `PresenceTracker.refreshRemote(_:)`, which re-reads those users and tells this
/// node's watchers). Announcements of this node itself are skipped.
///
/// After each (re)connection `onChange` gets `nil`: announcements sent while nothing
/// listened are lost, so everything watched here is read again.
///
/// ```swift
/// let feed = PostgresPresenceFeed(store: store, listener: listener, node: nodeID, logger: logger) { users in
///     await tracker.refreshRemote(users)
/// }
/// // run feed in the ServiceGroup, beside the tracker
/// ```
///
/// Thread safety: immutable; safe to share across tasks. Run one `run()` per feed.
public final class PostgresPresenceFeed: Service, Sendable {
    private let loop: ListenLoop
    private let node: PresenceNodeID
    private let logger: Logger
    private let onChange: @Sendable ([UserID]?) async -> Void

    /// A feed on the presence channel of `store`'s configuration, through a connection of
    /// its own made with `listener`; `node` is this node's presence id (the one its
    /// ``PostgresPresenceStore`` announces with).
    public init(
        store: PostgresMessagingStore, listener: PostgresListenerConfiguration, node: PresenceNodeID, logger: Logger,
        onChange: @escaping @Sendable ([UserID]?) async -> Void
    ) {
        self.node = node
        self.logger = logger
        self.onChange = onChange
        loop = ListenLoop(configuration: listener, channel: store.configuration.channels.presence, logger: logger)
    }

    /// The LISTEN connection's state (for readiness and metrics).
    public var status: PostgresListenerStatus { loop.status.withLock { $0 } }

    /// Holds the LISTEN connection (reconnecting as needed) until cancelled or graceful shutdown.
    public func run() async throws {
        await loop.run(
            onListening: { [onChange] in await onChange(nil) },
            onNotification: { [self] payload in
                guard let (users, sender) = PresenceAnnouncement.parse(payload) else {
                    logger.warning("ignored a notification this library did not send", metadata: ["bytes": "\(payload.utf8.count)"])
                    return false
                }
                if sender != node.rawValue { await onChange(users) }
                return true
            })
    }
}
