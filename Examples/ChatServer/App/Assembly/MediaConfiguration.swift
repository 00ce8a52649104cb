import Foundation
import MessagingCore
import MessagingMedia

/// Where ChatServer keeps attachments and the limits of uploads.
///
/// The default stores files under `media/` beside the database and serves them through the
/// server's own signed `/media/…` routes; ``Backend/s3(_:)`` hands out presigned URLs of an
/// S3-compatible bucket instead, and clients talk to the bucket directly.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MediaConfiguration: Sendable {
    /// The object storage of attachments.
    public enum Backend: Sendable {
        /// Files under a directory (`nil`: `media` beside the database), served by this server.
        case local(directory: String?)
        /// An S3-compatible bucket.
        case s3(S3Settings)
    }

    /// The object storage; default local files.
    public var backend: Backend = .local(directory: nil)
    /// The public base URL of the local store's routes, such as `https://chat.example.com/media`;
    /// `nil`: `http://HOST:PORT/media` of the listening address (development and tests).
    public var publicBaseURL: String?
    /// The local store's signing key file (32 random bytes, generated with mode 0600 on first
    /// run); `nil`: `media.key` beside the database. Share it between nodes serving the same
    /// directory.
    public var signingKeyPath: String?
    /// Size and type limits of uploads and how long unattached uploads are kept.
    public var policy: AttachmentPolicy = .default
    /// How long an upload URL is valid, in seconds (default 15 minutes).
    public var uploadURLLifetimeSeconds = 900
    /// How long a download URL is valid, in seconds (default 5 minutes).
    public var downloadURLLifetimeSeconds = 300
    /// Image types served inline; every other type is served as a download.
    public var inlineTypes: Set<String> = MediaServingHeaders.defaultInlineTypes

    /// The defaults listed on each property.
    public init() {}

    func validate() throws(ChatServerError) {
        for lifetime in [uploadURLLifetimeSeconds, downloadURLLifetimeSeconds] {
            guard (MediaURLLifetime.minimumSeconds...MediaURLLifetime.maximumSeconds).contains(lifetime) else {
                throw .invalidConfiguration("Media URL lifetimes must be 1 s to 604800 s (7 days); one is \(lifetime) s.")
            }
        }
        guard policy.maximumByteCount >= 1 else {
            throw .invalidConfiguration("The largest attachment must be at least 1 byte; it is \(policy.maximumByteCount).")
        }
        guard !policy.allowedContentTypes.isEmpty else {
            throw .invalidConfiguration("The list of allowed attachment types is empty; allow at least one, such as image/*.")
        }
    }
}

/// An S3-compatible bucket for attachments.
///
/// Thread safety: a value type; safe to share across tasks.
public struct S3Settings: Sendable {
    /// The endpoint, such as `https://s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:9000`.
    public var endpoint: String
    /// The region, such as `eu-west-1`.
    public var region: String
    /// The bucket.
    public var bucket: String
    /// The access key id.
    public var accessKeyID: String
    /// The secret access key.
    public var secretAccessKey: String
    /// A session token of temporary credentials.
    public var sessionToken: String?
    /// Path-style addressing (`HOST/BUCKET/KEY`: MinIO, Ceph, moto) instead of virtual-hosted.
    public var pathStyle: Bool
    /// Server-side encryption signed into upload URLs.
    public var serverSideEncryption: S3ServerSideEncryption?

    /// Makes settings.
    ///
    /// - Parameters:
    ///   - endpoint: the endpoint URL (scheme, host, port).
    ///   - region: the signing region.
    ///   - bucket: the bucket name.
    ///   - accessKeyID: the access key id.
    ///   - secretAccessKey: the secret access key.
    ///   - sessionToken: a session token of temporary credentials.
    ///   - pathStyle: path-style addressing.
    ///   - serverSideEncryption: server-side encryption of uploads.
    public init(
        endpoint: String, region: String, bucket: String, accessKeyID: String, secretAccessKey: String,
        sessionToken: String? = nil, pathStyle: Bool = false, serverSideEncryption: S3ServerSideEncryption? = nil
    ) {
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.pathStyle = pathStyle
        self.serverSideEncryption = serverSideEncryption
    }
}
