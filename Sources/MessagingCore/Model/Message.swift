import Foundation

/// The kind of a message.
public enum MessageKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// User text (UTF-8).
    case text
    /// Text posted by the host application (joins, renames, bots).
    case system
    /// Opaque ciphertext made by clients; never indexed or inspected.
    case encrypted
}

/// A message body: text, or opaque bytes for encrypted messages.
public enum MessageBody: Hashable, Sendable, Codable {
    /// Text for ``MessageKind/text`` and ``MessageKind/system``.
    case text(String)
    /// Opaque bytes for ``MessageKind/encrypted``.
    case ciphertext(Data)

    /// The text, when this is a text body.
    public var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }
}

/// A client-chosen idempotency key for a send: 1–64 printable ASCII characters.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ClientMessageID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The key.
    public let rawValue: String

    /// Validates a key; throws `invalidInput` when it is empty, longer than 64 bytes or not printable ASCII.
    public init(_ rawValue: String) throws(MessagingError) {
        let bytes = rawValue.utf8
        guard (1...64).contains(bytes.count),
              bytes.allSatisfy({ (0x21...0x7E).contains($0) })
        else {
            throw .invalidInput(
                "The client message id must be 1 to 64 printable ASCII characters without spaces; a UUID string works well.")
        }
        self.rawValue = rawValue
    }

    /// A key read back from storage that validated it when it was stored: skips the check.
    /// For storage adapters decoding their own rows; not stable API.
    @inlinable
    public init(_trusted rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A reference to an attachment stored elsewhere (object storage); the message carries only this.
///
/// Thread safety: a value type; safe to share across tasks.
public struct AttachmentReference: Hashable, Sendable, Codable {
    /// The storage key or URL path, 1–512 characters, no control characters.
    public let id: String
    /// The media type, such as `image/png`.
    public let mediaType: String
    /// The size in bytes.
    public let byteCount: Int64
    /// An optional file name to show, at most 255 characters.
    public let name: String?

    /// Validates and makes a reference.
    public init(id: String, mediaType: String, byteCount: Int64, name: String? = nil) throws(MessagingError) {
        self.id = try TextRules.singleLine(id, field: "attachment id", maxCharacters: 512, allowEmpty: false)
        let type = mediaType.lowercased()
        let parts = type.split(separator: "/", omittingEmptySubsequences: false)
        let tokenCharacters = Set("abcdefghijklmnopqrstuvwxyz0123456789!#$&^_.+-")
        guard type.utf8.count <= 127, parts.count == 2,
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(tokenCharacters.contains) })
        else {
            throw .invalidInput("The attachment media type must look like 'type/subtype', for example 'image/png'.")
        }
        self.mediaType = type
        guard byteCount >= 0 else {
            throw .invalidInput("The attachment byte count cannot be negative.")
        }
        self.byteCount = byteCount
        self.name = try name.map { (name) throws(MessagingError) in
            try TextRules.singleLine(name, field: "attachment name", maxCharacters: 255, allowEmpty: false)
        }
    }
}

/// A message's current state. A deleted message is a tombstone: it keeps its id and `seq`
/// and loses its body, mentions and attachments.
///
/// Thread safety: a value type; safe to share across tasks.
public struct Message: Hashable, Sendable, Codable, Identifiable {
    /// The message's id.
    public let id: MessageID
    /// The conversation it belongs to.
    public let conversationID: ConversationID
    /// Who sent it.
    public let senderID: UserID
    /// The `seq` of the event that created it.
    public let seq: Int64
    /// The sender's idempotency key.
    public let clientMessageID: ClientMessageID
    /// Text, system or encrypted.
    public let kind: MessageKind
    /// The body; `nil` once deleted.
    public var body: MessageBody?
    /// The message this one replies to (same conversation).
    public let replyToID: MessageID?
    /// The root of the thread this message belongs to (same conversation).
    public let threadRootID: MessageID?
    /// Mentioned members.
    public var mentions: [UserID]
    /// Attachment references.
    public var attachments: [AttachmentReference]
    /// When it was sent.
    public let createdAt: Timestamp
    /// When it was last edited.
    public var editedAt: Timestamp?
    /// When it was deleted.
    public var deletedAt: Timestamp?
    /// A fingerprint of the content as first sent; a repeated send with the same
    /// client message id is compared against it.
    public let contentDigest: UInt64
    /// The end-to-end encryption header of an encrypted message sent with one (always, in an
    /// encrypted conversation).
    public let encryption: EncryptionHeader?
    /// `true` when this copy withholds the content from its reader, who blocks the sender
    /// (see ``withheld()``): no body, mentions or attachments. Never stored.
    public var isHidden: Bool = false

    private enum CodingKeys: String, CodingKey {
        case id, conversationID, senderID, seq, clientMessageID, kind, body, replyToID, threadRootID, mentions
        case attachments, createdAt, editedAt, deletedAt, contentDigest, encryption
    }

    /// Makes a message value; use ``MessageService`` to send one.
    public init(
        id: MessageID, conversationID: ConversationID, senderID: UserID, seq: Int64,
        clientMessageID: ClientMessageID, kind: MessageKind, body: MessageBody?,
        replyToID: MessageID?, threadRootID: MessageID?, mentions: [UserID],
        attachments: [AttachmentReference], createdAt: Timestamp, editedAt: Timestamp?,
        deletedAt: Timestamp?, contentDigest: UInt64, encryption: EncryptionHeader? = nil
    ) {
        self.encryption = encryption
        self.id = id
        self.conversationID = conversationID
        self.senderID = senderID
        self.seq = seq
        self.clientMessageID = clientMessageID
        self.kind = kind
        self.body = body
        self.replyToID = replyToID
        self.threadRootID = threadRootID
        self.mentions = mentions
        self.attachments = attachments
        self.createdAt = createdAt
        self.editedAt = editedAt
        self.deletedAt = deletedAt
        self.contentDigest = contentDigest
    }

    /// Whether this is a tombstone.
    public var isDeleted: Bool { deletedAt != nil }

    /// This message as a reader who blocks its sender gets it: same id, `seq`, sender and
    /// times, without body, mentions or attachments, and ``isHidden`` set. The log keeps
    /// its `seq` for that reader (no gap); only the content is withheld.
    public func withheld() -> Message {
        var copy = self
        copy.body = nil
        copy.mentions = []
        copy.attachments = []
        copy.isHidden = true
        return copy
    }
}
