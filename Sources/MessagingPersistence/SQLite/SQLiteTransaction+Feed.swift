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
            [RowCoding.blob(user), seq, RowCoding.blob(conversation), time.millisecondsSince1970, try FeedCoding.encode(payload)])
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
            guard let payload = row[3] as Data? else { throw RowCoding.corrupt("a feed entry has no payload") }
            return UserFeedEvent(
                userID: user, seq: row[0], conversationID: try RowCoding.id(row, 1), occurredAt: RowCoding.timestamp(row, 2),
                payload: try FeedCoding.decode(payload))
        }
    }

    func feedHead(of user: UserID) throws -> Int64 {
        let head = try fetchOne("SELECT MAX(seq) FROM user_feed WHERE user_id = ?", [RowCoding.blob(user)]) { $0[0] as Int64? }
        return head.flatMap { $0 } ?? 0
    }
}

/// The stored form of a feed entry's payload: its JSON (`Codable`, sorted keys).
enum FeedCoding {
    static func encode(_ payload: UserFeedEvent.Payload) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        do {
            return try encoder.encode(payload)
        } catch {
            throw MessagingError(code: .storage, message: "A feed entry could not be encoded: \(error)")
        }
    }

    static func decode(_ data: Data) throws -> UserFeedEvent.Payload {
        do {
            return try JSONDecoder().decode(UserFeedEvent.Payload.self, from: data)
        } catch {
            throw RowCoding.corrupt("a feed entry's payload does not decode (\(error))")
        }
    }
}
