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
            try Self.requireReadable(seq, in: conversation)
            guard seq > initial.readSeq else { return initial }
            try transaction.setReadSeq(seq, of: user, in: conversationID)
            var member = initial
            member.readSeq = seq
            return member
        }
    }

    /// Moves the caller's read position forward to `seq`, as ``markRead(_:upTo:by:)``;
    /// returns whether it moved (an older or equal `seq` changes nothing): what a broadcast of
    /// read receipts sends.
    public func advanceRead(_ conversationID: ConversationID, upTo seq: Int64, by user: UserID) async throws -> Bool {
        try await context.write { transaction in
            let (conversation, member) = try transaction.requireMembership(of: user, in: conversationID)
            try Self.requireReadable(seq, in: conversation)
            guard seq > member.readSeq else { return false }
            try transaction.setReadSeq(seq, of: user, in: conversationID)
            return true
        }
    }

    /// Checks what ``markRead(_:upTo:by:)`` checks (membership, `seq` within the log) in a read
    /// transaction, without writing; returns the read position that call would leave. For
    /// callers that coalesce the writes (the gateway's `ReadReceiptCoalescer`).
    public func checkMarkRead(_ conversationID: ConversationID, upTo seq: Int64, by user: UserID) async throws -> Int64 {
        try await context.store.read { transaction in
            let (conversation, member) = try transaction.requireMembership(of: user, in: conversationID)
            try Self.requireReadable(seq, in: conversation)
            return max(seq, member.readSeq)
        }
    }

    /// The members' read and delivered positions (``MemberReceipt``), for a member; ordered
    /// by user id, keyset-paginated with `after` (the last user id seen). The read position
    /// of a member who hides read receipts is `nil`, except the caller's own.
    public func receipts(
        in conversationID: ConversationID, for user: UserID, after: UserID? = nil, limit: Int = 200
    ) async throws -> [MemberReceipt] {
        try requirePageLimit(limit, max: 1000, what: "receipt")
        return try await context.store.read { transaction in
            let (_, me) = try transaction.requireMembership(of: user, in: conversationID)
            return try transaction.receipts(in: conversationID, after: after, limit: limit).map { receipt in
                receipt.userID == user
                    ? MemberReceipt(userID: user, readSeq: me.readSeq, deliveredSeq: receipt.deliveredSeq) : receipt
            }
        }
    }

    /// Unread counts for every conversation of the user (messages from others after its read position).
    public func unreadCounts(for user: UserID) async throws -> [UnreadCount] {
        try await context.store.read { transaction in
            try transaction.unreadCounts(for: user)
        }
    }

    /// A read position must name a `seq` of the log (0 = nothing read).
    private static func requireReadable(_ seq: Int64, in conversation: Conversation) throws(MessagingError) {
        guard seq >= 0, seq <= conversation.lastSeq else {
            throw MessagingError.invalidInput(
                "Cannot mark seq \(seq) read: the conversation's seqs run from 1 to \(conversation.lastSeq).")
        }
    }
}
