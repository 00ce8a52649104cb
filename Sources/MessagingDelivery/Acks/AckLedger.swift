import MessagingCore

/// The acknowledgement state of every (session, conversation) subscription, as a plain
/// value whose transitions are tested synchronously. ``AckTracker`` holds it in a `Mutex`.
struct AckLedger<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    struct Key: Hashable, Sendable {
        let session: ConnectionID
        let conversation: ConversationID
    }

    struct CursorKey: Hashable, Sendable {
        let device: DeviceID
        let conversation: ConversationID
    }

    struct Entry: Sendable {
        let session: OutboundSession
        let conversation: ConversationID
        var ackedSeq: Int64
        /// Resends since the last progress.
        var redeliveries = 0
        /// When the next resend (or the offline decision) is due; `nil` while caught up.
        var deadline: Instant?
        /// Gave up resending until the device acknowledges again.
        var offline = false
        /// The hub finished the join (backlog queued); resends start only then.
        var active = false
        /// The `seq` the join caught the session up to (its backlog may pass the room's).
        var joinedThrough: Int64 = 0
    }

    /// Something the tracker must do outside the lock.
    enum Action: Sendable {
        /// Resend the events in `(after, through]`.
        case redeliver(OutboundSession, ConversationID, after: Int64, through: Int64)
        /// The device is treated as offline for the conversation: notify its user.
        case offline(OutboundSession, ConversationID, seq: Int64)
    }

    private(set) var entries: [Key: Entry] = [:]
    private(set) var dirty: [CursorKey: AckCursor] = [:]

    /// Tracks a subscription; acknowledgements count at once, resends start at ``activate(_:in:)``.
    mutating func subscribe(_ session: OutboundSession, to conversation: ConversationID, ackedSeq: Int64, active: Bool = true) {
        entries[Key(session: session.id, conversation: conversation)] = Entry(
            session: session, conversation: conversation, ackedSeq: ackedSeq, active: active)
    }

    /// Marks a join complete: from now on every delivered event is in the session's queue.
    mutating func activate(_ session: ConnectionID, in conversation: ConversationID, through seq: Int64) {
        entries[Key(session: session, conversation: conversation)]?.active = true
        entries[Key(session: session, conversation: conversation)]?.joinedThrough = seq
    }

    mutating func unsubscribe(_ session: ConnectionID, from conversation: ConversationID) {
        entries[Key(session: session, conversation: conversation)] = nil
    }

    mutating func unsubscribeAll(_ session: ConnectionID) {
        entries = entries.filter { $0.key.session != session }
    }

    /// A cumulative acknowledgement by `session` of everything through `seq`.
    /// `deliveredSeq` is the highest `seq` the hub handed to the conversation's sessions.
    mutating func acknowledge(
        _ session: ConnectionID, conversation: ConversationID, through seq: Int64, deliveredSeq: Int64?
    ) throws(DeliveryError) -> AckOutcome {
        let key = Key(session: session, conversation: conversation)
        guard var entry = entries[key] else {
            throw DeliveryError(
                code: .notSubscribed,
                message: "This session has not joined conversation \(conversation); join it before acknowledging its events.")
        }
        guard seq > entry.ackedSeq else { return .unchanged(cursor: entry.ackedSeq) }
        let delivered = max(deliveredSeq ?? 0, entry.joinedThrough)
        guard seq <= delivered else {
            throw DeliveryError(
                code: .invalidAcknowledgement,
                message: "The acknowledgement names seq \(seq), but only up to \(delivered) was delivered in this conversation.")
        }
        entry.ackedSeq = seq
        entry.redeliveries = 0
        entry.deadline = nil
        entry.offline = false
        entries[key] = entry
        let cursor = AckCursor(
            deviceID: entry.session.deviceID, userID: entry.session.userID, conversationID: conversation, ackedSeq: seq)
        dirty[CursorKey(device: cursor.deviceID, conversation: conversation)] = cursor
        return .advanced(to: seq)
    }

    /// Checks every subscription's deadline at `now` and returns the resends and offline
    /// decisions that are due.
    mutating func due(
        now: Instant, handedOut: (OutboundSession, ConversationID) -> Int64?, configuration: AckConfiguration,
        random: any RandomSource
    ) -> [Action] {
        var actions: [Action] = []
        for (key, var entry) in entries {
            defer { entries[key] = entry }
            // What the transport was handed, not what the hub queued: an event still waiting
            // in the session's queue was never written, so its timeout has not started.
            guard entry.active, entry.session.closeReason == nil,
                  let sent = handedOut(entry.session, entry.conversation), sent > entry.ackedSeq
            else {
                entry.redeliveries = 0
                entry.deadline = nil
                continue
            }
            guard !entry.offline else { continue }
            guard let deadline = entry.deadline else {
                entry.deadline = now.advanced(by: configuration.ackTimeout)
                continue
            }
            guard now >= deadline else { continue }
            if entry.session.queued.events > 0 {
                // The client is still being written to (a burst, or a slow reader): resending
                // now would only queue duplicates behind what it has not read yet.
                entry.deadline = now.advanced(by: configuration.ackTimeout)
                continue
            }
            if entry.redeliveries < configuration.maxRedeliveries {
                entry.redeliveries += 1
                let jitter = configuration.redeliveryBackoff.delay(forRetry: entry.redeliveries, using: random)
                entry.deadline = now.advanced(by: configuration.ackTimeout + .milliseconds(jitter))
                actions.append(.redeliver(entry.session, entry.conversation, after: entry.ackedSeq, through: sent))
            } else {
                entry.offline = true
                entry.deadline = nil
                actions.append(.offline(entry.session, entry.conversation, seq: sent))
            }
        }
        return actions
    }

    /// The cursors changed since the last call.
    mutating func takeDirty() -> [AckCursor] {
        defer { dirty.removeAll(keepingCapacity: true) }
        return Array(dirty.values)
    }

    /// Puts back cursors whose write failed (keeping any newer value).
    mutating func restoreDirty(_ cursors: [AckCursor]) {
        for cursor in cursors {
            let key = CursorKey(device: cursor.deviceID, conversation: cursor.conversationID)
            if let newer = dirty[key], newer.ackedSeq >= cursor.ackedSeq { continue }
            dirty[key] = cursor
        }
    }

    var dirtyCount: Int { dirty.count }

    func entry(_ session: ConnectionID, _ conversation: ConversationID) -> Entry? {
        entries[Key(session: session, conversation: conversation)]
    }
}
