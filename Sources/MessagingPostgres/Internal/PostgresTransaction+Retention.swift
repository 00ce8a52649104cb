import Foundation
import MessagingCore
import PostgresNIO

// MARK: - RetentionStore

extension PostgresTransaction {
    private static let policyColumns = "conversation_id, retention_days, set_by, set_at, swept_seq"

    private func decodePolicy(_ row: Cells) throws -> RetentionPolicy {
        let days = try row.int64(1)
        let conversation: ConversationID = try row.id(0)
        let setBy: UserID = try row.id(2)
        guard let policy = try? RetentionPolicy(
            conversationID: conversation, days: Int(clamping: days), setBy: setBy, setAt: try row.timestamp(3),
            sweptSeq: try row.int64(4))
        else { throw PostgresCoding.corrupt("a retention policy is out of range") }
        return policy
    }

    func retentionPolicy(of conversation: ConversationID) throws -> RetentionPolicy? {
        try fetchOne(
            """
            SELECT \(unescaped: Self.policyColumns) FROM retention_policies
            WHERE conversation_id = \(PostgresCoding.uuid(conversation))
            """, "reading a retention policy", decodePolicy)
    }

    func setRetentionPolicy(_ policy: RetentionPolicy) throws {
        try execute(
            """
            INSERT INTO retention_policies (conversation_id, retention_days, set_by, set_at, swept_seq)
            VALUES (\(PostgresCoding.uuid(policy.conversationID)), \(Int64(policy.days)), \(PostgresCoding.uuid(policy.setBy)),
                \(policy.setAt.millisecondsSince1970), \(policy.sweptSeq))
            ON CONFLICT (conversation_id) DO UPDATE SET
                retention_days = excluded.retention_days, set_by = excluded.set_by, set_at = excluded.set_at
            """, "saving a retention policy")
    }

    func removeRetentionPolicy(of conversation: ConversationID) throws {
        try execute(
            "DELETE FROM retention_policies WHERE conversation_id = \(PostgresCoding.uuid(conversation))",
            "removing a retention policy")
    }

    func retentionPolicies(after conversation: ConversationID?, limit: Int) throws -> [RetentionPolicy] {
        guard let conversation else {
            return try fetchAll(
                "SELECT \(unescaped: Self.policyColumns) FROM retention_policies ORDER BY conversation_id LIMIT \(limit)",
                "listing retention policies", decodePolicy)
        }
        return try fetchAll(
            """
            SELECT \(unescaped: Self.policyColumns) FROM retention_policies
            WHERE conversation_id > \(PostgresCoding.uuid(conversation)) ORDER BY conversation_id LIMIT \(limit)
            """, "listing retention policies", decodePolicy)
    }

    func setRetentionSweptSeq(_ seq: Int64, of conversation: ConversationID) throws {
        try execute(
            """
            UPDATE retention_policies SET swept_seq = \(max(0, seq))
            WHERE conversation_id = \(PostgresCoding.uuid(conversation))
            """, "saving a retention sweep position")
    }
}

// MARK: - AccountDataStore

extension PostgresTransaction {
    func undeletedMessages(from sender: UserID, in conversation: ConversationID, limit: Int) throws -> [MessageID] {
        try fetchAll(
            """
            SELECT id FROM messages
            WHERE conversation_id = \(PostgresCoding.uuid(conversation)) AND sender_id = \(PostgresCoding.uuid(sender))
                AND deleted_at IS NULL
            ORDER BY seq LIMIT \(limit)
            """, "listing a sender's messages") { try $0.id(0) }
    }

    func deleteEnvelopes(ofDevicesOf user: UserID) throws {
        try execute(
            """
            DELETE FROM key_envelopes WHERE device_id IN (SELECT id FROM devices WHERE user_id = \(PostgresCoding.uuid(user)))
            """, "deleting key envelopes")
    }

    func markAccountDeleted(_ user: UserID, at time: Timestamp) throws {
        try execute(
            """
            INSERT INTO deleted_accounts (user_id, deleted_at) VALUES (\(PostgresCoding.uuid(user)), \(time.millisecondsSince1970))
            ON CONFLICT (user_id) DO NOTHING
            """, "marking an account deleted")
    }

    func isAccountDeleted(_ user: UserID) throws -> Bool {
        try fetchOne(
            "SELECT 1 FROM deleted_accounts WHERE user_id = \(PostgresCoding.uuid(user))", "reading a deleted account"
        ) { _ in true } ?? false
    }

    func eraseCredentialAndSessions(of user: UserID, displayName: String) throws {
        let id = PostgresCoding.uuid(user)
        try execute(
            "DELETE FROM refresh_token_history WHERE session_id IN (SELECT id FROM auth_sessions WHERE user_id = \(id))",
            "deleting refresh token hashes")
        try execute("DELETE FROM auth_sessions WHERE user_id = \(id)", "deleting sessions")
        try execute("DELETE FROM credentials WHERE user_id = \(id)", "deleting a credential")
        try execute("UPDATE users SET display_name = \(displayName) WHERE id = \(id)", "renaming a deleted user")
    }
}

// MARK: - ConversationDeletionStore

extension PostgresTransaction {
    func purgeMessages(of conversation: ConversationID, limit: Int) throws -> Int {
        let id = PostgresCoding.uuid(conversation)
        try execute(
            """
            DELETE FROM reactions WHERE message_id IN (
                SELECT id FROM messages WHERE conversation_id = \(id) ORDER BY seq LIMIT \(limit))
            """, "deleting a deleted conversation's reactions")
        // The search column goes with its row.
        return try execute(
            """
            DELETE FROM messages WHERE id IN (
                SELECT id FROM messages WHERE conversation_id = \(id) ORDER BY seq LIMIT \(limit))
            """, "deleting a deleted conversation's messages")
    }

    func purgeEvents(of conversation: ConversationID, limit: Int) throws -> Int {
        let id = PostgresCoding.uuid(conversation)
        return try execute(
            """
            DELETE FROM events WHERE conversation_id = \(id)
                AND seq IN (SELECT seq FROM events WHERE conversation_id = \(id) ORDER BY seq LIMIT \(limit))
            """, "deleting a deleted conversation's events")
    }

    func deleteConversation(_ conversation: ConversationID) throws {
        let id = PostgresCoding.uuid(conversation)
        try execute("DELETE FROM members WHERE conversation_id = \(id)", "deleting memberships")
        try execute("DELETE FROM key_envelopes WHERE conversation_id = \(id)", "deleting key envelopes")
        try execute("DELETE FROM ack_cursors WHERE conversation_id = \(id)", "deleting acknowledgement cursors")
        try execute("DELETE FROM notifications WHERE conversation_id = \(id)", "deleting notification records")
        try execute("DELETE FROM notification_marks WHERE conversation_id = \(id)", "deleting notified positions")
        try execute("DELETE FROM conversation_keys WHERE conversation_id = \(id)", "deleting a key state")
        try execute("DELETE FROM retention_policies WHERE conversation_id = \(id)", "deleting a retention policy")
        try execute(
            "UPDATE attachments SET message_id = NULL, expires_at = 0 WHERE conversation_id = \(id)",
            "releasing a deleted conversation's attachments")
        try execute("DELETE FROM conversations WHERE id = \(id)", "deleting a conversation")
    }
}
