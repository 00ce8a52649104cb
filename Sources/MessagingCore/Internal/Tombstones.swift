/// The one deletion path of messages: a user's delete, the retention sweep and account
/// deletion all tombstone through it, so every deletion looks the same in the log.
extension MessagingTransaction {
    /// Tombstones `message` (body, mentions, attachments and reactions dropped, unindexed) and
    /// appends its `message.deleted` event at the conversation's next `seq`; returns the
    /// tombstone. A message already deleted is returned unchanged and appends nothing.
    @discardableResult
    func deleteMessage(_ message: Message, by actor: UserID, at now: Timestamp) throws -> Message {
        guard !message.isDeleted else { return message }
        var message = message
        let seq = try nextSeq(of: message.conversationID, at: now)
        try tombstone(message.id, at: now)
        message.body = nil
        message.mentions = []
        message.attachments = []
        message.deletedAt = now
        try append(ConversationEvent(
            conversationID: message.conversationID, seq: seq, actorID: actor, occurredAt: now,
            payload: .messageDeleted(message)))
        return message
    }
}
