/// Each user's block list.
///
/// A user who blocks another gets that user's messages withheld (``Message/withheld()``: same
/// `seq`, no content, ``Message/isHidden`` set) in history, sync, replies, single reads and
/// live delivery, finds none of them in search, and neither of the two can create a direct
/// conversation with the other (`blocked`). Blocking is private: the blocked user is told nothing.
///
/// Thread safety: immutable; safe to share across tasks.
public struct BlockService: Sendable {
    let context: ServiceContext

    /// Blocks `user` for `blocker` (at most ``ModerationLimits/maxBlocksPerUser`` blocks);
    /// blocking a blocked user returns the existing block.
    public func block(_ user: UserID, by blocker: UserID) async throws -> UserBlock {
        guard user != blocker else { throw MessagingError.invalidInput("You cannot block yourself.") }
        let now = context.clock.now()
        return try await context.write { transaction in
            guard try transaction.user(id: user) != nil else {
                throw MessagingError.notFound("No user has the id \(user).")
            }
            let blocks = try transaction.blocks(by: blocker)
            if let existing = blocks.first(where: { $0.blockedID == user }) { return existing }
            guard blocks.count < ModerationLimits.maxBlocksPerUser else {
                throw MessagingError.limitExceeded(
                    "You block \(ModerationLimits.maxBlocksPerUser) users, the limit; unblock one first.")
            }
            let block = UserBlock(blockerID: blocker, blockedID: user, createdAt: now)
            _ = try transaction.insert(block)
            return block
        }
    }

    /// Unblocks `user`; returns `false` when `blocker` did not block them.
    @discardableResult
    public func unblock(_ user: UserID, by blocker: UserID) async throws -> Bool {
        try await context.write { transaction in try transaction.deleteBlock(of: user, by: blocker) }
    }

    /// The users `blocker` blocks, ordered by user id.
    public func blocks(of blocker: UserID) async throws -> [UserBlock] {
        try await context.store.read { transaction in try transaction.blocks(by: blocker) }
    }

    /// The ids of the users `blocker` blocks (what a live session caches).
    public func blockedUsers(of blocker: UserID) async throws -> Set<UserID> {
        try await context.store.read { transaction in try transaction.blockedSenders(of: blocker) }
    }
}
