import Foundation
import GRDB
import MessagingCore

// MARK: - UserFeedStore

extension SQLiteTransaction {
    func appendFeedEvent(
        _ payload: UserFeedEvent.Payload, for user: UserID, about conversation: ConversationID, at time: Timestamp
    ) throws -> UserFeedEvent {
        // Writes are serialized (one writer), so the largest seq plus one is free.
        let seq = try feedHead(of: user) + 1
        let entry = UserFeedEvent(userID: user, seq: seq, conversationID: conversation, occurredAt: time, payload: payload)
        try execute(
            "INSERT INTO user_feed (user_id, seq, conversation_id, occurred_at, payload) VALUES (?, ?, ?, ?, ?)",
            [RowCoding.blob(user), seq, RowCoding.blob(conversation), time.millisecondsSince1970, Data(try payload.storedJSON())])
        return entry
    }

    func feedEvents(of user: UserID, after seq: Int64, limit: Int) throws -> [UserFeedEvent] {
        try fetchAll(
            """
            SELECT seq, conversation_id, occurred_at, payload FROM user_feed
            WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?
            """,
            [RowCoding.blob(user), seq, limit]
        ) { row in
            guard let bytes = row[3] as Data?, let payload = UserFeedEvent.Payload(storedJSON: bytes) else {
                throw RowCoding.corrupt("a feed entry's payload is missing or does not decode")
            }
            return UserFeedEvent(
                userID: user, seq: row[0], conversationID: try RowCoding.id(row, 1), occurredAt: RowCoding.timestamp(row, 2),
                payload: payload)
        }
    }

    func feedHead(of user: UserID) throws -> Int64 {
        let head = try fetchOne("SELECT MAX(seq) FROM user_feed WHERE user_id = ?", [RowCoding.blob(user)]) { $0[0] as Int64? }
        return head.flatMap { $0 } ?? 0
    }
}

// MARK: - Settings and receipts

extension SQLiteTransaction {
    func settings(of user: UserID) throws -> UserSettings {
        let hides = try fetchOne(
            "SELECT hide_read_receipts FROM user_settings WHERE user_id = ?", [RowCoding.blob(user)]) { $0[0] as Bool }
        return UserSettings(hidesReadReceipts: hides ?? false)
    }

    func save(_ settings: UserSettings, of user: UserID) throws {
        try execute(
            """
            INSERT INTO user_settings (user_id, hide_read_receipts) VALUES (?, ?)
            ON CONFLICT (user_id) DO UPDATE SET hide_read_receipts = excluded.hide_read_receipts
            """,
            [RowCoding.blob(user), settings.hidesReadReceipts])
    }

    func usersHidingReadReceipts(among users: [UserID]) throws -> Set<UserID> {
        var hiding: Set<UserID> = []
        // Batches of 500 ids, below SQLite's bound-parameter limit.
        for start in stride(from: 0, to: users.count, by: 500) {
            let batch = users[start..<min(start + 500, users.count)]
            let marks = Array(repeating: "?", count: batch.count).joined(separator: ", ")
            let found: [UserID] = try fetchAll(
                "SELECT user_id FROM user_settings WHERE hide_read_receipts = 1 AND user_id IN (\(marks))",
                StatementArguments(batch.map { RowCoding.blob($0) })) { try RowCoding.id($0, 0) }
            hiding.formUnion(found)
        }
        return hiding
    }

    func receipts(in conversation: ConversationID, after user: UserID?, limit: Int) throws -> [MemberReceipt] {
        try fetchAll(
            """
            SELECT m.user_id, m.read_seq, COALESCE(s.hide_read_receipts, 0),
                (SELECT MAX(a.acked_seq) FROM ack_cursors a WHERE a.conversation_id = m.conversation_id AND a.user_id = m.user_id)
            FROM members m LEFT JOIN user_settings s ON s.user_id = m.user_id
            WHERE m.conversation_id = ? AND m.user_id > ? ORDER BY m.user_id LIMIT ?
            """,
            [RowCoding.blob(conversation), user.map { RowCoding.blob($0) } ?? Data(), limit]
        ) { row in
            let hidden: Bool = row[2]
            return MemberReceipt(
                userID: try RowCoding.id(row, 0), readSeq: hidden ? nil : row[1] as Int64, deliveredSeq: (row[3] as Int64?) ?? 0)
        }
    }
}
