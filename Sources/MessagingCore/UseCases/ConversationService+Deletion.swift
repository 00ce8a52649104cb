extension ConversationService {
    /// The queue of the jobs that finish deleting a conversation's data (see ``delete(_:by:)``).
    public static let purgeQueue = "conversations.purge"

    /// Deletes a group or channel: its owner only (`forbidden` for admins and members,
    /// `notFound` for non-members; a direct conversation has no owner and cannot be deleted:
    /// `forbidden`).
    ///
    /// One transaction ends every membership and appends a `conversation.deleted` event (the
    /// log's last), so from its commit every request about the conversation answers
    /// `notFound` and every live session receives the event and nothing after it. It also
    /// enqueues a ``purgeQueue`` job (outbox): the data is then deleted in short batches
    /// (``purgeDeleted(_:)``), here at once and by that job if this process stops half-way.
    ///
    /// Deleted: messages (with their search entries and reactions), the event log, memberships
    /// and read positions, key state and the conversation's key envelopes, acknowledgement
    /// cursors, the retention policy, the conversation. Kept: users, devices, notification jobs
    /// already queued (they name the conversation by id only).
    public func delete(_ conversationID: ConversationID, by actor: UserID) async throws {
        let now = context.clock.now()
        try await context.write(feed: { transaction in
            let (conversation, me) = try transaction.requireMembership(of: actor, in: conversationID)
            guard conversation.kind != .direct else {
                throw MessagingError.forbidden("A direct conversation has no owner and cannot be deleted.")
            }
            guard me.role == .owner else {
                throw MessagingError.forbidden("Only an owner may delete this conversation; your role is \(me.role).")
            }
            // Every member's feed says so (their conversation lists drop it), then the memberships end.
            let feed = try transaction.appendFeedEventToMembers(.deleted(by: actor), of: conversationID, at: now)
            while true {
                let page = try transaction.members(of: conversationID, after: nil, limit: 500)
                if page.isEmpty { break }
                for member in page { try transaction.removeMember(member.userID, from: conversationID) }
            }
            try transaction.record({ _ in .conversationDeleted }, in: conversationID, by: actor, at: now)
            try transaction.enqueue(
                NewJob(queue: Self.purgeQueue, payload: Array(conversationID.description.utf8), maxAttempts: 8), at: now)
            return ((), feed)
        })
        try await purgeDeleted(conversationID)
    }

    /// Deletes the data of a conversation deleted by ``delete(_:by:)``, in batches of 500 rows
    /// per transaction; a conversation that still has members is left alone (it was not
    /// deleted), one that is gone already is nothing to do. Idempotent.
    public func purgeDeleted(_ conversationID: ConversationID) async throws {
        let deleted = try await context.store.read { transaction in
            try transaction.conversation(id: conversationID) != nil
                && transaction.memberCount(of: conversationID, role: nil) == 0
        }
        guard deleted else { return }
        while try await context.store.write({ try $0.purgeMessages(of: conversationID, limit: 500) }) == 500 {}
        while try await context.store.write({ try $0.purgeEvents(of: conversationID, limit: 1000) }) == 1000 {}
        try await context.store.write { transaction in
            guard try transaction.memberCount(of: conversationID, role: nil) == 0 else { return }
            try transaction.deleteConversation(conversationID)
        }
    }
}
