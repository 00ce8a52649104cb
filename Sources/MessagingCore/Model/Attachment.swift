/// An uploaded (or announced) media object and who may use it.
///
/// A member asks for an upload slot (``AttachmentService/requestUpload(_:in:by:)``): the
/// record is made with the declared name, type and size and an object key; the member
/// uploads the bytes to object storage; the server checks the stored object
/// (``confirmedAt``) and a send of the same member in the same conversation attaches it to
/// its message (``messageID``). Uploads never attached are deleted after ``expiresAt``.
///
/// Thread safety: a value type; safe to share across tasks.
public struct Attachment: Hashable, Sendable, Codable, Identifiable {
    /// The attachment's id (UUIDv7); messages name it in ``AttachmentReference/id``.
    public let id: AttachmentID
    /// The member who asked for the upload slot; only they can attach it.
    public let ownerID: UserID
    /// The conversation it may be attached in.
    public let conversationID: ConversationID
    /// The object storage key (`uploads/ID`).
    public let objectKey: String
    /// The sanitized file name (see ``AttachmentFileName``).
    public let fileName: String
    /// The declared media type, lowercased `type/subtype`.
    public let contentType: String
    /// The declared size in bytes; the stored object must have exactly this size.
    public let byteCount: Int64
    /// When the slot was handed out.
    public let createdAt: Timestamp
    /// When an upload that was never attached is deleted; an expired upload cannot be attached.
    public let expiresAt: Timestamp
    /// When the server saw the stored object with the declared size; `nil` before.
    public var confirmedAt: Timestamp?
    /// The message it belongs to once attached.
    public var messageID: MessageID?

    /// Makes a record; ``AttachmentService`` makes them for uploads.
    public init(
        id: AttachmentID, ownerID: UserID, conversationID: ConversationID, objectKey: String, fileName: String,
        contentType: String, byteCount: Int64, createdAt: Timestamp, expiresAt: Timestamp,
        confirmedAt: Timestamp? = nil, messageID: MessageID? = nil
    ) {
        self.id = id
        self.ownerID = ownerID
        self.conversationID = conversationID
        self.objectKey = objectKey
        self.fileName = fileName
        self.contentType = contentType
        self.byteCount = byteCount
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.confirmedAt = confirmedAt
        self.messageID = messageID
    }

    /// The object key the service gives an attachment: `uploads/` and its id.
    public static func objectKey(for id: AttachmentID) -> String { "uploads/\(id)" }

    /// The reference a message carries: this attachment's id, type, size and name.
    public var reference: AttachmentReference {
        // The fields were validated when the record was made, so this cannot fail.
        (try? AttachmentReference(id: id.description, mediaType: contentType, byteCount: byteCount, name: fileName))
            ?? AttachmentReference(unchecked: id.description, mediaType: contentType, byteCount: byteCount, name: fileName)
    }
}

extension AttachmentReference {
    /// A reference from already validated fields.
    init(unchecked id: String, mediaType: String, byteCount: Int64, name: String?) {
        self.id = id
        self.mediaType = mediaType
        self.byteCount = byteCount
        self.name = name
    }
}

/// File names of attachments: what a client declares is reduced to a name that is safe to
/// show and to put in a `Content-Disposition` header.
///
/// Thread safety: stateless.
public enum AttachmentFileName {
    /// The longest name kept, in UTF-8 bytes.
    public static let maximumByteCount = 200

    /// The last path component of `name`, with control and Unicode format characters (bidi
    /// overrides) and `" \ / : * ? < > | % ;` replaced by `_`, leading dots and spaces
    /// dropped, cut to ``maximumByteCount`` UTF-8 bytes keeping a short extension; `file`
    /// when nothing is left.
    public static func sanitize(_ name: String) -> String {
        let lastComponent = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let forbidden: Set<Unicode.Scalar> = ["\"", "\\", "/", ":", "*", "?", "<", ">", "|", "%", ";"]
        var scalars = String.UnicodeScalarView()
        for scalar in lastComponent.unicodeScalars {
            if TextRules.isControl(scalar) || scalar.properties.generalCategory == .format || forbidden.contains(scalar) {
                scalars.append("_")
            } else {
                scalars.append(scalar)
            }
        }
        var cleaned = String(scalars)
        while let first = cleaned.first, first == "." || first == " " { cleaned.removeFirst() }
        while let last = cleaned.last, last == " " { cleaned.removeLast() }
        if cleaned.utf8.count > maximumByteCount {
            var stem = cleaned
            var ext = ""
            if let dot = cleaned.lastIndex(of: "."), cleaned.distance(from: dot, to: cleaned.endIndex) <= 16 {
                stem = String(cleaned[..<dot])
                ext = String(cleaned[dot...])
            }
            while stem.utf8.count + ext.utf8.count > maximumByteCount, !stem.isEmpty { stem.removeLast() }
            cleaned = stem + ext
        }
        return cleaned.isEmpty ? "file" : cleaned
    }
}

/// The limits of attachment uploads.
///
/// Thread safety: a value type; safe to share across tasks.
public struct AttachmentPolicy: Hashable, Sendable {
    /// The largest upload, in bytes. Default 100 MiB.
    public var maximumByteCount: Int64
    /// The media types an upload may declare: exact types (`image/png`) or a type with a
    /// wildcard subtype (`image/*`); `*/*` allows every type. Compared lowercased.
    public var allowedContentTypes: [String]
    /// How long an upload that was never attached is kept, in milliseconds (its slot
    /// expires then). Default 24 hours.
    public var uploadLifetimeMilliseconds: Int64

    /// Makes a policy.
    public init(
        maximumByteCount: Int64 = 100 * 1024 * 1024,
        allowedContentTypes: [String] = Self.defaultAllowedContentTypes,
        uploadLifetimeMilliseconds: Int64 = 24 * 3_600_000
    ) {
        self.maximumByteCount = maximumByteCount
        self.allowedContentTypes = allowedContentTypes.map { $0.lowercased() }
        self.uploadLifetimeMilliseconds = uploadLifetimeMilliseconds
    }

    /// Images, audio, video, PDF, plain text and `application/octet-stream` (which encrypted
    /// attachments use).
    public static let defaultAllowedContentTypes = [
        "image/*", "audio/*", "video/*", "application/pdf", "text/plain", "application/octet-stream",
    ]

    /// The default policy.
    public static let `default` = AttachmentPolicy()

    /// Whether `contentType` (lowercased `type/subtype`) is allowed.
    public func allows(contentType: String) -> Bool {
        let type = contentType.lowercased()
        let major = type.split(separator: "/").first.map(String.init) ?? ""
        return allowedContentTypes.contains { $0 == "*/*" || $0 == type || $0 == "\(major)/*" }
    }
}

/// What a member declares when asking for an upload slot.
///
/// Thread safety: a value type; safe to share across tasks.
public struct AttachmentUploadRequest: Hashable, Sendable {
    /// The file name as the client has it, 1…``maximumFileNameByteCount`` bytes of UTF-8;
    /// the service sanitizes it.
    public var fileName: String
    /// The media type (`type/subtype`).
    public var contentType: String
    /// The exact size in bytes, 0…``maximumByteCount`` (and at most the policy's
    /// ``AttachmentPolicy/maximumByteCount``).
    public var byteCount: Int64

    /// The longest file name a request may declare, in UTF-8 bytes (it is then sanitized
    /// and cut to ``AttachmentFileName/maximumByteCount``).
    public static let maximumFileNameByteCount = 1024
    /// The largest size a request may declare at all: 2^53 − 1, the largest integer every
    /// JSON implementation reads exactly. Sizes over the policy's maximum are refused with
    /// `limitExceeded`; sizes over this bound, like negative ones, are malformed
    /// (`invalidInput`).
    public static let maximumByteCount: Int64 = 9_007_199_254_740_991

    /// Makes a request.
    public init(fileName: String, contentType: String, byteCount: Int64) {
        self.fileName = fileName
        self.contentType = contentType
        self.byteCount = byteCount
    }
}
