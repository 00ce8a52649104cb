import Foundation
import GRDB
import MessagingCore

// MARK: - RetentionStore

extension SQLiteTransaction {
    private static let policyColumns = "conversation_id, retention_days, set_by, set_at, swept_seq"

    private func decodePolicy(_ row: Row) throws -> RetentionPolicy {
        let days: Int64 = row[1]
        guard let policy = try? RetentionPolicy(
            conversationID: RowCoding.id(row, 0), days: Int(clamping: days), setBy: RowCoding.id(row, 2),
            setAt: RowCoding.timestamp(row, 3), sweptSeq: row[4])
        else { throw RowCoding.corrupt("a retention policy is out of range") }
        return policy
    }

    func retentionPolicy(of conversation: ConversationID) throws -> RetentionPolicy? {
        try fetchOne(
            "SELECT \(Self.policyColumns) FROM retention_policies WHERE conversation_id = ?", [RowCoding.blob(conversation)],
            decodePolicy)
    }

    func setRetentionPolicy(_ policy: RetentionPolicy) throws {
        try execute(
            """
            INSERT INTO retention_policies (conversation_id, retention_days, set_by, set_at, swept_seq)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (conversation_id) DO UPDATE SET
                retention_days = excluded.retention_days, set_by = excluded.set_by, set_at = excluded.set_at
            """,
            [
                RowCoding.blob(policy.conversationID), Int64(policy.days), RowCoding.blob(policy.setBy),
                policy.setAt.millisecondsSince1970, policy.sweptSeq,
            ])
    }

    func removeRetentionPolicy(of conversation: ConversationID) throws {
        try execute("DELETE FROM retention_policies WHERE conversation_id = ?", [RowCoding.blob(conversation)])
    }

    func retentionPolicies(after conversation: ConversationID?, limit: Int) throws -> [RetentionPolicy] {
        guard let conversation else {
            return try fetchAll(
                "SELECT \(Self.policyColumns) FROM retention_policies ORDER BY conversation_id LIMIT ?", [limit], decodePolicy)
        }
        return try fetchAll(
            "SELECT \(Self.policyColumns) FROM retention_policies WHERE conversation_id > ? ORDER BY conversation_id LIMIT ?",
            [RowCoding.blob(conversation), limit], decodePolicy)
    }

    func setRetentionSweptSeq(_ seq: Int64, of conversation: ConversationID) throws {
        try execute(
            "UPDATE retention_policies SET swept_seq = ? WHERE conversation_id = ?", [max(0, seq), RowCoding.blob(conversation)])
    }
}

// MARK: - AccountDataStore

extension SQLiteTransaction {
    func undeletedMessages(from sender: UserID, in conversation: ConversationID, limit: Int) throws -> [MessageID] {
        // The (conversation_id, sender_id, client_message_id) unique index finds the sender's messages.
        try fetchAll(
            """
            SELECT id FROM messages WHERE conversation_id = ? AND sender_id = ? AND deleted_at IS NULL
            ORDER BY seq LIMIT ?
            """,
            [RowCoding.blob(conversation), RowCoding.blob(sender), limit]) { try RowCoding.id($0, 0) }
    }

    func deleteEnvelopes(ofDevicesOf user: UserID) throws {
        try execute(
            "DELETE FROM key_envelopes WHERE device_id IN (SELECT id FROM devices WHERE user_id = ?)", [RowCoding.blob(user)])
    }

    func markAccountDeleted(_ user: UserID, at time: Timestamp) throws {
        try execute(
            "INSERT INTO deleted_accounts (user_id, deleted_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING",
            [RowCoding.blob(user), time.millisecondsSince1970])
    }

    func isAccountDeleted(_ user: UserID) throws -> Bool {
        try fetchOne("SELECT 1 FROM deleted_accounts WHERE user_id = ?", [RowCoding.blob(user)]) { _ in true } ?? false
    }

    func eraseCredentialAndSessions(of user: UserID, displayName: String) throws {
        let id = RowCoding.blob(user)
        try execute(
            "DELETE FROM refresh_token_history WHERE session_id IN (SELECT id FROM auth_sessions WHERE user_id = ?)", [id])
        try execute("DELETE FROM auth_sessions WHERE user_id = ?", [id])
        try execute("DELETE FROM credentials WHERE user_id = ?", [id])
        try execute("UPDATE users SET display_name = ? WHERE id = ?", [displayName, id])
    }
}

// MARK: - ConversationDeletionStore

extension SQLiteTransaction {
    func purgeMessages(of conversation: ConversationID, limit: Int) throws -> Int {
        let batch = try fetchAll(
            """
            SELECT row_id, id, CASE WHEN kind <> 'encrypted' AND deleted_at IS NULL THEN body END
            FROM messages WHERE conversation_id = ? ORDER BY seq LIMIT ?
            """,
            [RowCoding.blob(conversation), limit]
        ) { row in (rowID: row[0] as Int64, id: row[1] as Data, body: row[2] as String?) }
        for message in batch {
            // The contentless index forgets a text only when told the text it indexed.
            if let body = message.body {
                try execute("INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', ?, ?)", [message.rowID, body])
            }
            try execute("DELETE FROM reactions WHERE message_id = ?", [message.id])
            try execute("DELETE FROM messages WHERE row_id = ?", [message.rowID])
        }
        return batch.count
    }

    func purgeEvents(of conversation: ConversationID, limit: Int) throws -> Int {
        let id = RowCoding.blob(conversation)
        try execute(
            """
            DELETE FROM events WHERE conversation_id = ?
                AND seq IN (SELECT seq FROM events WHERE conversation_id = ? ORDER BY seq LIMIT ?)
            """, [id, id, limit])
        return db.changesCount
    }

    func deleteConversation(_ conversation: ConversationID) throws {
        let id = RowCoding.blob(conversation)
        try execute("DELETE FROM members WHERE conversation_id = ?", [id])
        try execute("DELETE FROM key_envelopes WHERE conversation_id = ?", [id])
        try execute("DELETE FROM ack_cursors WHERE conversation_id = ?", [id])
        try execute("DELETE FROM notifications WHERE conversation_id = ?", [id])
        try execute("DELETE FROM notification_marks WHERE conversation_id = ?", [id])
        // conversation_keys and retention_policies go with the conversation (ON DELETE CASCADE).
        try execute("DELETE FROM conversation_keys WHERE conversation_id = ?", [id])
        try execute("DELETE FROM retention_policies WHERE conversation_id = ?", [id])
        // Its uploads are released, expired at once: the purge deletes their objects.
        try execute("UPDATE attachments SET message_id = NULL, expires_at = 0 WHERE conversation_id = ?", [id])
        try execute("DELETE FROM conversations WHERE id = ?", [id])
    }
}
