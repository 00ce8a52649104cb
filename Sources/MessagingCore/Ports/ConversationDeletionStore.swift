/// Deleting a conversation's data after its owner deleted it (``ConversationService/delete(_:by:)``),
/// in bounded steps.
public protocol ConversationDeletionStore {
    /// Deletes up to `limit` messages of `conversation` (lowest `seq` first) with their search
    /// entries and reactions; returns how many it deleted.
    func purgeMessages(of conversation: ConversationID, limit: Int) throws -> Int
    /// Deletes up to `limit` events of the log of `conversation` (lowest `seq` first); returns how many.
    func purgeEvents(of conversation: ConversationID, limit: Int) throws -> Int
    /// Deletes what is left of `conversation`: memberships and read positions, key state, key
    /// envelopes of the conversation, acknowledgement cursors, its retention policy, and the
    /// conversation itself; its attachment records are released (unattached and expired) so
    /// the purge of expired uploads deletes their objects.
    func deleteConversation(_ conversation: ConversationID) throws
}
