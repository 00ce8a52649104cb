import Foundation
import MessagingCore
import PostgresNIO

// MARK: - NotificationStore

extension PostgresTransaction {
    func notificationStates(in conversation: ConversationID, after user: UserID?, limit: Int) throws -> [MemberNotificationState] {
        let floor = PostgresCoding.uuid(user) ?? UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        return try fetchAll(
            """
            SELECT m.user_id, m.read_seq, m.muted_until,
                (SELECT MAX(a.acked_seq) FROM ack_cursors a WHERE a.conversation_id = m.conversation_id AND a.user_id = m.user_id),
                (SELECT n.notified_seq FROM notification_marks n WHERE n.conversation_id = m.conversation_id AND n.user_id = m.user_id)
            FROM members m
            WHERE m.conversation_id = \(PostgresCoding.uuid(conversation)) AND m.user_id > \(floor)
            ORDER BY m.user_id LIMIT \(limit)
            """, "reading members' notification states"
        ) { row in
            MemberNotificationState(
                userID: try row.id(0), readSeq: try row.int64(1), deliveredSeq: try row.optionalInt64(3) ?? 0,
                notifiedSeq: try row.optionalInt64(4) ?? 0, mutedUntil: try row.optionalTimestamp(2))
        }
    }

    func insert(_ record: NotificationRecord, sourceKey: String) throws -> NotificationRecord {
        _ = try execute(
            """
            INSERT INTO notifications (id, user_id, conversation_id, reason, first_seq, latest_seq, message_id, count,
                created_at, read_at, source_key)
            VALUES (\(PostgresCoding.uuid(record.id)), \(PostgresCoding.uuid(record.userID)),
                \(PostgresCoding.uuid(record.conversationID)), \(record.reason.rawValue), \(record.firstSeq),
                \(record.latestSeq), \(PostgresCoding.uuid(record.messageID)), \(record.count),
                \(record.createdAt.millisecondsSince1970), \(record.readAt?.millisecondsSince1970), \(sourceKey))
            ON CONFLICT (source_key) DO NOTHING
            """, "inserting a notification record")
        guard let stored = try notification(sourceKey: sourceKey) else { throw PostgresCoding.corrupt("a notification record was neither inserted nor found") }
        return stored
    }

    func notification(sourceKey: String) throws -> NotificationRecord? {
        try fetchOne(
            "SELECT \(unescaped: Self.notificationColumns) FROM notifications WHERE source_key = \(sourceKey)",
            "reading a notification record", Self.notification)
    }

    func notifiedSeq(of user: UserID, in conversation: ConversationID) throws -> Int64 {
        try fetchOne(
            """
            SELECT notified_seq FROM notification_marks
            WHERE conversation_id = \(PostgresCoding.uuid(conversation)) AND user_id = \(PostgresCoding.uuid(user))
            """, "reading a notified position", { try $0.int64(0) }) ?? 0
    }

    func setNotifiedSeq(_ seq: Int64, of user: UserID, in conversation: ConversationID) throws {
        _ = try execute(
            """
            INSERT INTO notification_marks (conversation_id, user_id, notified_seq)
            VALUES (\(PostgresCoding.uuid(conversation)), \(PostgresCoding.uuid(user)), \(seq))
            ON CONFLICT (conversation_id, user_id)
            DO UPDATE SET notified_seq = GREATEST(notification_marks.notified_seq, excluded.notified_seq)
            """, "raising a notified position")
    }

    func notifications(of user: UserID, before id: NotificationID?, limit: Int) throws -> [NotificationRecord] {
        if let id {
            return try fetchAll(
                """
                SELECT \(unescaped: Self.notificationColumns) FROM notifications
                WHERE user_id = \(PostgresCoding.uuid(user)) AND id < \(PostgresCoding.uuid(id)) ORDER BY id DESC LIMIT \(limit)
                """, "reading notification records", Self.notification)
        }
        return try fetchAll(
            """
            SELECT \(unescaped: Self.notificationColumns) FROM notifications
            WHERE user_id = \(PostgresCoding.uuid(user)) ORDER BY id DESC LIMIT \(limit)
            """, "reading notification records", Self.notification)
    }

    func unreadNotificationCount(of user: UserID) throws -> Int {
        try fetchOne(
            "SELECT count(*) FROM notifications WHERE user_id = \(PostgresCoding.uuid(user)) AND read_at IS NULL",
            "counting unread notifications", { try $0.int(0) }) ?? 0
    }

    func markNotificationsRead(of user: UserID, ids: [NotificationID]?, at time: Timestamp) throws -> Int {
        guard let ids else {
            return try execute(
                """
                UPDATE notifications SET read_at = \(time.millisecondsSince1970)
                WHERE user_id = \(PostgresCoding.uuid(user)) AND read_at IS NULL
                """, "marking notifications read")
        }
        return try execute(
            """
            UPDATE notifications SET read_at = \(time.millisecondsSince1970)
            WHERE user_id = \(PostgresCoding.uuid(user)) AND read_at IS NULL AND id = ANY(\(PostgresCoding.uuids(ids)))
            """, "marking notifications read")
    }

    func upsert(_ token: PushToken) throws {
        let user = PostgresCoding.uuid(token.userID)
        let device = PostgresCoding.uuid(token.deviceID)
        _ = try execute(
            """
            DELETE FROM push_tokens WHERE platform = \(token.platform.rawValue) AND token = \(token.token)
                AND NOT (user_id = \(user) AND device_id = \(device))
            """, "moving a push token")
        _ = try execute(
            """
            INSERT INTO push_tokens (user_id, device_id, platform, token, sandbox, updated_at)
            VALUES (\(user), \(device), \(token.platform.rawValue), \(token.token), \(token.sandbox),
                \(token.updatedAt.millisecondsSince1970))
            ON CONFLICT (user_id, device_id) DO UPDATE SET platform = excluded.platform, token = excluded.token,
                sandbox = excluded.sandbox, updated_at = excluded.updated_at
            """, "saving a push token")
    }

    func pushTokens(of user: UserID) throws -> [PushToken] {
        try fetchAll(
            """
            SELECT device_id, platform, token, sandbox, updated_at FROM push_tokens
            WHERE user_id = \(PostgresCoding.uuid(user)) ORDER BY device_id
            """, "reading push tokens"
        ) { row in
            guard let platform = PushPlatform(rawValue: try row.string(1)) else {
                throw PostgresCoding.corrupt("a push token names an unknown platform")
            }
            return PushToken(
                userID: user, deviceID: try row.id(0), platform: platform, token: try row.string(2), sandbox: try row.bool(3),
                updatedAt: try row.timestamp(4))
        }
    }

    func deletePushToken(of user: UserID, device: DeviceID) throws -> Bool {
        try execute(
            "DELETE FROM push_tokens WHERE user_id = \(PostgresCoding.uuid(user)) AND device_id = \(PostgresCoding.uuid(device))",
            "deleting a push token") > 0
    }

    func deletePushToken(platform: PushPlatform, token: String) throws -> Bool {
        try execute(
            "DELETE FROM push_tokens WHERE platform = \(platform.rawValue) AND token = \(token)", "deleting a push token") > 0
    }

    func deleteNotificationData(of user: UserID) throws {
        let id = PostgresCoding.uuid(user)
        _ = try execute("DELETE FROM notifications WHERE user_id = \(id)", "deleting notification records")
        _ = try execute("DELETE FROM notification_marks WHERE user_id = \(id)", "deleting notified positions")
        _ = try execute("DELETE FROM push_tokens WHERE user_id = \(id)", "deleting push tokens")
    }

    private static let notificationColumns =
        "id, user_id, conversation_id, reason, first_seq, latest_seq, message_id, count, created_at, read_at"

    private static func notification(_ row: Cells) throws -> NotificationRecord {
        guard let reason = NotificationRequest.Reason(rawValue: try row.string(3)) else {
            throw PostgresCoding.corrupt("a notification record names an unknown reason")
        }
        return NotificationRecord(
            id: try row.id(0), userID: try row.id(1), conversationID: try row.id(2), reason: reason,
            firstSeq: try row.int64(4), latestSeq: try row.int64(5), messageID: try row.optionalID(6), count: try row.int(7),
            createdAt: try row.timestamp(8), readAt: try row.optionalTimestamp(9))
    }
}
