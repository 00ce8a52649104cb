import Foundation
import MessagingSodium

/// What a verified local-store URL allows: one method on one key until ``expires``, with
/// the size limit and response headers that were signed.
///
/// Thread safety: a value type; safe to share across tasks.
public struct LocalMediaGrant: Hashable, Sendable {
    /// `PUT` or `GET`.
    public var method: String
    /// The object.
    public var key: MediaObjectKey
    /// The end of the URL's lifetime, in seconds since 1970.
    public var expires: Int64
    /// For `PUT`, the exact number of bytes the upload must carry (also its limit); `0` for `GET`.
    public var sizeLimit: Int64
    /// For `PUT`, the declared type the request's `Content-Type` must equal; for `GET`, the
    /// `Content-Type` to answer with.
    public var contentType: String
    /// For `GET`, the `Content-Disposition` to answer with; empty for `PUT`.
    public var contentDisposition: String

    /// Checks an upload request's `Content-Type` header against the signed type (compared
    /// without case; parameters must match too).
    ///
    /// - Throws: ``MediaError/Code/invalidRequest`` when the types differ or the grant is
    ///   not an upload.
    public func checkUploadContentType(_ header: String?) throws(MediaError) {
        guard method == "PUT" else {
            throw MediaError(code: .invalidRequest, message: "the media URL allows \(method), not an upload")
        }
        guard let header, header.trimmingSpaces().lowercased() == contentType.trimmingSpaces().lowercased() else {
            throw MediaError(code: .invalidRequest, message: "the upload's Content-Type must be '\(contentType)', the type declared for it")
        }
    }
}

/// The query parameters of local-store URLs and the string their signature covers.
///
/// Signed string (UTF-8, fields joined by a line feed):
/// `messaging-media/v1`, method, object key, expiry (decimal seconds since 1970), size limit
/// (decimal bytes), content type, content disposition. Signature: HMAC-SHA-256 under the
/// store's key, lowercase hex. The key and values cannot contain a line feed, so the fields
/// are unambiguous.
///
/// Thread safety: constants and pure functions.
public enum LocalMediaSignature {
    /// `X-Media-Expires`: the expiry, decimal seconds since 1970.
    public static let expiresParameter = "X-Media-Expires"
    /// `X-Media-Size`: the size limit, decimal bytes.
    public static let sizeParameter = "X-Media-Size"
    /// `X-Media-Type`: the content type.
    public static let typeParameter = "X-Media-Type"
    /// `X-Media-Disposition`: the content disposition (downloads).
    public static let dispositionParameter = "X-Media-Disposition"
    /// `X-Media-Signature`: the signature, 64 lowercase hex digits.
    public static let signatureParameter = "X-Media-Signature"

    static func message(method: String, key: MediaObjectKey, expires: Int64, sizeLimit: Int64, contentType: String, contentDisposition: String) -> [UInt8] {
        Array(["messaging-media/v1", method, key.rawValue, String(expires), String(sizeLimit), contentType, contentDisposition].joined(separator: "\n").utf8)
    }

    static func sign(_ message: [UInt8], key: [UInt8]) -> String {
        Sodium.hex(Sodium.hmacSHA256(message, key: key))
    }
}
