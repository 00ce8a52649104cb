import Foundation
import MessagingCore
import MessagingMedia
import Synchronization

/// The server's object storage of attachments: a `MediaStore` (local files or S3), the
/// attachment checks of the use cases (``AttachmentObjectStore``), and the URLs handed to
/// clients (``AttachmentTransferSigner``: the use cases call it for the HTTP routes and the
/// realtime requests alike).
///
/// The local store's public base URL may be known only once the server listens (port 0):
/// ``bind(host:port:)`` then makes the store with `http://HOST:PORT/media`.
///
/// Thread safety: safe to share across tasks (the store is behind a lock).
final class ChatMedia: AttachmentObjectStore, AttachmentTransferSigner, Sendable {
    let configuration: MediaConfiguration
    let serving: MediaServingHeaders
    private let directory: URL?
    private let signingKey: [UInt8]
    private let store: Mutex<any MediaStore>

    /// The local store, when attachments are local files (its routes serve them).
    var local: LocalMediaStore? { store.withLock { $0 as? LocalMediaStore } }

    var current: any MediaStore { store.withLock { $0 } }

    init(configuration: MediaConfiguration, dataDirectory: URL, clock: any WallClock) throws {
        self.configuration = configuration
        serving = MediaServingHeaders(inlineTypes: configuration.inlineTypes)
        switch configuration.backend {
        case .local(let path):
            let directory = path.map { URL(fileURLWithPath: $0) } ?? dataDirectory.appendingPathComponent("media")
            let keyPath = configuration.signingKeyPath ?? dataDirectory.appendingPathComponent("media.key").path
            let key = try Self.loadOrCreateKey(at: keyPath)
            self.directory = directory
            signingKey = key
            let base = URL(string: configuration.publicBaseURL ?? "http://127.0.0.1/media")!
            let local = try LocalMediaStore(directory: directory, baseURL: base, signingKey: key, clock: clock)
            // Uploads a crash interrupted a day ago or more.
            _ = local.purgeIncoming(olderThan: 86_400)
            store = Mutex(local)
        case .s3(let settings):
            directory = nil
            signingKey = []
            let endpoint = try S3Endpoint(url: settings.endpoint, addressingStyle: settings.pathStyle ? .path : .virtualHosted)
            let presigner = try SigV4Presigner(
                credentials: SigV4Credentials(
                    accessKeyID: settings.accessKeyID, secretAccessKey: settings.secretAccessKey, sessionToken: settings.sessionToken),
                region: settings.region, bucket: settings.bucket, endpoint: endpoint)
            store = Mutex(S3MediaStore(presigner: presigner, serverSideEncryption: settings.serverSideEncryption, clock: clock))
        }
        self.clock = clock
    }

    private let clock: any WallClock

    /// Makes the local store's URLs point at the listening address when no public base URL is configured.
    func bind(host: String, port: Int) throws {
        guard configuration.publicBaseURL == nil, let directory, current is LocalMediaStore else { return }
        let name = host.contains(":") ? "[\(host)]" : (host == "0.0.0.0" ? "127.0.0.1" : host)
        guard let base = URL(string: "http://\(name):\(port)/media") else { return }
        let local = try LocalMediaStore(directory: directory, baseURL: base, signingKey: signingKey, clock: clock)
        store.withLock { $0 = local }
    }

    /// The upload URL of an attachment record.
    func uploadTarget(for attachment: Attachment) async throws -> AttachmentTransferTarget {
        let slot = try MediaUploadSlot(
            key: try MediaObjectKey(attachment.objectKey), contentType: attachment.contentType,
            byteCount: attachment.byteCount, expiresInSeconds: configuration.uploadURLLifetimeSeconds)
        let target = try await current.uploadTarget(for: slot)
        return AttachmentTransferTarget(method: target.method, url: target.url, headers: target.headers, expiresAt: target.expiresAt)
    }

    /// The download URL of an attachment record, with the serving headers it is answered with.
    func downloadTarget(for attachment: Attachment) async throws -> AttachmentTransferTarget {
        let request = try MediaDownloadRequest(
            key: try MediaObjectKey(attachment.objectKey), contentType: attachment.contentType,
            contentDisposition: serving.contentDisposition(contentType: attachment.contentType, fileName: attachment.fileName),
            expiresInSeconds: configuration.downloadURLLifetimeSeconds)
        let target = try await current.downloadTarget(for: request)
        return AttachmentTransferTarget(method: "GET", url: target.url, expiresAt: target.expiresAt)
    }

    func storedByteCount(ofObject key: String) async throws -> Int64? {
        try await current.head(try MediaObjectKey(key))?.byteCount
    }

    func deleteObject(_ key: String) async throws {
        try await current.delete(try MediaObjectKey(key))
    }

    /// Reads the signing key file, or writes 32 random bytes to it (mode 0600) when absent.
    static func loadOrCreateKey(at path: String) throws -> [UInt8] {
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count >= 32 else {
                throw ChatServerError.invalidConfiguration(
                    "The media signing key file \(path) holds \(data.count) bytes; delete it to have a new one made, or put 32 random bytes in it.")
            }
            return Array(data)
        }
        var key = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in key.indices { key[index] = UInt8.random(in: 0...255, using: &generator) }
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(key), attributes: [.posixPermissions: 0o600]) else {
            throw ChatServerError.invalidConfiguration("Cannot write the media signing key file \(path); check the directory's permissions.")
        }
        return key
    }
}

extension ChatMedia {
    /// The origins a browser uploads to (the web client's `connect-src`): the local store's
    /// base URL, or the S3 endpoint (any subdomain of it with virtual-hosted addressing).
    var browserOrigins: [String] {
        switch configuration.backend {
        case .local:
            guard let base = local?.baseURL, let origin = Self.origin(of: base) else { return [] }
            return [origin]
        case .s3(let settings):
            guard let endpoint = URL(string: settings.endpoint), let origin = Self.origin(of: endpoint) else { return [] }
            guard !settings.pathStyle, let scheme = endpoint.scheme else { return [origin] }
            return [origin, origin.replacingOccurrences(of: "\(scheme)://", with: "\(scheme)://*.")]
        }
    }

    /// `scheme://host[:port]` of a URL.
    static func origin(of url: URL) -> String? {
        guard let scheme = url.scheme?.lowercased(), let host = url.host else { return nil }
        return url.port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }
}
