/// Per-conversation retention: a policy ("delete messages older than N days") and the sweep
/// that applies it.
///
/// The sweep tombstones expired messages through the same path as a user's delete: each gets
/// a `message.deleted` event at the conversation's next `seq` (so the log stays gapless and
/// live subscribers see the deletion), its body, mentions, attachments and reactions are
/// dropped and it leaves the search index; a thread root keeps its replies, as after a user's
/// delete. The events' actor is the member who set the policy.
///
/// Thread safety: immutable; safe to share across tasks.
public struct RetentionService: Sendable {
    let context: ServiceContext

    /// The policy of a conversation, for a member; `nil` when messages are kept forever.
    public func policy(of conversationID: ConversationID, for user: UserID) async throws -> RetentionPolicy? {
        try await context.store.read { transaction in
            _ = try transaction.requireMembership(of: user, in: conversationID)
            return try transaction.retentionPolicy(of: conversationID)
        }
    }

    /// Sets (`days` 1…36,500) or removes (`nil`) the retention policy of a conversation.
    ///
    /// Groups and channels: owners and admins only (`forbidden` for members); a direct
    /// conversation has no roles, so either member may. Non-members get `notFound`. The sweep
    /// goes on from where it was when a policy replaces another.
    @discardableResult
    public func setPolicy(days: Int?, of conversationID: ConversationID, by actor: UserID) async throws -> RetentionPolicy? {
        let now = context.clock.now()
        // Validated before the transaction: a bad value never reaches the store.
        let requested = try days.map { days throws(MessagingError) in
            try RetentionPolicy(conversationID: conversationID, days: days, setBy: actor, setAt: now)
        }
        return try await context.write { transaction in
            let (conversation, me) = try transaction.requireMembership(of: actor, in: conversationID)
            if conversation.kind != .direct, me.role < .admin {
                throw MessagingError.forbidden(
                    "Your role (\(me.role)) may not set the retention policy; it needs at least admin. Ask an owner or admin.")
            }
            guard let requested else {
                try transaction.removeRetentionPolicy(of: conversationID)
                return nil
            }
            try transaction.setRetentionPolicy(requested)
            return try transaction.retentionPolicy(of: conversationID)
        }
    }

    /// One sweep: for up to `conversations` conversations with a policy (after `after`), one
    /// transaction each that tombstones up to `batchSize` expired messages, oldest first, so a
    /// huge conversation never holds the writer for long. Running it again is harmless: what
    /// was deleted stays deleted and nothing is appended twice.
    ///
    /// Messages are taken in `seq` order and the batch stops at the first message created at
    /// or after the cut-off (`now − days`), so "expired" is exact when creation times grow
    /// with `seq` (they do: both are set by the writer).
    ///
    /// - Parameters:
    ///   - batchSize: messages examined per conversation, 1…1,000 (clamped).
    ///   - conversations: conversations visited, 1…1,000 (clamped).
    ///   - after: the conversation the previous call ended after (its `resumeAfter`); `nil` starts from the first.
    public func sweep(batchSize: Int = 500, conversations: Int = 200, after: ConversationID? = nil) async throws
        -> RetentionSweep
    {
        let batchSize = min(max(batchSize, 1), 1000)
        let limit = min(max(conversations, 1), 1000)
        let policies = try await context.store.read { transaction in
            try transaction.retentionPolicies(after: after, limit: limit)
        }
        var sweep = RetentionSweep()
        for policy in policies {
            let (deleted, more) = try await sweepOne(policy.conversationID, batchSize: batchSize)
            sweep.conversations += 1
            sweep.deletedMessages += deleted
            if more { sweep.hasMore = true }
        }
        if policies.count == limit {
            sweep.hasMore = true
            sweep.resumeAfter = policies.last?.conversationID
        }
        return sweep
    }

    /// One batch of one conversation: how many messages it deleted and whether more may be expired.
    private func sweepOne(_ conversationID: ConversationID, batchSize: Int) async throws -> (Int, Bool) {
        let now = context.clock.now()
        return try await context.write { transaction in
            guard let policy = try transaction.retentionPolicy(of: conversationID),
                try transaction.conversation(id: conversationID) != nil
            else { return (0, false) }
            let cutoff = policy.cutoff(at: now)
            let batch = try transaction.messages(in: conversationID, after: policy.sweptSeq, limit: batchSize)
            var swept = policy.sweptSeq
            var deleted = 0
            var reachedUnexpired = false
            for message in batch {
                guard message.createdAt < cutoff else {
                    reachedUnexpired = true
                    break
                }
                if !message.isDeleted {
                    try transaction.deleteMessage(message, by: policy.setBy, at: now)
                    deleted += 1
                }
                swept = message.seq
            }
            if swept != policy.sweptSeq { try transaction.setRetentionSweptSeq(swept, of: conversationID) }
            return (deleted, !reachedUnexpired && batch.count == batchSize)
        }
    }
}
