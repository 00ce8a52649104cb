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
            var rows = try transaction.events(in: conversationID, after: seq, limit: limit + 1)
            // The extra row only says whether there is more; dropped in place (no copy).
            let hasMore = rows.count > limit
            if hasMore { rows.removeLast(rows.count - limit) }
            // Messages of users the reader blocks keep their seq, without content.
            let blocked = try transaction.blockedSenders(of: user)
            if !blocked.isEmpty { rows = rows.map { $0.shown(hiding: blocked) } }
            return EventPage(events: rows, hasMore: hasMore)
        }
    }
}
