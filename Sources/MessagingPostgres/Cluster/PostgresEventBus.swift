import Logging
import MessagingCore
import MessagingDelivery
import ServiceLifecycle

/// The `MessagingDelivery.EventBus` of several nodes on one PostgreSQL database: events
/// are announced with `NOTIFY` in the transaction that commits them, and every node's bus
/// listens and hands them to its `MessagingDelivery.FanoutHub`.
///
/// - **Nothing uncommitted is announced.** ``PostgresMessagingStore`` sends `pg_notify`
///   inside the transaction that appends the events (``PostgresStoreConfiguration/announcesEvents``);
///   PostgreSQL delivers a notification only when its transaction commits, and in commit
///   order. `seq` is assigned under the conversation's row lock held until commit, so each
///   conversation's notifications arrive in `seq` order on every node.
/// - **Large events go by reference.** An event whose frame would pass NOTIFY's 8,000-byte
///   limit is announced as conversation id and `seq`; a node with sessions in that
///   conversation reads it from the store (nodes without sessions there read nothing).
/// - **Local publishes are immediate.** ``publish(_:)`` hands the event straight to this
///   node's hub; its own notification arrives a little later and the hub drops it as a
///   repeat (a room ignores `seq`s it already delivered).
/// - **A lost connection loses nothing.** The listener reconnects after
///   ``PostgresListenerConfiguration/reconnectDelay``; once listening again it reads, for
///   every conversation with a room on this node, the events after the room's delivered
///   `seq` from the store (at most ``catchUpLimit`` per conversation; beyond that the hub
///   closes the sessions with `resync` and the clients catch up themselves).
///
/// Run it as a `Service` (its ``run()`` holds the LISTEN connection until cancelled or
/// graceful shutdown). ``status`` reports the connection for readiness checks.
///
/// Thread safety: safe to share across tasks.
public final class PostgresEventBus: EventBus, Service, Sendable {
    private let hub: FanoutHub
    private let store: PostgresMessagingStore
    private let loop: ListenLoop
    private let feedLoop: ListenLoop
    private let ephemeralLoop: ListenLoop
    /// This bus's name in the notifications it sends (it skips its own).
    private let node = UUIDv7Generator().next().description
    private let logger: Logger
    /// The most events read from the store per conversation when catching up after a
    /// reconnection. 2,000.
    public let catchUpLimit = 2_000

    /// A bus feeding `hub`, listening on the channel of `store`'s configuration through a
    /// connection of its own made with `listener`.
    public init(hub: FanoutHub, store: PostgresMessagingStore, listener: PostgresListenerConfiguration, logger: Logger) {
        self.hub = hub
        self.store = store
        self.logger = logger
        loop = ListenLoop(configuration: listener, channel: store.configuration.channels.events, logger: logger)
        feedLoop = ListenLoop(configuration: listener, channel: store.configuration.channels.feed, logger: logger)
        ephemeralLoop = ListenLoop(configuration: listener, channel: store.configuration.channels.ephemeral, logger: logger)
    }

    /// The state of the LISTEN connection of events (for readiness and metrics).
    public var status: PostgresListenerStatus { loop.status.withLock { $0 } }

    /// The state of the LISTEN connection of feed entries (for readiness and metrics).
    public var feedStatus: PostgresListenerStatus { feedLoop.status.withLock { $0 } }

    /// The state of the LISTEN connection of frames outside the log (read receipts).
    public var ephemeralStatus: PostgresListenerStatus { ephemeralLoop.status.withLock { $0 } }

    /// Hands a committed event to this node's hub; the store already announced it to the
    /// other nodes in the transaction that committed it.
    public func publish(_ event: EncodedEvent) async throws {
        hub.publish(event)
    }

    /// Signals this node's feed followers; the store announced the entries to the other
    /// nodes (``PostgresChannels/feed``) in the transaction that committed them.
    public func publish(feed entries: [UserFeedEvent]) async throws {
        hub.feeds.signal(entries)
    }

    /// Hands a frame outside the log (a read receipt) to this node's hub and sends it to the
    /// other nodes with `NOTIFY` on ``PostgresChannels/ephemeral`` (one short transaction;
    /// best effort: a frame over 7,000 bytes, or a failed notification, reaches this node
    /// only). Each node skips its own notifications.
    public func publishEphemeral(_ event: EncodedEvent) async throws {
        hub.publishEphemeral(event)
        guard let payload = EphemeralAnnouncement.payload(for: event, node: node) else {
            logger.debug("a frame outside the log is too large to pass to other nodes", metadata: ["bytes": "\(event.payloadCount)"])
            return
        }
        let channel = store.configuration.channels.ephemeral
        _ = try await store.transaction(readOnly: false) { try $0.notify(channel, [payload], "passing a frame to other nodes") }
    }

    /// Holds the LISTEN connections of events, feed entries and frames outside the log
    /// (reconnecting as needed) until cancelled or graceful shutdown.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                await self.loop.run(
                    onListening: { [self] in await catchUp() },
                    onNotification: { [self] payload in await handle(payload) })
            }
            group.addTask {
                await self.ephemeralLoop.run(onListening: {}, onNotification: { [self] payload in handleEphemeral(payload) })
            }
            group.addTask {
                // Signals missed while not listening: every follower reads from its cursor.
                await self.feedLoop.run(
                    onListening: { [self] in hub.feeds.wakeAll() },
                    onNotification: { [self] payload in handleFeed(payload) })
            }
        }
    }

    /// Hands a frame another node passed on to this node's hub; `false` when it was rejected.
    func handleEphemeral(_ payload: String) -> Bool {
        guard let (conversationID, sender, json) = EphemeralAnnouncement.parse(payload) else {
            logger.warning("ignored a notification this library did not send", metadata: ["bytes": "\(payload.utf8.count)"])
            return false
        }
        guard sender != node, hub.hasRoom(for: conversationID) else { return true }
        hub.publishEphemeral(EncodedEvent(ephemeralIn: conversationID, bytes: Array(json.utf8)))
        return true
    }

    /// Signals the followers of the users a feed notification names; `false` when it was rejected.
    func handleFeed(_ payload: String) -> Bool {
        guard let heads = FeedAnnouncement.parse(payload) else {
            logger.warning("ignored a feed notification this library did not send", metadata: ["bytes": "\(payload.utf8.count)"])
            return false
        }
        for (user, seq) in heads { hub.feeds.signal(user, upTo: seq) }
        return true
    }

    /// Decodes one notification and publishes it on the hub; `false` when it was rejected.
    func handle(_ payload: String) async -> Bool {
        guard let announcement = EventAnnouncement(payload) else {
            logger.warning("ignored a notification this library did not send", metadata: ["bytes": "\(payload.utf8.count)"])
            return false
        }
        switch announcement {
        case .inline(let conversationID, let seq, let leaving, let sender, let json, let endsConversation):
            // Most nodes have no session in most conversations: frame nothing for them.
            guard hub.hasRoom(for: conversationID) else { return true }
            hub.publish(EncodedEvent(
                conversationID: conversationID, seq: seq, bytes: Array(json.utf8), endsMembershipOf: leaving, messageSender: sender,
                endsConversation: endsConversation))
            return true
        case .reference(let conversationID, let seq):
            guard hub.hasRoom(for: conversationID) else { return true }
            do {
                let events = try await store.read { try $0.events(in: conversationID, after: seq - 1, limit: 1) }
                guard let event = events.first, event.seq == seq else {
                    logger.warning("an announced event is not in the store", metadata: ["conversation": "\(conversationID)", "seq": "\(seq)"])
                    return false
                }
                hub.publish(try EncodedEvent(event))
                return true
            } catch {
                // The hub closes the room's sessions for resync if the gap stays open.
                logger.warning("could not read an announced event", metadata: ["conversation": "\(conversationID)", "seq": "\(seq)", "error": "\(error)"])
                return false
            }
        }
    }

    /// Reads what this node's rooms may have missed while no connection listened.
    func catchUp() async {
        let pageSize = 500
        for conversationID in hub.conversationsWithRooms {
            guard var cursor = hub.deliveredSeq(of: conversationID) else { continue }
            var read = 0
            do {
                while read < catchUpLimit {
                    let after = cursor
                    let page = try await store.read { try $0.events(in: conversationID, after: after, limit: pageSize) }
                    for event in page {
                        hub.publish(try EncodedEvent(event))
                        cursor = event.seq
                    }
                    read += page.count
                    if page.count < pageSize { break }
                }
            } catch {
                logger.warning("could not catch up a conversation after reconnecting", metadata: ["conversation": "\(conversationID)", "error": "\(error)"])
            }
        }
    }
}
