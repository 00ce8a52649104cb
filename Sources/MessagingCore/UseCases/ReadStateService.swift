/// Read positions (watermarks) and unread counts.
///
/// Thread safety: immutable; safe to share across tasks.
public struct ReadStateService: Sendable {
    let context: ServiceContext

    /// Moves the caller's read position forward to `seq`; an older `seq` changes nothing.
    /// Returns the membership with the resulting position.
    public func markRead(_ conversationID: ConversationID, upTo seq: Int64, by user: UserID) async throws -> Member {
        try await context.write { transaction in
            let (conversation, initial) = try transaction.requireMembership(of: user, in: conversationID)
            guard seq >= 0, seq <= conversation.lastSeq else {
                throw MessagingError.invalidInput(
                    "Cannot mark seq \(seq) read: the conversation's seqs run from 1 to \(conversation.lastSeq).")
            }
            guard seq > initial.readSeq else { return initial }
            try transaction.setReadSeq(seq, of: user, in: conversationID)
            var member = initial
            member.readSeq = seq
            return member
        }
    }

    /// Checks what ``markRead(_:upTo:by:)`` checks (membership, `seq` within the log) in a read
    /// transaction, without writing; returns the read position that call would leave. For
    /// callers that coalesce the writes (the gateway's `ReadReceiptCoalescer`).
    public func checkMarkRead(_ conversationID: ConversationID, upTo seq: Int64, by user: UserID) async throws -> Int64 {
        try await context.store.read { transaction in
            let (conversation, member) = try transaction.requireMembership(of: user, in: conversationID)
            guard seq >= 0, seq <= conversation.lastSeq else {
                throw MessagingError.invalidInput(
                    "Cannot mark seq \(seq) read: the conversation's seqs run from 1 to \(conversation.lastSeq).")
            }
            return max(seq, member.readSeq)
        }
    }

    /// Unread counts for every conversation of the user (messages from others after its read position).
    public func unreadCounts(for user: UserID) async throws -> [UnreadCount] {
        try await context.store.read { transaction in
            try transaction.unreadCounts(for: user)
        }
    }
}

/// The event log a reconnecting client syncs from.
///
/// Thread safety: immutable; safe to share across tasks.
public struct SyncService: Sendable {
    let context: ServiceContext

    /// Events with `seq > after`, ascending and gapless, at most `limit`, with whether more follow.
    ///
    /// `after` must lie in `0...lastSeq`: a position beyond the log's end names events that
    /// do not exist, and is `invalidInput` (a client whose cursor is ahead of the server's log
    /// resyncs from a position it really processed, or from 0).
    public func events(in conversationID: ConversationID, after seq: Int64, limit: Int = 200, for user: UserID) async throws -> EventPage {
        try requirePageLimit(limit, max: context.limits.maxEventPage, what: "event")
        guard seq >= 0 else {
            throw MessagingError.invalidInput("The sync position is a seq and cannot be negative; start from 0.")
        }
        return try await context.store.read { transaction in
            let (conversation, _) = try transaction.requireMembership(of: user, in: conversationID)
            guard seq <= conversation.lastSeq else {
                throw MessagingError.invalidInput(
                    "The sync position \(seq) is beyond the conversation's last seq \(conversation.lastSeq); "
                        + "resume from the last seq you processed (at most \(conversation.lastSeq)), or from 0.")
            }
            let rows = try transaction.events(in: conversationID, after: seq, limit: limit + 1)
            return EventPage(events: Array(rows.prefix(limit)), hasMore: rows.count > limit)
        }
    }
}
