import Foundation
import MessagingCore

/// What the server needs from object storage for media attachments.
///
/// The server never streams attachment bytes through its own logic: it hands the client a
/// short-lived upload URL (``uploadTarget(for:)``), checks the result with ``head(_:)``
/// before it lets a message name the object, hands members short-lived download URLs
/// (``downloadTarget(for:)``) and deletes objects nobody attached (``delete(_:)``).
///
/// Adapters: ``LocalMediaStore`` (files under a directory, served by the host's own routes)
/// and ``S3MediaStore`` (an S3-compatible bucket, AWS Signature Version 4 presigned URLs).
///
/// Thread safety: adapters are `Sendable` and may be called from any task concurrently.
public protocol MediaStore: Sendable {
    /// A URL the client uploads one object to, with the headers it must send.
    ///
    /// - Throws: ``MediaError`` (``MediaError/Code/invalidExpiry``,
    ///   ``MediaError/Code/invalidRequest``).
    func uploadTarget(for slot: MediaUploadSlot) async throws(MediaError) -> MediaUploadTarget

    /// A URL a client downloads one object from.
    func downloadTarget(for request: MediaDownloadRequest) async throws(MediaError) -> MediaDownloadTarget

    /// The stored object's size and content type, or `nil` when there is none.
    ///
    /// - Throws: ``MediaError/Code/storageFailed`` when the backend cannot tell.
    func head(_ key: MediaObjectKey) async throws(MediaError) -> MediaObjectInfo?

    /// Deletes the object; deleting a missing object succeeds.
    func delete(_ key: MediaObjectKey) async throws(MediaError)
}

/// The bounds every store applies to URL lifetimes: 1 second to 7 days (SigV4's limit).
///
/// Thread safety: constants only.
public enum MediaURLLifetime {
    /// The shortest lifetime, in seconds.
    public static let minimumSeconds = 1
    /// The longest lifetime, in seconds (604,800: 7 days).
    public static let maximumSeconds = 604_800

    /// Throws ``MediaError/Code/invalidExpiry`` unless `seconds` is within the bounds.
    public static func validate(_ seconds: Int) throws(MediaError) {
        guard seconds >= minimumSeconds, seconds <= maximumSeconds else {
            throw MediaError(code: .invalidExpiry, message: "a URL lifetime of \(seconds) s is outside 1 s … 604800 s (7 days); choose a lifetime within it")
        }
    }
}

/// One upload the server allows: which object, what type, how large, for how long.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MediaUploadSlot: Hashable, Sendable {
    /// Where the object goes.
    public var key: MediaObjectKey
    /// The declared media type (`type/subtype`, no parameters needed), sent back by the
    /// store on download.
    public var contentType: String
    /// The declared size in bytes; the upload must be exactly this long.
    public var byteCount: Int64
    /// How long the upload URL stays valid, in seconds (1 … 604,800).
    public var expiresInSeconds: Int

    /// Makes a slot.
    ///
    /// - Throws: ``MediaError/Code/invalidRequest`` for a negative size or a content type
    ///   that is not `type/subtype`; ``MediaError/Code/invalidExpiry``.
    public init(key: MediaObjectKey, contentType: String, byteCount: Int64, expiresInSeconds: Int) throws(MediaError) {
        guard byteCount >= 0 else {
            throw MediaError(code: .invalidRequest, message: "declared size \(byteCount) is negative")
        }
        guard MediaContentType.isValid(contentType) else {
            throw MediaError(code: .invalidRequest, message: "content type '\(contentType.prefix(100))' is not 'type/subtype' in printable ASCII")
        }
        try MediaURLLifetime.validate(expiresInSeconds)
        self.key = key
        self.contentType = contentType
        self.byteCount = byteCount
        self.expiresInSeconds = expiresInSeconds
    }
}

/// Where and how the client uploads: `PUT` the bytes to ``url`` with exactly ``headers``.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MediaUploadTarget: Hashable, Sendable {
    /// The HTTP method (always `PUT`).
    public var method: String
    /// The signed URL.
    public var url: URL
    /// Headers the client must send unchanged (they are signed): `Content-Type`, and
    /// `Content-Length` and `x-amz-server-side-encryption` where the adapter signs them.
    public var headers: [String: String]
    /// When the URL stops working.
    public var expiresAt: Timestamp

    /// Makes a target.
    public init(method: String = "PUT", url: URL, headers: [String: String], expiresAt: Timestamp) {
        self.method = method
        self.url = url
        self.headers = headers
        self.expiresAt = expiresAt
    }
}

/// A download the server allows, with the headers the response should carry.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MediaDownloadRequest: Hashable, Sendable {
    /// The object.
    public var key: MediaObjectKey
    /// The `Content-Type` of the response (the type declared at upload).
    public var contentType: String
    /// The `Content-Disposition` of the response; see ``MediaServingHeaders``.
    public var contentDisposition: String
    /// How long the URL stays valid, in seconds (1 … 604,800).
    public var expiresInSeconds: Int

    /// Makes a request.
    ///
    /// - Throws: ``MediaError/Code/invalidRequest``, ``MediaError/Code/invalidExpiry``.
    public init(key: MediaObjectKey, contentType: String, contentDisposition: String, expiresInSeconds: Int) throws(MediaError) {
        guard MediaContentType.isValid(contentType) else {
            throw MediaError(code: .invalidRequest, message: "content type '\(contentType.prefix(100))' is not 'type/subtype' in printable ASCII")
        }
        guard MediaServingHeaders.isSafeHeaderValue(contentDisposition) else {
            throw MediaError(code: .invalidRequest, message: "content disposition has characters a header cannot carry; build it with MediaServingHeaders.contentDisposition")
        }
        try MediaURLLifetime.validate(expiresInSeconds)
        self.key = key
        self.contentType = contentType
        self.contentDisposition = contentDisposition
        self.expiresInSeconds = expiresInSeconds
    }
}

/// A download URL.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MediaDownloadTarget: Hashable, Sendable {
    /// The signed URL (`GET`).
    public var url: URL
    /// When the URL stops working.
    public var expiresAt: Timestamp

    /// Makes a target.
    public init(url: URL, expiresAt: Timestamp) {
        self.url = url
        self.expiresAt = expiresAt
    }
}

/// What the store knows of a stored object.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MediaObjectInfo: Hashable, Sendable {
    /// The size in bytes.
    public var byteCount: Int64
    /// The content type stored with the object, when the backend keeps one.
    public var contentType: String?

    /// Makes the info.
    public init(byteCount: Int64, contentType: String?) {
        self.byteCount = byteCount
        self.contentType = contentType
    }
}
