import Foundation
import MessagingCore
import PostgresNIO

// MARK: - AttachmentStore

extension PostgresTransaction {
    private static let attachmentColumns = """
        id, owner_id, conversation_id, object_key, file_name, content_type, byte_count, created_at, expires_at, \
        confirmed_at, message_id
        """

    private func decodeAttachment(_ row: Cells) throws -> Attachment {
        Attachment(
            id: try row.id(0), ownerID: try row.id(1), conversationID: try row.id(2), objectKey: try row.string(3),
            fileName: try row.string(4), contentType: try row.string(5), byteCount: try row.int64(6),
            createdAt: try row.timestamp(7), expiresAt: try row.timestamp(8), confirmedAt: try row.optionalTimestamp(9),
            messageID: try row.optionalID(10))
    }

    func attachment(id: AttachmentID) throws -> Attachment? {
        try fetchOne(
            "SELECT \(unescaped: Self.attachmentColumns) FROM attachments WHERE id = \(PostgresCoding.uuid(id))",
            "reading an attachment", decodeAttachment)
    }

    func insert(_ attachment: Attachment) throws {
        try execute(
            """
            INSERT INTO attachments (\(unescaped: Self.attachmentColumns))
            VALUES (\(PostgresCoding.uuid(attachment.id)), \(PostgresCoding.uuid(attachment.ownerID)),
                \(PostgresCoding.uuid(attachment.conversationID)), \(attachment.objectKey), \(attachment.fileName),
                \(attachment.contentType), \(attachment.byteCount), \(attachment.createdAt.millisecondsSince1970),
                \(attachment.expiresAt.millisecondsSince1970), \(attachment.confirmedAt?.millisecondsSince1970),
                \(PostgresCoding.uuid(attachment.messageID)))
            """, "inserting an attachment")
    }

    func confirmUpload(of id: AttachmentID, at time: Timestamp) throws {
        try execute(
            """
            UPDATE attachments SET confirmed_at = \(time.millisecondsSince1970)
            WHERE id = \(PostgresCoding.uuid(id)) AND confirmed_at IS NULL
            """, "confirming an upload")
    }

    func attach(_ id: AttachmentID, to message: MessageID) throws -> Bool {
        try execute(
            """
            UPDATE attachments SET message_id = \(PostgresCoding.uuid(message))
            WHERE id = \(PostgresCoding.uuid(id)) AND message_id IS NULL
            """, "attaching an upload") > 0
    }

    func expiredUnattachedAttachments(at time: Timestamp, limit: Int) throws -> [Attachment] {
        try fetchAll(
            """
            SELECT \(unescaped: Self.attachmentColumns) FROM attachments
            WHERE message_id IS NULL AND expires_at <= \(time.millisecondsSince1970)
            ORDER BY expires_at, id LIMIT \(max(0, limit))
            """, "listing expired uploads", decodeAttachment)
    }

    func deleteUnattachedAttachment(_ id: AttachmentID) throws -> Bool {
        try execute(
            "DELETE FROM attachments WHERE id = \(PostgresCoding.uuid(id)) AND message_id IS NULL",
            "deleting an expired upload") > 0
    }

    func unattachedAttachments(ownedBy owner: UserID, limit: Int) throws -> [Attachment] {
        try fetchAll(
            """
            SELECT \(unescaped: Self.attachmentColumns) FROM attachments
            WHERE message_id IS NULL AND owner_id = \(PostgresCoding.uuid(owner))
            ORDER BY expires_at, id LIMIT \(max(0, limit))
            """, "listing a user's unattached uploads", decodeAttachment)
    }
}
