import GRDB
import MessagingCore

extension SQLiteMessagingStore: AckCursorStore {
    public func save(_ cursors: [AckCursor], at now: Timestamp) async throws {
        guard !cursors.isEmpty else { return }
        try await writeImmediate { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO ack_cursors (device_id, conversation_id, user_id, acked_seq, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (device_id, conversation_id) DO UPDATE SET
                    acked_seq = max(acked_seq, excluded.acked_seq), updated_at = excluded.updated_at
                WHERE ack_cursors.user_id = excluded.user_id
                """)
            for cursor in cursors {
                try statement.execute(arguments: [
                    RowCoding.blob(cursor.deviceID), RowCoding.blob(cursor.conversationID), RowCoding.blob(cursor.userID),
                    cursor.ackedSeq, now.millisecondsSince1970,
                ])
            }
        }
    }

    public func cursors(of device: DeviceID) async throws -> [AckCursor] {
        try await readDatabase { db in
            try Row.fetchAll(
                db, sql: "SELECT conversation_id, user_id, acked_seq FROM ack_cursors WHERE device_id = ? ORDER BY conversation_id",
                arguments: [RowCoding.blob(device)]
            ).map { row in
                AckCursor(deviceID: device, userID: try RowCoding.id(row, 1), conversationID: try RowCoding.id(row, 0), ackedSeq: row[2])
            }
        }
    }
}
