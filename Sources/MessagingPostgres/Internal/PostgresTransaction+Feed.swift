import Foundation
import MessagingCore
import PostgresNIO

// MARK: - UserFeedStore

extension PostgresTransaction {
    func appendFeedEvent(
        _ payload: UserFeedEvent.Payload, for user: UserID, about conversation: ConversationID, at time: Timestamp
    ) throws -> UserFeedEvent {
        let id = PostgresCoding.uuid(user)
        // The counter row's update locks it until this transaction ends: appends to one
        // user's feed from concurrent transactions take their turns and distinct seqs.
        guard let seq = try fetchOne(
            """
            INSERT INTO user_feed_heads (user_id, head) VALUES (\(id), 1)
            ON CONFLICT (user_id) DO UPDATE SET head = user_feed_heads.head + 1 RETURNING head
            """, "taking the next feed seq", { try $0.int64(0) })
        else { throw PostgresCoding.corrupt("the feed counter returned no row") }
        let json = String(decoding: try payload.storedJSON(), as: UTF8.self)
        try execute(
            """
            INSERT INTO user_feed (user_id, seq, conversation_id, occurred_at, payload)
            VALUES (\(id), \(seq), \(PostgresCoding.uuid(conversation)), \(time.millisecondsSince1970), \(json))
            """, "appending a feed entry")
        let entry = UserFeedEvent(userID: user, seq: seq, conversationID: conversation, occurredAt: time, payload: payload)
        record.feed.append(entry)
        return entry
    }

    func feedEvents(of user: UserID, after seq: Int64, limit: Int) throws -> [UserFeedEvent] {
        try fetchAll(
            """
            SELECT seq, conversation_id, occurred_at, payload FROM user_feed
            WHERE user_id = \(PostgresCoding.uuid(user)) AND seq > \(seq) ORDER BY seq LIMIT \(limit)
            """, "reading a feed"
        ) { row in
            guard let payload = UserFeedEvent.Payload(storedJSON: Array(try row.string(3).utf8)) else {
                throw PostgresCoding.corrupt("a feed entry's payload does not decode")
            }
            return UserFeedEvent(
                userID: user, seq: try row.int64(0), conversationID: try row.id(1), occurredAt: try row.timestamp(2),
                payload: payload)
        }
    }

    func feedHead(of user: UserID) throws -> Int64 {
        try fetchOne(
            "SELECT head FROM user_feed_heads WHERE user_id = \(PostgresCoding.uuid(user))", "reading a feed's head",
            { try $0.int64(0) }) ?? 0
    }
}

// MARK: - Settings and receipts

extension PostgresTransaction {
    func settings(of user: UserID) throws -> UserSettings {
        let hides = try fetchOne(
            "SELECT hide_read_receipts FROM user_settings WHERE user_id = \(PostgresCoding.uuid(user))", "reading settings",
            { try $0.bool(0) })
        return UserSettings(hidesReadReceipts: hides ?? false)
    }

    func save(_ settings: UserSettings, of user: UserID) throws {
        try execute(
            """
            INSERT INTO user_settings (user_id, hide_read_receipts) VALUES (\(PostgresCoding.uuid(user)), \(settings.hidesReadReceipts))
            ON CONFLICT (user_id) DO UPDATE SET hide_read_receipts = excluded.hide_read_receipts
            """, "saving settings")
    }

    func usersHidingReadReceipts(among users: [UserID]) throws -> Set<UserID> {
        Set(try fetchAll(
            """
            SELECT user_id FROM user_settings WHERE hide_read_receipts AND user_id = ANY(\(PostgresCoding.uuids(users)))
            """, "reading read-receipt settings", { try $0.id(0) as UserID }))
    }

    func receipts(in conversation: ConversationID, after user: UserID?, limit: Int) throws -> [MemberReceipt] {
        let floor = PostgresCoding.uuid(user) ?? UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        return try fetchAll(
            """
            SELECT m.user_id, m.read_seq, COALESCE(s.hide_read_receipts, false),
                (SELECT MAX(a.acked_seq) FROM ack_cursors a WHERE a.conversation_id = m.conversation_id AND a.user_id = m.user_id)
            FROM members m LEFT JOIN user_settings s ON s.user_id = m.user_id
            WHERE m.conversation_id = \(PostgresCoding.uuid(conversation)) AND m.user_id > \(floor)
            ORDER BY m.user_id LIMIT \(limit)
            """, "reading receipts"
        ) { row in
            let hidden = try row.bool(2)
            return MemberReceipt(
                userID: try row.id(0), readSeq: hidden ? nil : try row.int64(1), deliveredSeq: try row.optionalInt64(3) ?? 0)
        }
    }
}
