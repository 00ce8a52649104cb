/// Per-conversation retention policies (migration `v7-retention` / `pg-v7-retention`).
public protocol RetentionStore {
    /// The policy of `conversation`, if it has one.
    func retentionPolicy(of conversation: ConversationID) throws -> RetentionPolicy?
    /// Sets the policy of its conversation, keeping the sweep position of a policy it replaces.
    func setRetentionPolicy(_ policy: RetentionPolicy) throws
    /// Removes the policy of `conversation` (nothing expires any more).
    func removeRetentionPolicy(of conversation: ConversationID) throws
    /// Up to `limit` policies ordered by conversation id, after `conversation` (exclusive).
    func retentionPolicies(after conversation: ConversationID?, limit: Int) throws -> [RetentionPolicy]
    /// Records the sweep position of a conversation's policy (no effect without a policy).
    func setRetentionSweptSeq(_ seq: Int64, of conversation: ConversationID) throws
}

/// What deleting an account needs beyond the other stores.
public protocol AccountDataStore {
    /// Up to `limit` ids of messages `sender` sent in `conversation` that are not deleted,
    /// in `seq` order.
    func undeletedMessages(from sender: UserID, in conversation: ConversationID, limit: Int) throws -> [MessageID]
    /// Deletes every key envelope in the inboxes of the devices of `user` (removed ones too).
    func deleteEnvelopes(ofDevicesOf user: UserID) throws
    /// Records that the account of `user` is being deleted (again: no change).
    func markAccountDeleted(_ user: UserID, at time: Timestamp) throws
    /// Whether the account of `user` was deleted (or is being deleted).
    func isAccountDeleted(_ user: UserID) throws -> Bool
}
