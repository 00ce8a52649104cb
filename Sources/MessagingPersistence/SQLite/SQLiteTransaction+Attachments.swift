import Foundation
import GRDB
import MessagingCore

// MARK: - AttachmentStore

extension SQLiteTransaction {
    private static let attachmentColumns = """
        id, owner_id, conversation_id, object_key, file_name, content_type, byte_count, created_at, expires_at,
        confirmed_at, message_id
        """

    private func decodeAttachment(_ row: Row) throws -> Attachment {
        let byteCount: Int64 = row[6]
        return Attachment(
            id: try RowCoding.id(row, 0), ownerID: try RowCoding.id(row, 1), conversationID: try RowCoding.id(row, 2),
            objectKey: row[3], fileName: row[4], contentType: row[5], byteCount: byteCount,
            createdAt: RowCoding.timestamp(row, 7), expiresAt: RowCoding.timestamp(row, 8),
            confirmedAt: RowCoding.optionalTimestamp(row, 9), messageID: try RowCoding.optionalID(row, 10))
    }

    func attachment(id: AttachmentID) throws -> Attachment? {
        try fetchOne("SELECT \(Self.attachmentColumns) FROM attachments WHERE id = ?", [RowCoding.blob(id)], decodeAttachment)
    }

    func insert(_ attachment: Attachment) throws {
        try execute(
            """
            INSERT INTO attachments (\(Self.attachmentColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                RowCoding.blob(attachment.id), RowCoding.blob(attachment.ownerID), RowCoding.blob(attachment.conversationID),
                attachment.objectKey, attachment.fileName, attachment.contentType, attachment.byteCount,
                attachment.createdAt.millisecondsSince1970, attachment.expiresAt.millisecondsSince1970,
                attachment.confirmedAt?.millisecondsSince1970, RowCoding.optionalBlob(attachment.messageID),
            ])
    }

    func confirmUpload(of id: AttachmentID, at time: Timestamp) throws {
        try execute(
            "UPDATE attachments SET confirmed_at = ? WHERE id = ? AND confirmed_at IS NULL",
            [time.millisecondsSince1970, RowCoding.blob(id)])
    }

    func attach(_ id: AttachmentID, to message: MessageID) throws -> Bool {
        try execute(
            "UPDATE attachments SET message_id = ? WHERE id = ? AND message_id IS NULL", [RowCoding.blob(message), RowCoding.blob(id)])
        return db.changesCount > 0
    }

    func expiredUnattachedAttachments(at time: Timestamp, limit: Int) throws -> [Attachment] {
        try fetchAll(
            """
            SELECT \(Self.attachmentColumns) FROM attachments
            WHERE message_id IS NULL AND expires_at <= ? ORDER BY expires_at, id LIMIT ?
            """,
            [time.millisecondsSince1970, max(0, limit)], decodeAttachment)
    }

    func deleteUnattachedAttachment(_ id: AttachmentID) throws -> Bool {
        try execute("DELETE FROM attachments WHERE id = ? AND message_id IS NULL", [RowCoding.blob(id)])
        return db.changesCount > 0
    }

    func unattachedAttachments(ownedBy owner: UserID, limit: Int) throws -> [Attachment] {
        try fetchAll(
            """
            SELECT \(Self.attachmentColumns) FROM attachments
            WHERE message_id IS NULL AND owner_id = ? ORDER BY expires_at, id LIMIT ?
            """,
            [RowCoding.blob(owner), max(0, limit)], decodeAttachment)
    }
}
