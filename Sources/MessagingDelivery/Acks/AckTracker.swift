import Logging
import MessagingCore
import ServiceLifecycle
import Synchronization

/// Cumulative acknowledgements per device and conversation, batched cursor persistence,
/// and redelivery of what a live session did not acknowledge.
///
/// - A session joins through the tracker (``join(_:to:after:)``); it then acknowledges
///   with ``acknowledge(_:in:through:)``. A stale or duplicate acknowledgement changes
///   nothing; one for a conversation the session did not join, or for a `seq` never
///   delivered, is a typed ``DeliveryError``. Cursors are per device, so no
///   acknowledgement can move another device's cursor.
/// - Cursors are written in batches (every ``AckConfiguration/cursorFlushInterval`` or
///   ``AckConfiguration/cursorBatchSize`` changes), not once per acknowledgement.
/// - Events not acknowledged within ``AckConfiguration/ackTimeout`` are resent from the
///   store, with exponential backoff and full jitter between resends, at most
///   ``AckConfiguration/maxRedeliveries`` times; then the device counts as offline for the
///   conversation and a `MessagingCore.NotificationScan` of the conversation is enqueued
///   (coalesced with a waiting one): the scan notifies the members whose devices have not
///   received the messages, this device's user among them unless another of its devices did.
///
/// Run it in the host's `ServiceGroup`: its `run()` checks deadlines, flushes cursors and
/// sweeps the hub; on shutdown it flushes once more.
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks.
public final class AckTracker<C: Clock>: Service, Sendable where C.Duration == Duration {
    private let ledger = Mutex(AckLedger<C.Instant>())
    private let lastFlush: Mutex<C.Instant>
    private let hub: FanoutHub
    private let messaging: Messaging
    private let cursors: any AckCursorStore
    private let jobs: any JobQueue
    private let configuration: AckConfiguration
    private let clock: C
    private let wallClock: any WallClock
    private let random: any RandomSource
    private let logger: Logger

    /// Makes a tracker over the hub, the use cases (resends read the store), the cursor
    /// store and the job queue (offline notifications).
    public init(
        hub: FanoutHub, messaging: Messaging, cursors: any AckCursorStore, jobs: any JobQueue,
        configuration: AckConfiguration = .init(), clock: C, wallClock: any WallClock = SystemWallClock(),
        random: any RandomSource = SystemRandomSource(), logger: Logger
    ) {
        self.hub = hub
        self.messaging = messaging
        self.cursors = cursors
        self.jobs = jobs
        self.configuration = configuration
        self.clock = clock
        self.wallClock = wallClock
        self.random = random
        self.logger = logger
        lastFlush = Mutex(clock.now)
    }

    /// Joins `session` to a conversation and starts tracking it. `after` is the client's
    /// last `seq`; `nil` resumes from the device's persisted cursor (0 when none). Returns
    /// the `seq` the session is caught up to.
    @discardableResult
    public func join(_ session: OutboundSession, to conversationID: ConversationID, after seq: Int64?) async throws -> Int64 {
        var start = seq ?? 0
        if seq == nil {
            // Only this user's cursor: a device id is the client's word, and another user's
            // session naming the same id must not move where this one resumes.
            let saved = try await cursors.cursors(of: session.deviceID)
                .first { $0.conversationID == conversationID && $0.userID == session.userID }?.ackedSeq ?? 0
            // A cursor past the log's end (saved before `after` was bounded, or a restored
            // database) would be refused by the join: resume from the end instead.
            let last = try await messaging.conversations.conversation(conversationID, for: session.userID).lastSeq
            start = min(saved, last)
        }
        ledger.withLock { $0.subscribe(session, to: conversationID, ackedSeq: max(0, start), active: false) }
        do {
            let caughtUp = try await hub.join(session, to: conversationID, after: start)
            ledger.withLock { $0.activate(session.id, in: conversationID, through: caughtUp) }
            return caughtUp
        } catch {
            ledger.withLock { $0.unsubscribe(session.id, from: conversationID) }
            throw error
        }
    }

    /// Leaves one conversation.
    public func leave(_ session: OutboundSession, from conversationID: ConversationID) {
        hub.leave(session, from: conversationID)
        ledger.withLock { $0.unsubscribe(session.id, from: conversationID) }
    }

    /// Forgets a session that disconnected (its pending cursor changes are still flushed).
    public func disconnect(_ session: OutboundSession, from conversations: [ConversationID]) {
        for conversation in conversations { hub.leave(session, from: conversation) }
        ledger.withLock { $0.unsubscribeAll(session.id) }
    }

    /// A cumulative acknowledgement of every event through `seq`.
    @discardableResult
    public func acknowledge(
        _ session: OutboundSession, in conversationID: ConversationID, through seq: Int64
    ) throws(DeliveryError) -> AckOutcome {
        let delivered = hub.deliveredSeq(of: conversationID)
        let outcome = try ledger.withLock { (ledger) throws(DeliveryError) -> AckOutcome in
            try ledger.acknowledge(session.id, conversation: conversationID, through: seq, deliveredSeq: delivered)
        }
        failpoint(.cp6)
        return outcome
    }

    /// The acknowledged `seq` of a session in a conversation, if it joined.
    public func acknowledgedSeq(of session: OutboundSession, in conversationID: ConversationID) -> Int64? {
        ledger.withLock { $0.entry(session.id, conversationID)?.ackedSeq }
    }

    /// One round: resends and offline decisions that are due, then a cursor flush when
    /// one is due. `run()` calls this every ``AckConfiguration/tickInterval``.
    public func tick() async {
        let now = clock.now
        let actions = ledger.withLock { ledger in
            ledger.due(now: now, handedOut: { $0.handedOutSeq(in: $1) }, configuration: configuration, random: random)
        }
        for action in actions {
            switch action {
            case .redeliver(let session, let conversation, let after, let through):
                await redeliver(to: session, in: conversation, after: after, through: through)
            case .offline(let session, let conversation, let seq):
                await notifyOffline(session, in: conversation, seq: seq)
            }
        }
        let (count, since) = (ledger.withLock { $0.dirtyCount }, lastFlush.withLock { $0 })
        if count >= configuration.cursorBatchSize || (count > 0 && since.duration(to: now) >= configuration.cursorFlushInterval) {
            do {
                try await flush()
            } catch {
                logger.warning("persisting acknowledgement cursors failed; retrying next tick", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Persists every changed cursor in one transaction.
    public func flush() async throws {
        let batch = ledger.withLock { $0.takeDirty() }
        lastFlush.withLock { $0 = clock.now }
        guard !batch.isEmpty else { return }
        do {
            try await cursors.save(batch, at: wallClock.now())
        } catch {
            ledger.withLock { $0.restoreDirty(batch) }
            throw error
        }
        failpoint(.cp7)
    }

    /// Checks deadlines and flushes until shutdown; flushes once more on the way out.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var ticks = 0
            let sweepEvery = max(1, Int((self.configuration.gapSweepInterval / self.configuration.tickInterval).rounded(.up)))
            while !Task.isCancelled {
                do {
                    try await self.clock.sleep(for: self.configuration.tickInterval)
                } catch {
                    break
                }
                await self.tick()
                ticks += 1
                if ticks % sweepEvery == 0 { self.hub.sweep() }
            }
        }
        // Detached: the run task may be cancelled, and the flush must still reach the store.
        let logger = self.logger
        await Task.detached {
            do {
                try await self.flush()
            } catch {
                logger.error("final cursor flush failed; devices resume from older cursors", metadata: ["error": "\(error)"])
            }
        }.value
    }

    private func redeliver(to session: OutboundSession, in conversation: ConversationID, after: Int64, through: Int64) async {
        var cursor = after
        do {
            while cursor < through, session.closeReason == nil {
                let page = try await messaging.sync.events(
                    in: conversation, after: cursor, limit: configuration.redeliveryPageSize, for: session.userID)
                for event in page.events where event.seq <= through {
                    let encoded = try EncodedEvent(event)
                    // Under the ledger lock, so an acknowledgement that already covers the
                    // event is seen and nothing the device acknowledged is sent again.
                    let result = ledger.withLock { ledger -> OutboundSession.EnqueueResult? in
                        guard let acked = ledger.entry(session.id, conversation)?.ackedSeq, acked < event.seq else { return nil }
                        return session.enqueue(encoded)
                    }
                    if let result, result != .queued { return }
                    cursor = event.seq
                }
                if page.events.isEmpty || !page.hasMore { break }
            }
            logger.debug("resent unacknowledged events", metadata: [
                "session": "\(session.id)", "conversation": "\(conversation)", "after": "\(after)", "through": "\(cursor)",
            ])
        } catch {
            logger.warning("resending events failed", metadata: ["session": "\(session.id)", "error": "\(error)"])
        }
    }

    private func notifyOffline(_ session: OutboundSession, in conversation: ConversationID, seq: Int64) async {
        // The scan decides who is notified (mutes, blocks, own messages, other devices that
        // did receive them), exactly as for a send; it runs after the cursors were flushed.
        let scan = NotificationScan(conversationID: conversation, seq: seq)
        do {
            try await jobs.enqueue(scan.makeJob(windowMilliseconds: configuration.notificationWindowMilliseconds), at: wallClock.now())
            logger.info("device treated as offline for the conversation; notification scan enqueued", metadata: [
                "session": "\(session.id)", "conversation": "\(conversation)", "seq": "\(seq)",
            ])
        } catch {
            logger.error("enqueueing an offline notification scan failed", metadata: ["error": "\(error)"])
        }
    }

}
