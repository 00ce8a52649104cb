/// Each user's feed of changes to their conversation list (``UserFeedEvent``): what a client
/// follows to learn, without polling, that it was added to a conversation, removed from one,
/// or that one it is in was renamed.
///
/// The conversation use cases append the entries in the transaction of the change; a feed is
/// readable by its own user only, so there is nothing to check beyond who asks.
///
/// Thread safety: immutable; safe to share across tasks.
public struct UserFeedService: Sendable {
    let context: ServiceContext

    /// Entries of `user`'s feed with `seq > after`, ascending and gapless, at most `limit`,
    /// with whether more follow and the feed's last `seq`.
    ///
    /// `after` must lie in `0...head`: a position beyond the feed's end names entries that
    /// do not exist, and is `invalidInput` (the client resumes from a position it really
    /// processed, or from 0).
    public func events(for user: UserID, after seq: Int64, limit: Int = 200) async throws -> UserFeedPage {
        try requirePageLimit(limit, max: context.limits.maxEventPage, what: "feed entry")
        try Self.requirePosition(seq)
        return try await context.store.read { transaction in
            let head = try transaction.feedHead(of: user)
            try Self.require(seq, within: head)
            var rows = try transaction.feedEvents(of: user, after: seq, limit: limit + 1)
            let hasMore = rows.count > limit
            if hasMore { rows.removeLast(rows.count - limit) }
            return UserFeedPage(events: rows, hasMore: hasMore, head: head)
        }
    }

    /// The feed's last `seq` and the unread counts of every conversation of `user`, from one
    /// snapshot; `after`, when given, is checked as in ``events(for:after:limit:)``.
    public func state(for user: UserID, after seq: Int64? = nil) async throws -> UserFeedState {
        if let seq { try Self.requirePosition(seq) }
        return try await context.store.read { transaction in
            let head = try transaction.feedHead(of: user)
            if let seq { try Self.require(seq, within: head) }
            return UserFeedState(head: head, unread: try transaction.unreadCounts(for: user))
        }
    }

    private static func requirePosition(_ seq: Int64) throws(MessagingError) {
        guard seq >= 0 else {
            throw MessagingError.invalidInput("The feed position is a seq and cannot be negative; start from 0.")
        }
    }

    private static func require(_ seq: Int64, within head: Int64) throws(MessagingError) {
        guard seq <= head else {
            throw MessagingError.invalidInput(
                "The feed position \(seq) is beyond your feed's last seq \(head); "
                    + "resume from the last seq you processed (at most \(head)), or from 0.")
        }
    }
}

extension MessagingTransaction {
    /// Appends the same change to the feeds of every member of `conversation` (pages of
    /// 1,000 members), returning the entries.
    func appendFeedEventToMembers(
        _ payload: UserFeedEvent.Payload, of conversation: ConversationID, at time: Timestamp
    ) throws -> [UserFeedEvent] {
        var entries: [UserFeedEvent] = []
        var after: UserID?
        while true {
            let page = try members(of: conversation, after: after, limit: 1000)
            for member in page {
                entries.append(try appendFeedEvent(payload, for: member.userID, about: conversation, at: time))
            }
            guard page.count == 1000, let last = page.last else { return entries }
            after = last.userID
        }
    }
}
