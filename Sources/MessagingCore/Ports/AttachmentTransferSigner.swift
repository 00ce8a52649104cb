import Foundation

/// A signed HTTP request a client makes to object storage: where an upload goes, or where a
/// download comes from. The bytes never pass through the messaging path.
///
/// Thread safety: a value type; safe to share across tasks.
public struct AttachmentTransferTarget: Hashable, Sendable {
    /// The HTTP method: `PUT` for an upload, `GET` for a download.
    public var method: String
    /// The signed URL (a bucket's presigned URL, or the host's own signed media route).
    public var url: URL
    /// Headers the client must send unchanged (they are signed; empty for a download).
    public var headers: [String: String]
    /// When the URL stops working.
    public var expiresAt: Timestamp

    /// Makes a target.
    public init(method: String, url: URL, headers: [String: String] = [:], expiresAt: Timestamp) {
        self.method = method
        self.url = url
        self.headers = headers
        self.expiresAt = expiresAt
    }
}

/// Turns attachment records into short-lived URLs of the host's object storage, provided by
/// the host (ChatServer adapts `MessagingMedia.MediaStore`: presigned S3 URLs, or its own
/// signed routes for local files). ``AttachmentService`` calls it after its checks, so the
/// HTTP routes and the realtime gateway hand out the same URLs under the same rules; set it
/// with `Messaging.signingAttachmentTransfers(with:)`.
///
/// Thread safety: implementations are `Sendable` and may be called from any task.
public protocol AttachmentTransferSigner: Sendable {
    /// Where the owner uploads the object of `attachment`: exactly
    /// ``Attachment/byteCount`` bytes of ``Attachment/contentType`` to
    /// ``Attachment/objectKey``.
    ///
    /// - Parameter attachment: a record ``AttachmentService`` just made.
    func uploadTarget(for attachment: Attachment) async throws -> AttachmentTransferTarget
    /// Where a member downloads the object of `attachment`, answered with its declared type
    /// and a safe disposition.
    ///
    /// - Parameter attachment: a record whose download ``AttachmentService`` allowed.
    func downloadTarget(for attachment: Attachment) async throws -> AttachmentTransferTarget
}

/// An upload slot: the attachment record and where to upload its bytes
/// (``AttachmentService/uploadSlot(_:in:by:)``).
///
/// Thread safety: a value type; safe to share across tasks.
public struct AttachmentUploadSlot: Hashable, Sendable {
    /// The record; a send names ``Attachment/id``.
    public var attachment: Attachment
    /// The signed upload request.
    public var upload: AttachmentTransferTarget

    /// Makes a slot.
    public init(attachment: Attachment, upload: AttachmentTransferTarget) {
        self.attachment = attachment
        self.upload = upload
    }
}

/// A download a member may make: the attachment record and its short-lived URL
/// (``AttachmentService/download(_:by:)``).
///
/// Thread safety: a value type; safe to share across tasks.
public struct AttachmentDownload: Hashable, Sendable {
    /// The record.
    public var attachment: Attachment
    /// The signed download request (`GET`).
    public var target: AttachmentTransferTarget

    /// Makes a download.
    public init(attachment: Attachment, target: AttachmentTransferTarget) {
        self.attachment = attachment
        self.target = target
    }
}
