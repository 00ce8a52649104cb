import Foundation
import GRDB
import MessagingCore

// MARK: - NotificationStore

extension SQLiteTransaction {
    func notificationStates(in conversation: ConversationID, after user: UserID?, limit: Int) throws -> [MemberNotificationState] {
        try fetchAll(
            """
            SELECT m.user_id, m.read_seq, m.muted_until,
                (SELECT MAX(a.acked_seq) FROM ack_cursors a WHERE a.conversation_id = m.conversation_id AND a.user_id = m.user_id),
                (SELECT n.notified_seq FROM notification_marks n WHERE n.conversation_id = m.conversation_id AND n.user_id = m.user_id)
            FROM members m
            WHERE m.conversation_id = ? AND m.user_id > ? ORDER BY m.user_id LIMIT ?
            """,
            [RowCoding.blob(conversation), user.map { RowCoding.blob($0) } ?? Data(), limit]
        ) { row in
            MemberNotificationState(
                userID: try RowCoding.id(row, 0), readSeq: row[1], deliveredSeq: (row[3] as Int64?) ?? 0,
                notifiedSeq: (row[4] as Int64?) ?? 0, mutedUntil: RowCoding.optionalTimestamp(row, 2))
        }
    }

    func insert(_ record: NotificationRecord, sourceKey: String) throws -> NotificationRecord {
        if let existing = try notification(sourceKey: sourceKey) { return existing }
        try execute(
            """
            INSERT INTO notifications (id, user_id, conversation_id, reason, first_seq, latest_seq, message_id, count,
                created_at, read_at, source_key)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                RowCoding.blob(record.id), RowCoding.blob(record.userID), RowCoding.blob(record.conversationID),
                record.reason.rawValue, record.firstSeq, record.latestSeq, RowCoding.optionalBlob(record.messageID),
                record.count, record.createdAt.millisecondsSince1970, record.readAt?.millisecondsSince1970, sourceKey,
            ])
        return record
    }

    func notification(sourceKey: String) throws -> NotificationRecord? {
        try fetchOne("SELECT \(Self.notificationColumns) FROM notifications WHERE source_key = ?", [sourceKey], Self.notification)
    }

    func notifiedSeq(of user: UserID, in conversation: ConversationID) throws -> Int64 {
        try fetchOne(
            "SELECT notified_seq FROM notification_marks WHERE conversation_id = ? AND user_id = ?",
            [RowCoding.blob(conversation), RowCoding.blob(user)]) { $0[0] as Int64 } ?? 0
    }

    func setNotifiedSeq(_ seq: Int64, of user: UserID, in conversation: ConversationID) throws {
        try execute(
            """
            INSERT INTO notification_marks (conversation_id, user_id, notified_seq) VALUES (?, ?, ?)
            ON CONFLICT (conversation_id, user_id) DO UPDATE SET notified_seq = MAX(notified_seq, excluded.notified_seq)
            """,
            [RowCoding.blob(conversation), RowCoding.blob(user), seq])
    }

    func notifications(of user: UserID, before id: NotificationID?, limit: Int) throws -> [NotificationRecord] {
        if let id {
            return try fetchAll(
                "SELECT \(Self.notificationColumns) FROM notifications WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                [RowCoding.blob(user), RowCoding.blob(id), limit], Self.notification)
        }
        return try fetchAll(
            "SELECT \(Self.notificationColumns) FROM notifications WHERE user_id = ? ORDER BY id DESC LIMIT ?",
            [RowCoding.blob(user), limit], Self.notification)
    }

    func unreadNotificationCount(of user: UserID) throws -> Int {
        try fetchOne(
            "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL", [RowCoding.blob(user)]) { $0[0] as Int } ?? 0
    }

    func markNotificationsRead(of user: UserID, ids: [NotificationID]?, at time: Timestamp) throws -> Int {
        guard let ids else {
            try execute(
                "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
                [time.millisecondsSince1970, RowCoding.blob(user)])
            return db.changesCount
        }
        var changed = 0
        // Batches of 500 ids, below SQLite's bound-parameter limit.
        for start in stride(from: 0, to: ids.count, by: 500) {
            let batch = ids[start..<min(start + 500, ids.count)]
            let marks = Array(repeating: "?", count: batch.count).joined(separator: ", ")
            var arguments: [any DatabaseValueConvertible] = [time.millisecondsSince1970, RowCoding.blob(user)]
            arguments += batch.map { RowCoding.blob($0) as any DatabaseValueConvertible }
            try execute(
                "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL AND id IN (\(marks))",
                StatementArguments(arguments))
            changed += db.changesCount
        }
        return changed
    }

    func upsert(_ token: PushToken) throws {
        try execute(
            "DELETE FROM push_tokens WHERE platform = ? AND token = ? AND NOT (user_id = ? AND device_id = ?)",
            [token.platform.rawValue, token.token, RowCoding.blob(token.userID), RowCoding.blob(token.deviceID)])
        try execute(
            """
            INSERT INTO push_tokens (user_id, device_id, platform, token, sandbox, updated_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id, device_id) DO UPDATE SET platform = excluded.platform, token = excluded.token,
                sandbox = excluded.sandbox, updated_at = excluded.updated_at
            """,
            [
                RowCoding.blob(token.userID), RowCoding.blob(token.deviceID), token.platform.rawValue, token.token,
                token.sandbox, token.updatedAt.millisecondsSince1970,
            ])
    }

    func pushTokens(of user: UserID) throws -> [PushToken] {
        try fetchAll(
            "SELECT device_id, platform, token, sandbox, updated_at FROM push_tokens WHERE user_id = ? ORDER BY device_id",
            [RowCoding.blob(user)]
        ) { row in
            guard let platform = PushPlatform(rawValue: row[1]) else {
                throw RowCoding.corrupt("a push token names an unknown platform")
            }
            return PushToken(
                userID: user, deviceID: try RowCoding.id(row, 0), platform: platform, token: row[2], sandbox: row[3],
                updatedAt: RowCoding.timestamp(row, 4))
        }
    }

    func deletePushToken(of user: UserID, device: DeviceID) throws -> Bool {
        try execute("DELETE FROM push_tokens WHERE user_id = ? AND device_id = ?", [RowCoding.blob(user), RowCoding.blob(device)])
        return db.changesCount > 0
    }

    func deletePushToken(platform: PushPlatform, token: String) throws -> Bool {
        try execute("DELETE FROM push_tokens WHERE platform = ? AND token = ?", [platform.rawValue, token])
        return db.changesCount > 0
    }

    func deleteNotificationData(of user: UserID) throws {
        let id = RowCoding.blob(user)
        try execute("DELETE FROM notifications WHERE user_id = ?", [id])
        try execute("DELETE FROM notification_marks WHERE user_id = ?", [id])
        try execute("DELETE FROM push_tokens WHERE user_id = ?", [id])
    }

    private static let notificationColumns =
        "id, user_id, conversation_id, reason, first_seq, latest_seq, message_id, count, created_at, read_at"

    private static func notification(_ row: Row) throws -> NotificationRecord {
        guard let reason = NotificationRequest.Reason(rawValue: row[3]) else {
            throw RowCoding.corrupt("a notification record names an unknown reason")
        }
        return NotificationRecord(
            id: try RowCoding.id(row, 0), userID: try RowCoding.id(row, 1), conversationID: try RowCoding.id(row, 2),
            reason: reason, firstSeq: row[4], latestSeq: row[5], messageID: try RowCoding.optionalID(row, 6), count: row[7],
            createdAt: RowCoding.timestamp(row, 8), readAt: RowCoding.optionalTimestamp(row, 9))
    }
}
