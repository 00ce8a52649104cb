import Logging
import MessagingCore
import MessagingDelivery
import MessagingPresence
import MessagingWire
import ServiceLifecycle
import Synchronization

/// The realtime gateway: binds transport connections to the messaging services with
/// protocol v1.
///
/// For each connection (``handle(_:)``) it authenticates the first `auth` frame (or the
/// token the adapter took from the upgrade request's `Authorization` header) with the
/// `MessagingCore.AccessTokenVerifier`, caps connections per user, validates every
/// frame (`MessagingWire.FrameDecoder`), rate-limits every request per user and per client address,
/// answers each request through the use cases (which check membership and roles), streams
/// the events of subscribed conversations from the `MessagingDelivery.FanoutHub` via the
/// `MessagingDelivery.AckTracker`, and closes idle, half-open, abusive, slow and revoked
/// connections, and those whose access token expired (4401), with the close codes of
/// `MessagingWire.CloseCode`. A subscription ends with the `member.left` event of its own user.
///
/// Run it as a `Service` (its ``run()`` follows the `MessagingCore.SessionEvents` feed
/// and closes the connections of revoked sessions; on graceful shutdown it closes every
/// connection with 1001 going away), and hand it connections with ``handle(_:)`` or
/// ``serve(_:)``. The revocation feed is subscribed in `init`, so no revocation published
/// after the gateway was made is missed, even before `run()` starts.
///
/// Thread safety: safe to share across tasks; ``handle(_:)`` runs once per connection,
/// concurrently with any number of others.
public final class Gateway<C: Clock>: Service, Sendable where C.Duration == Duration {
    let messaging: Messaging
    let verifier: any AccessTokenVerifier
    let hub: FanoutHub
    let acks: AckTracker<C>
    /// Writes `read` frames, coalesced per member and conversation (``ReadReceiptCoalescer/record(_:upTo:by:)``);
    /// flushed by ``run()`` every 250 ms and once more at shutdown.
    let readReceipts: ReadReceiptCoalescer
    let presence: PresenceTracker<C>
    let pipeline: DeliveryPipeline
    let bus: any EventBus
    /// The settings.
    public let configuration: GatewayConfiguration
    let clock: C
    /// Reads the time that access tokens' expiries are compared with.
    let wallClock: any WallClock
    let logger: Logger
    let decoder: FrameDecoder
    let limiter: RateLimiter<C>
    /// The deployment-wide count of per-user requests (several nodes), or `nil` on one node.
    let sharedRateLimit: (any SharedRateLimit)?
    let registry = ConnectionRegistry<C.Instant>()
    let nextConnectionID = Atomic<UInt64>(1)
    /// Every connection's timeouts, expiry checks and pings.
    let timers: TimingWheel<C>
    /// Typing and presence frames, encoded once per change.
    let changeFrames = ChangeFrameCache()
    private let revocations: AsyncStream<SessionRevocation>
    /// Orders the block-list reads handed to sessions (``OutboundSession/setBlockedUsers(_:version:)``).
    let blockListReads = Atomic<UInt64>(0)

    /// Makes a gateway over the token verifier, the revocation feed, the delivery pieces
    /// (`MessagingDelivery.RealtimeDelivery`: hub, event bus, publishing use cases and
    /// acknowledgement tracker, built to agree) and the presence tracker.
    /// `wallClock` is what a connection's access-token expiry is checked against.
    /// `sharedRateLimit` makes the per-user rules of ``GatewayConfiguration/rateLimits``
    /// hold across several nodes (also what its windows are read against); leave it `nil`
    /// on one node.
    public init(
        verifier: any AccessTokenVerifier, sessionEvents: any SessionEvents, delivery: RealtimeDelivery<C>,
        presence: PresenceTracker<C>, configuration: GatewayConfiguration = .init(), messagingLimits: MessagingLimits = .default,
        clock: C, wallClock: any WallClock = SystemWallClock(), sharedRateLimit: (any SharedRateLimit)? = nil, logger: Logger
    ) {
        self.sharedRateLimit = sharedRateLimit
        // Every use case the gateway runs publishes what it commits (edits, reactions, devices…).
        let messaging = delivery.messaging
        let bus = delivery.bus
        self.messaging = messaging
        self.readReceipts = ReadReceiptCoalescer(
            messaging: messaging, window: .milliseconds(250), logger: logger,
            broadcast: { receipts in await Self.broadcast(receipts, messaging: messaging, bus: bus, logger: logger) })
        self.verifier = verifier
        self.hub = delivery.hub
        self.acks = delivery.acks
        self.bus = bus
        self.presence = presence
        self.pipeline = DeliveryPipeline(messaging: messaging, bus: bus)
        self.configuration = configuration
        self.clock = clock
        self.wallClock = wallClock
        self.logger = logger
        self.decoder = FrameDecoder(limits: configuration.protocolLimits, messagingLimits: messagingLimits)
        self.limiter = RateLimiter(clock: clock)
        self.timers = TimingWheel(tick: configuration.housekeepingInterval, clock: clock)
        self.revocations = sessionEvents.revocations()
    }

    /// Authenticated connections currently open.
    public var connectionCount: Int { registry.count }

    /// Authenticated connections of one user currently open.
    public func connectionCount(of user: UserID) -> Int { registry.count(of: user) }

    /// Events and bytes waiting in the outbound queues of a user's connections (or of every
    /// connection): what the server holds for clients that have not taken it yet. Each
    /// connection's share is bounded by ``GatewayConfiguration/outboundQueue``; a transport
    /// that streams sessions adds at most its socket buffer's high-water mark and one batch.
    public func queuedOutbound(of user: UserID? = nil) -> (events: Int, bytes: Int) {
        registry.sessions(of: user).reduce(into: (0, 0)) { total, session in
            let queued = session.queued
            total.0 += queued.events
            total.1 += queued.bytes
        }
    }

    /// Follows the revocation feed until graceful shutdown or cancellation, closing the
    /// connections of each revoked session with 4403, and flushes the read positions of
    /// `read` frames every 250 ms (once more at shutdown); then closes every connection with 1001.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await revocation in self.revocations {
                        if revocation.reason == .blockListChanged {
                            await self.refreshBlockList(of: revocation.userID)
                        } else {
                            await self.revoke(revocation.sessionID)
                        }
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        do { try await self.clock.sleep(for: .seconds(30)) } catch { return }
                        self.sweep()
                    }
                }
                group.addTask { try? await self.readReceipts.run() }
            }
        }
        await closeAll(TransportClose(code: .goingAway, reason: "server shutting down; reconnect with backoff"))
    }

    /// Accepts connections from `listener` until it stops, handling each.
    public func serve<Listener: TransportListener>(_ listener: Listener) async throws {
        try await listener.listen { connection in await self.handle(connection) }
    }

    /// Closes every open connection with `close` (shutdown: 1001 going away).
    public func closeAll(_ close: TransportClose) async {
        for closer in registry.all() { await closer(close) }
    }

    func revoke(_ session: SessionID) async {
        let closers = registry.revoke(session, at: clock.now)
        if !closers.isEmpty {
            logger.info("closing the connections of a revoked session", metadata: ["connections": "\(closers.count)"])
        }
        for closer in closers {
            await closer(TransportClose(code: .forbidden, reason: "session revoked"))
        }
    }

    /// Re-reads `user`'s block list and hands it to the user's open connections on this node:
    /// from then on they get the message events of blocked users withheld (same `seq`, no
    /// content). Call it after the user blocks or unblocks someone; the gateway also calls it
    /// for every `MessagingCore.RevocationReason.blockListChanged` notice of the session feed
    /// (other nodes' changes). Fanout itself never reads the store for it.
    public func refreshBlockList(of user: UserID) async {
        let sessions = registry.sessions(of: user)
        guard !sessions.isEmpty else { return }
        await loadBlockList(into: sessions, of: user)
    }

    /// Reads `user`'s block list once and sets it on `sessions` (a later read wins over an
    /// earlier one that finishes after it); `false` when the store could not be read.
    @discardableResult
    func loadBlockList(into sessions: [OutboundSession], of user: UserID) async -> Bool {
        let version = blockListReads.add(1, ordering: .relaxed).newValue
        do {
            let blocked = try await messaging.blocks.blockedUsers(of: user)
            for session in sessions { session.setBlockedUsers(blocked, version: version) }
            return true
        } catch {
            logger.warning("could not read a block list", metadata: ["error": "\(Self.code(of: error))"])
            return false
        }
    }

    /// Housekeeping: forgets old revocations and refilled rate-limit buckets.
    func sweep() {
        let now = clock.now
        registry.forgetRevocations(before: now.advanced(by: .zero - configuration.revokedSessionRetention))
        let limits = configuration.rateLimits
        limiter.prune { key in
            key.scope.hasPrefix("u:") ? limits.perUser[key.action] : limits.perAddress[key.action]
        }
    }
}
