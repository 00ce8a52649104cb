import Foundation
import GRDB
import MessagingCore

/// Conversions between domain values and SQLite columns, kept in one place.
enum RowCoding {
    /// The columns of a message, in the order ``message(from:at:)`` reads them.
    static let messageColumns = """
        m.id, m.conversation_id, m.seq, m.sender_id, m.client_message_id, m.kind, m.body, \
        m.reply_to_id, m.thread_root_id, m.mentions, m.attachments, m.created_at, m.edited_at, \
        m.deleted_at, m.content_digest, m.key_epoch, m.sender_device
        """
    static let messageColumnCount = 17

    static func blob(_ uuid: UUIDv7) -> Data {
        withUnsafeBytes(of: (uuid.high.bigEndian, uuid.low.bigEndian)) { Data($0) }
    }

    static func blob<Kind>(_ id: Identifier<Kind>) -> Data { blob(id.uuid) }

    static func optionalBlob<Kind>(_ id: Identifier<Kind>?) -> Data? { id.map { blob($0.uuid) } }

    static func uuid(_ row: Row, _ index: Int) throws -> UUIDv7 {
        let value = try row.withUnsafeData(atIndex: index) { data in
            data.flatMap { data in data.withUnsafeBytes { UUIDv7(bigEndianBytes: $0) } }
        }
        guard let value else { throw corrupt("an id column holds a value that is not a 16-byte UUIDv7") }
        return value
    }

    static func id<Kind>(_ row: Row, _ index: Int) throws -> Identifier<Kind> {
        Identifier(try uuid(row, index))
    }

    static func optionalID<Kind>(_ row: Row, _ index: Int) throws -> Identifier<Kind>? {
        row.hasNull(atIndex: index) ? nil : try id(row, index)
    }

    static func timestamp(_ row: Row, _ index: Int) -> Timestamp {
        Timestamp(millisecondsSince1970: row[index])
    }

    static func optionalTimestamp(_ row: Row, _ index: Int) -> Timestamp? {
        (row[index] as Int64?).map(Timestamp.init(millisecondsSince1970:))
    }

    static func ids(_ list: [UserID]) -> Data? {
        guard !list.isEmpty else { return nil }
        var data = Data(capacity: list.count * 16)
        for id in list { data.append(blob(id)) }
        return data
    }

    static func userIDs(_ row: Row, _ index: Int) throws -> [UserID] {
        guard let data = row[index] as Data? else { return [] }
        guard data.count % 16 == 0 else { throw corrupt("a mentions column is not a list of 16-byte ids") }
        return try data.withUnsafeBytes { buffer in
            try stride(from: 0, to: buffer.count, by: 16).map { offset in
                guard let uuid = UUIDv7(bigEndianBytes: UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + 16])) else {
                    throw corrupt("a mentions column holds an invalid id")
                }
                return UserID(uuid)
            }
        }
    }

    static func attachmentsJSON(_ list: [AttachmentReference]) throws -> String? {
        guard !list.isEmpty else { return nil }
        return String(decoding: try JSONEncoder().encode(list), as: UTF8.self)
    }

    /// Reads a message from `row`, starting at column `start`.
    static func message(from row: Row, at start: Int = 0) throws -> Message {
        guard let kind = MessageKind(rawValue: row[start + 5]) else { throw corrupt("unknown message kind") }
        let deletedAt = optionalTimestamp(row, start + 13)
        var body: MessageBody?
        if deletedAt == nil {
            switch kind {
            case .encrypted: body = .ciphertext(row[start + 6] as Data)
            case .text, .system: body = .text(row[start + 6] as String)
            }
        }
        var attachments: [AttachmentReference] = []
        if let json = row[start + 10] as String? {
            attachments = try JSONDecoder().decode([AttachmentReference].self, from: Data(json.utf8))
        }
        return Message(
            id: try id(row, start), conversationID: try id(row, start + 1), senderID: try id(row, start + 3),
            seq: row[start + 2], clientMessageID: try ClientMessageID(row[start + 4] as String), kind: kind,
            body: body, replyToID: try optionalID(row, start + 7), threadRootID: try optionalID(row, start + 8),
            mentions: try userIDs(row, start + 9), attachments: attachments, createdAt: timestamp(row, start + 11),
            editedAt: optionalTimestamp(row, start + 12), deletedAt: deletedAt,
            contentDigest: UInt64(bitPattern: row[start + 14]), encryption: try encryption(row, start + 15))
    }

    /// The encryption header of a message row (`key_epoch`, `sender_device`), when it has one.
    static func encryption(_ row: Row, _ index: Int) throws -> EncryptionHeader? {
        guard let epoch = row[index] as Int64? else { return nil }
        guard epoch >= 1, let device: DeviceID = try optionalID(row, index + 1) else {
            throw corrupt("an encrypted message has an invalid epoch or sender device")
        }
        return EncryptionHeader(epoch: UInt64(epoch), senderDeviceID: device)
    }

    static func conversation(from row: Row, at start: Int = 0) throws -> Conversation {
        guard let kind = ConversationKind(rawValue: row[start + 1]) else { throw corrupt("unknown conversation kind") }
        return Conversation(
            id: try id(row, start), kind: kind, title: row[start + 2], topic: row[start + 3],
            creatorID: try id(row, start + 4), createdAt: timestamp(row, start + 5), lastSeq: row[start + 6],
            lastActivityAt: timestamp(row, start + 7), isEncrypted: (row[start + 8] as Int64) != 0,
            slowModeSeconds: row[start + 9])
    }

    /// The number of ``conversationColumns``.
    static let conversationColumnCount = 10
    static let conversationColumns =
        "c.id, c.kind, c.title, c.topic, c.creator_id, c.created_at, c.last_seq, c.last_activity_at, c.encrypted, c.slow_mode_seconds"

    static func member(from row: Row, at start: Int = 0) throws -> Member {
        guard let role = Role(rawValue: row[start + 2]) else { throw corrupt("unknown role") }
        return Member(
            conversationID: try id(row, start), userID: try id(row, start + 1), role: role,
            joinedAt: timestamp(row, start + 3), readSeq: row[start + 4],
            mutedUntil: (row[start + 5] as Int64?).map { Timestamp(millisecondsSince1970: $0) })
    }

    static let memberColumns = "mb.conversation_id, mb.user_id, mb.role, mb.joined_at, mb.read_seq, mb.muted_until"

    static func corrupt(_ detail: String) -> MessagingError {
        MessagingError(
            code: .storage,
            message: "The database holds a row this library cannot read (\(detail)); run an integrity check and restore from a backup if it fails.")
    }
}
