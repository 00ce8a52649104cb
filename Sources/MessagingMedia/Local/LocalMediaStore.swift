import Foundation
import MessagingCore
import MessagingSodium
#if canImport(Glibc)
import Glibc
#endif

/// The embedded ``MediaStore``: files under one directory, uploaded and downloaded through
/// the host's own routes with short-lived signed URLs.
///
/// URLs are `BASE/KEY?X-Media-Expires=…&X-Media-Size=…&X-Media-Type=…[&X-Media-Disposition=…]&X-Media-Signature=…`,
/// the key percent-encoded (RFC 3986 unreserved characters and `/` kept), signed with
/// HMAC-SHA-256 over method, key, expiry, size limit and the types (``LocalMediaSignature``).
/// The host's route verifies with ``verify(method:key:queryItems:)`` and then calls
/// ``write(_:from:grant:)`` (uploads) or ``read(_:chunkSize:)`` (downloads), answering
/// with ``MediaServingHeaders``.
///
/// Layout: objects at `DIRECTORY/objects/KEY`, uploads in progress at `DIRECTORY/incoming/`
/// (same file system, so the final `rename(2)` is atomic). A reader sees a whole object or
/// none; an upload cut short, too long or too short leaves nothing behind.
///
/// ``head(_:)`` reports the size; the content type is not stored (the server keeps the
/// declared type with the attachment), so it is `nil`.
///
/// Thread safety: immutable after `init`; safe to share across tasks. Concurrent uploads
/// write separate temporary files; when two finish for one key, the later rename wins.
/// File I/O is blocking and done in small chunks on the calling task.
public struct LocalMediaStore: MediaStore {
    /// The store's directory.
    public let directory: URL
    /// The public base URL of the host's media route (`https://chat.example.com/media`).
    public let baseURL: URL
    private let signingKey: [UInt8]
    private let clock: any WallClock

    /// Makes the store and creates its directories.
    ///
    /// - Parameters:
    ///   - directory: where objects live (`objects/`) and uploads are written (`incoming/`).
    ///   - baseURL: the public base URL of the host's media route.
    ///   - signingKey: at least 32 random bytes, kept secret and shared by every node
    ///     serving the same directory.
    ///   - clock: the time URLs expire against.
    /// - Throws: ``MediaError/Code/invalidConfiguration`` for a short key, a base URL that is
    ///   not http(s) or has a query, or a directory that cannot be created.
    public init(directory: URL, baseURL: URL, signingKey: [UInt8], clock: any WallClock = SystemWallClock()) throws(MediaError) {
        guard signingKey.count >= 32 else {
            throw MediaError(code: .invalidConfiguration, message: "the local media signing key has \(signingKey.count) bytes; give at least 32 random bytes")
        }
        guard let scheme = baseURL.scheme?.lowercased(), scheme == "http" || scheme == "https", baseURL.query == nil else {
            throw MediaError(code: .invalidConfiguration, message: "the local media base URL '\(baseURL)' must be http(s) without a query, such as https://chat.example.com/media")
        }
        self.directory = directory.standardizedFileURL
        self.baseURL = baseURL
        self.signingKey = signingKey
        self.clock = clock
        do {
            try FileManager.default.createDirectory(at: objectsDirectory, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: incomingDirectory, withIntermediateDirectories: true)
        } catch {
            throw MediaError(code: .invalidConfiguration, message: "cannot create the media directory \(self.directory.path); check its permissions", cause: error)
        }
    }

    var objectsDirectory: URL { directory.appendingPathComponent("objects", isDirectory: true) }
    var incomingDirectory: URL { directory.appendingPathComponent("incoming", isDirectory: true) }

    /// The file of `key` (the key is validated, so it stays under the directory).
    public func fileURL(for key: MediaObjectKey) -> URL {
        key.segments.reduce(objectsDirectory) { $0.appendingPathComponent(String($1)) }
    }

    // MARK: - MediaStore

    public func uploadTarget(for slot: MediaUploadSlot) async throws(MediaError) -> MediaUploadTarget {
        let now = clock.now()
        let expires = now.millisecondsSince1970 / 1000 + Int64(slot.expiresInSeconds)
        let url = try signedURL(method: "PUT", key: slot.key, expires: expires, sizeLimit: slot.byteCount, contentType: slot.contentType, contentDisposition: "")
        return MediaUploadTarget(url: url, headers: ["content-type": slot.contentType], expiresAt: Timestamp(millisecondsSince1970: expires * 1000))
    }

    public func downloadTarget(for request: MediaDownloadRequest) async throws(MediaError) -> MediaDownloadTarget {
        let now = clock.now()
        let expires = now.millisecondsSince1970 / 1000 + Int64(request.expiresInSeconds)
        let url = try signedURL(method: "GET", key: request.key, expires: expires, sizeLimit: 0, contentType: request.contentType, contentDisposition: request.contentDisposition)
        return MediaDownloadTarget(url: url, expiresAt: Timestamp(millisecondsSince1970: expires * 1000))
    }

    public func head(_ key: MediaObjectKey) async throws(MediaError) -> MediaObjectInfo? {
        var info = stat()
        guard stat(fileURL(for: key).path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw MediaError(code: .storageFailed, message: "cannot read the size of media object '\(key)': \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return MediaObjectInfo(byteCount: Int64(info.st_size), contentType: nil)
    }

    public func delete(_ key: MediaObjectKey) async throws(MediaError) {
        guard unlink(fileURL(for: key).path) == 0 || errno == ENOENT || errno == ENOTDIR else {
            throw MediaError(code: .storageFailed, message: "cannot delete media object '\(key)': \(String(cString: strerror(errno)))")
        }
    }

    // MARK: - Signing

    func signedURL(method: String, key: MediaObjectKey, expires: Int64, sizeLimit: Int64, contentType: String, contentDisposition: String) throws(MediaError) -> URL {
        let signature = LocalMediaSignature.sign(
            LocalMediaSignature.message(method: method, key: key, expires: expires, sizeLimit: sizeLimit, contentType: contentType, contentDisposition: contentDisposition),
            key: signingKey)
        var pairs = [
            (LocalMediaSignature.expiresParameter, String(expires)),
            (LocalMediaSignature.sizeParameter, String(sizeLimit)),
            (LocalMediaSignature.typeParameter, contentType),
        ]
        if !contentDisposition.isEmpty { pairs.append((LocalMediaSignature.dispositionParameter, contentDisposition)) }
        pairs.append((LocalMediaSignature.signatureParameter, signature))
        let query = pairs.map { "\($0.0)=\(SigV4Encoding.uriEncode($0.1, keepSlash: false))" }.joined(separator: "&")
        var base = baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: "\(base)/\(SigV4Encoding.uriEncode(key.rawValue, keepSlash: true))?\(query)") else {
            throw MediaError(code: .invalidRequest, message: "the media URL for key '\(key)' is not a valid URL")
        }
        return url
    }

    /// Checks a signed URL's fields and returns what it allows.
    ///
    /// The signature is compared in constant time before the expiry is looked at.
    ///
    /// - Throws: ``MediaError/Code/invalidSignature`` when the signature does not cover these
    ///   exact fields; ``MediaError/Code/expired`` when `expires` is in the past.
    public func verify(
        method: String, key: MediaObjectKey, expires: Int64, sizeLimit: Int64,
        contentType: String = "", contentDisposition: String = "", signature: String
    ) throws(MediaError) -> LocalMediaGrant {
        let method = method.uppercased()
        let expected = LocalMediaSignature.sign(
            LocalMediaSignature.message(method: method, key: key, expires: expires, sizeLimit: sizeLimit, contentType: contentType, contentDisposition: contentDisposition),
            key: signingKey)
        guard Sodium.constantTimeEquals(Array(expected.utf8), Array(signature.lowercased().utf8)) else {
            throw MediaError(code: .invalidSignature, message: "the media URL's signature does not match; ask the server for a new URL")
        }
        guard clock.now().millisecondsSince1970 / 1000 <= expires else {
            throw MediaError(code: .expired, message: "the media URL expired; ask the server for a new URL")
        }
        return LocalMediaGrant(method: method, key: key, expires: expires, sizeLimit: sizeLimit, contentType: contentType, contentDisposition: contentDisposition)
    }

    /// Checks a request to the media route: `keyPath` is the part of the (percent-decoded)
    /// path after the route's prefix, `queryItems` the URL's decoded query.
    ///
    /// - Throws: ``MediaError/Code/invalidKey``, ``MediaError/Code/invalidRequest`` for a
    ///   missing or malformed parameter, and what ``verify(method:key:expires:sizeLimit:contentType:contentDisposition:signature:)`` throws.
    public func verify(method: String, key keyPath: String, queryItems: [URLQueryItem]) throws(MediaError) -> LocalMediaGrant {
        let key = try MediaObjectKey(keyPath)
        func value(_ name: String) -> String? { queryItems.first { $0.name == name }?.value }
        guard let expires = value(LocalMediaSignature.expiresParameter).flatMap(Int64.init),
              let size = value(LocalMediaSignature.sizeParameter).flatMap(Int64.init),
              let signature = value(LocalMediaSignature.signatureParameter) else {
            throw MediaError(code: .invalidRequest, message: "the media URL lacks X-Media-Expires, X-Media-Size or X-Media-Signature; use the URL the server gave")
        }
        return try verify(
            method: method, key: key, expires: expires, sizeLimit: size,
            contentType: value(LocalMediaSignature.typeParameter) ?? "",
            contentDisposition: value(LocalMediaSignature.dispositionParameter) ?? "", signature: signature)
    }
}
