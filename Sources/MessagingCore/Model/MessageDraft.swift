import Foundation

/// What a client asks to send, validated when it is made.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MessageDraft: Hashable, Sendable {
    /// The sender's idempotency key.
    public let clientMessageID: ClientMessageID
    /// Text, system or encrypted.
    public let kind: MessageKind
    /// The body.
    public let body: MessageBody
    /// The message this one replies to.
    public let replyToID: MessageID?
    /// The thread this message belongs to.
    public let threadRootID: MessageID?
    /// Mentioned users (duplicates removed, order kept); each must be a member.
    public let mentions: [UserID]
    /// Attachment references.
    public let attachments: [AttachmentReference]
    /// The end-to-end encryption header (encrypted messages; required in encrypted conversations).
    public let encryption: EncryptionHeader?

    /// A text message. Throws `invalidInput` for an empty body, a control character other
    /// than newline or tab, or more than `limits.maxBodyBytes` UTF-8 bytes.
    public init(
        text: String, clientMessageID: ClientMessageID, replyTo: MessageID? = nil,
        threadRoot: MessageID? = nil, mentions: [UserID] = [], attachments: [AttachmentReference] = [],
        limits: MessagingLimits = .default
    ) throws(MessagingError) {
        try self.init(
            kind: .text, body: .text(text), clientMessageID: clientMessageID, replyTo: replyTo,
            threadRoot: threadRoot, mentions: mentions, attachments: attachments, limits: limits)
    }

    /// An encrypted message: opaque bytes of at most `limits.maxEncryptedBodyBytes`
    /// (`invalidInput` otherwise).
    public init(
        ciphertext: Data, clientMessageID: ClientMessageID, replyTo: MessageID? = nil,
        threadRoot: MessageID? = nil, mentions: [UserID] = [], attachments: [AttachmentReference] = [],
        encryption: EncryptionHeader? = nil, limits: MessagingLimits = .default
    ) throws(MessagingError) {
        try self.init(
            kind: .encrypted, body: .ciphertext(ciphertext), clientMessageID: clientMessageID,
            replyTo: replyTo, threadRoot: threadRoot, mentions: mentions, attachments: attachments,
            encryption: encryption, limits: limits)
    }

    /// A system message posted by the host application.
    public init(systemText: String, clientMessageID: ClientMessageID, limits: MessagingLimits = .default) throws(MessagingError) {
        try self.init(
            kind: .system, body: .text(systemText), clientMessageID: clientMessageID, replyTo: nil,
            threadRoot: nil, mentions: [], attachments: [], limits: limits)
    }

    private init(
        kind: MessageKind, body: MessageBody, clientMessageID: ClientMessageID, replyTo: MessageID?,
        threadRoot: MessageID?, mentions: [UserID], attachments: [AttachmentReference],
        encryption: EncryptionHeader? = nil, limits: MessagingLimits
    ) throws(MessagingError) {
        self.encryption = encryption
        self.kind = kind
        self.body = body
        self.clientMessageID = clientMessageID
        self.replyToID = replyTo
        self.threadRootID = threadRoot
        var seen = Set<UserID>()
        self.mentions = mentions.filter { seen.insert($0).inserted }
        self.attachments = attachments
        try validate(against: limits)
    }

    /// Checks the draft against `limits` (the service checks again with its own limits).
    public func validate(against limits: MessagingLimits) throws(MessagingError) {
        switch body {
        case .text(let text):
            // A size rule of one value: `invalidInput`, like every other length rule (titles,
            // status texts, ids); `limitExceeded` is for limits on accumulated state.
            guard text.utf8.count <= limits.maxBodyBytes else {
                throw .invalidInput(
                    "The message body is \(text.utf8.count) bytes; the limit is \(limits.maxBodyBytes) bytes of UTF-8. Split it or send it as an attachment.")
            }
            guard !text.trimmingSpaces().isEmpty else {
                throw .invalidInput("The message body is empty; send at least one visible character.")
            }
            try TextRules.rejectControlCharacters(in: text, field: "message body", allowingNewlineAndTab: true)
        case .ciphertext(let bytes):
            guard !bytes.isEmpty, bytes.count <= limits.maxEncryptedBodyBytes else {
                throw .invalidInput(
                    "The encrypted body must be 1 to \(limits.maxEncryptedBodyBytes) bytes; it is \(bytes.count).")
            }
        }
        guard mentions.count <= limits.maxMentions else {
            throw .limitExceeded("The message mentions \(mentions.count) users; at most \(limits.maxMentions) are allowed.")
        }
        guard attachments.count <= limits.maxAttachments else {
            throw .limitExceeded("The message has \(attachments.count) attachments; at most \(limits.maxAttachments) are allowed.")
        }
    }

    /// A stable 64-bit FNV-1a fingerprint of the content (kind, body, references, mentions,
    /// attachments) used to tell a retried send from a conflicting reuse of its key.
    public var contentDigest: UInt64 {
        var hasher = FNV1a()
        hasher.combine(kind.rawValue)
        switch body {
        case .text(let text): hasher.combine(text)
        case .ciphertext(let bytes): hasher.combine(bytes)
        }
        if let encryption {
            hasher.combine(String(encryption.epoch))
            hasher.combine(encryption.senderDeviceID.uuid.bytes)
        }
        hasher.combine(replyToID?.uuid.bytes ?? [])
        hasher.combine(threadRootID?.uuid.bytes ?? [])
        for mention in mentions { hasher.combine(mention.uuid.bytes) }
        for attachment in attachments {
            hasher.combine(attachment.id)
            hasher.combine(attachment.mediaType)
            hasher.combine(String(attachment.byteCount))
            hasher.combine(attachment.name ?? "")
        }
        return hasher.value
    }
}

/// 64-bit FNV-1a over length-prefixed fields (so field boundaries cannot shift).
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine(_ text: String) { combine(Array(text.utf8)) }

    mutating func combine<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        var length = UInt64(bytes.count)
        for _ in 0..<8 {
            mix(UInt8(truncatingIfNeeded: length))
            length >>= 8
        }
        for byte in bytes { mix(byte) }
    }

    private mutating func mix(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
}
