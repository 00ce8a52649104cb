import Foundation
import MessagingPostgres
import MessagingCore
import MessagingDelivery
import MessagingTransport
import MessagingWebSocket

/// Everything the chat server needs to start: where to listen, where its files live, which
/// browser origins may open realtime connections, its limits, and whether it runs the
/// durable jobs itself.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ChatServerConfiguration: Sendable {
    /// The address to bind, such as `127.0.0.1` or `0.0.0.0`.
    public var host: String
    /// The TCP port; `0` asks the system for a free one (read it back from ``ChatServer/onListening``).
    public var port: Int
    /// The SQLite database file; its directory is created on first run. Default `./data/chat.sqlite`.
    public var databasePath: String
    /// The access-token signing keys file; generated (mode 0600) on first run when absent.
    /// Default: `keys.json` beside the database.
    public var keysPath: String
    /// Browser origins allowed to open realtime connections (`Origin` header), such as
    /// `http://127.0.0.1:8080`. Empty: any origin. Clients that send no `Origin` (non-browsers)
    /// are always allowed.
    public var allowedOrigins: Set<String>
    /// Sizes, rates and page limits.
    public var limits: ChatServerLimits
    /// Whether this process runs the job runner (notifications). `false` leaves the jobs to a
    /// separate `DeliveryWorker` on the same database.
    public var runsJobs: Bool
    /// The `iss` and `aud` of access tokens.
    public var tokenIssuer: String
    /// The `aud` of access tokens.
    public var tokenAudience: String
    /// Marks the refresh cookie `Secure` with the `__Secure-` name prefix; keep `true` behind
    /// HTTPS. (`false` names it `refresh-token`, for plain-HTTP development only.)
    public var secureCookies: Bool
    /// How long graceful shutdown waits for open HTTP requests and jobs before giving up;
    /// 5 s after it the remaining services are cancelled (``ChatServer/makeServiceGroup(gracefulShutdownSignals:)``).
    public var shutdownGracePeriod: Duration
    /// HTTP connection timeouts and head limits (every connection, upgrades included until
    /// they are upgraded): a request head must arrive within `headerReadTimeout` (default
    /// 10 s; a new connection that sends nothing is closed then, a partial head gets 408),
    /// a kept-alive connection is closed after `idleTimeout` without a request (default
    /// 60 s), a request line over 8 KiB gets 414 and a head over 32 KiB 431.
    public var http = HTTPConnectionLimits()
    /// A PostgreSQL database shared by every node of a cluster; `nil` (the default) keeps
    /// everything in the SQLite file at ``databasePath``. With one, the event bus, the
    /// revocation feed, presence and login throttling are shared across the nodes.
    public var postgresURL: PostgresURL?
    /// What deleting an account does to its messages: ``DeletedAccountMessages/tombstone``
    /// (the default: body, mentions, attachments and reactions dropped, a `message.deleted`
    /// event each) or ``DeletedAccountMessages/keep``.
    public var deletedAccountMessages: DeletedAccountMessages = .tombstone
    /// Time between two retention sweeps when the last one left nothing for later (default
    /// one hour; 1 s to 1 day). Sweeps run in the job runner, so only with ``runsJobs``.
    public var retentionSweepInterval: Duration = .seconds(3600)
    /// How long a conversation's notification scan waits after a message (the batch
    /// window: a burst within it is one notification per member who did not receive it).
    /// Default 30 s; 10 ms to 1 hour.
    public var notificationWindow: Duration = .seconds(30)
    /// The push services notifications go to, one per platform (`MessagingPush`'s APNs and
    /// FCM providers); empty (the default): notifications are recorded and logged, not pushed.
    public var pushProviders: [any DevicePushProvider] = []
    /// Where attachments are stored (default: files under `media/` beside the database,
    /// served by this server) and the limits of uploads.
    public var media = MediaConfiguration()

    /// Makes a configuration; every value has the default listed on its property.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, databasePath: String = "./data/chat.sqlite", keysPath: String? = nil,
        allowedOrigins: Set<String> = [], limits: ChatServerLimits = .init(), runsJobs: Bool = true,
        tokenIssuer: String = "swift-messaging-chat", tokenAudience: String = "chat", secureCookies: Bool = true,
        shutdownGracePeriod: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port
        self.databasePath = databasePath
        self.keysPath = keysPath ?? Self.defaultKeysPath(besides: databasePath)
        self.allowedOrigins = allowedOrigins
        self.limits = limits
        self.runsJobs = runsJobs
        self.tokenIssuer = tokenIssuer
        self.tokenAudience = tokenAudience
        self.secureCookies = secureCookies
        self.shutdownGracePeriod = shutdownGracePeriod
    }

    /// `keys.json` in the database's directory.
    public static func defaultKeysPath(besides databasePath: String) -> String {
        URL(fileURLWithPath: databasePath).deletingLastPathComponent().appendingPathComponent("keys.json").path
    }

    /// Checks every value; throws ``ChatServerError`` `invalidConfiguration` naming the bad one.
    public func validate() throws(ChatServerError) {
        guard !host.isEmpty, host.utf8.count <= 255, !host.contains(where: \.isWhitespace) else {
            throw .invalidConfiguration("The host must be an address or name without spaces, such as 127.0.0.1.")
        }
        guard (0...65_535).contains(port) else {
            throw .invalidConfiguration("The port must be between 0 and 65535 (0 picks a free one); it was \(port).")
        }
        guard !databasePath.isEmpty else { throw .invalidConfiguration("The database path is empty; give a file path.") }
        guard !keysPath.isEmpty else { throw .invalidConfiguration("The keys path is empty; give a file path.") }
        for origin in allowedOrigins {
            guard let url = URL(string: origin), let scheme = url.scheme, ["http", "https"].contains(scheme),
                  url.host != nil, url.path.isEmpty || url.path == "/", url.query == nil
            else {
                throw .invalidConfiguration(
                    "The allowed origin '\(origin)' is not an origin; write scheme, host and port only, such as http://127.0.0.1:8080.")
            }
        }
        guard !tokenIssuer.isEmpty, !tokenAudience.isEmpty else {
            throw .invalidConfiguration("The token issuer and audience must not be empty.")
        }
        guard http.headerReadTimeout >= .milliseconds(100), http.idleTimeout >= .milliseconds(100),
              http.headerReadTimeout <= .seconds(3600), http.idleTimeout <= .seconds(3600)
        else {
            throw .invalidConfiguration("The header and idle timeouts must be between 0.1 s and 1 hour.")
        }
        guard http.maxRequestLineBytes >= 1024, http.maxHeaderBytes >= http.maxRequestLineBytes, http.maxHeaderCount >= 16 else {
            throw .invalidConfiguration("The HTTP head limits must allow at least a 1 KiB request line, a head at least that long and 16 header fields.")
        }
        try limits.validate()
        try media.validate()
    }
}

/// The chat server's limits (HTTP body size, realtime frame size, rates, pages).
///
/// Thread safety: a value type; safe to share across tasks.
public struct ChatServerLimits: Sendable {
    /// The largest HTTP request body accepted, in bytes (larger: 413). Default 64 KiB.
    public var maxRequestBodyBytes: Int
    /// The largest realtime frame accepted, in bytes (larger: close 1009). Default 128 KiB.
    public var maxFrameBytes: Int
    /// Token buckets per user and per client address, shared by the HTTP API (actions
    /// `auth` and `message`) and the realtime gateway (every action).
    public var rateLimits: RateLimits
    /// Realtime connections one user may hold. Default 10.
    public var maxConnectionsPerUser: Int
    /// The domain limits (message size, page sizes, members).
    public var messaging: MessagingLimits
    /// Each realtime connection's outbound queue; a connection that falls further behind is
    /// closed with 4410 "resync required" (it resumes from its last `seq`). Default 1,024
    /// events / 4 MiB.
    public var outboundQueue: SessionQueueLimits = .init()

    /// Makes limits; every value has the default listed on its property.
    public init(
        maxRequestBodyBytes: Int = 64 * 1024, maxFrameBytes: Int = 128 * 1024, rateLimits: RateLimits = .default,
        maxConnectionsPerUser: Int = 10, messaging: MessagingLimits = .default
    ) {
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.maxFrameBytes = maxFrameBytes
        self.rateLimits = rateLimits
        self.maxConnectionsPerUser = maxConnectionsPerUser
        self.messaging = messaging
    }

    func validate() throws(ChatServerError) {
        guard (1024...(16 * 1024 * 1024)).contains(maxRequestBodyBytes) else {
            throw .invalidConfiguration("The request body limit must be between 1 KiB and 16 MiB; it was \(maxRequestBodyBytes) bytes.")
        }
        guard (1024...(16 * 1024 * 1024)).contains(maxFrameBytes) else {
            throw .invalidConfiguration("The frame limit must be between 1 KiB and 16 MiB; it was \(maxFrameBytes) bytes.")
        }
        guard (1...100_000).contains(maxConnectionsPerUser) else {
            throw .invalidConfiguration("The connections per user must be between 1 and 100,000; it was \(maxConnectionsPerUser).")
        }
        guard outboundQueue.maxEvents >= 1, outboundQueue.maxBytes >= 1024 else {
            throw .invalidConfiguration("The outbound queue needs at least 1 event and 1 KiB; it was \(outboundQueue.maxEvents) events / \(outboundQueue.maxBytes) bytes.")
        }
        for (action, rule) in rateLimits.perUser.merging(rateLimits.perAddress, uniquingKeysWith: { $1 })
        where !(rule.burst >= 1 && rule.perSecond > 0) {
            throw .invalidConfiguration(
                "The rate limit of '\(action.rawValue)' needs a burst of at least 1 and a positive rate per second.")
        }
    }
}

extension ChatServerConfiguration {
    /// ``notificationWindow`` in milliseconds, held within 10 ms and 1 hour.
    var notificationWindowMilliseconds: Int64 {
        let parts = notificationWindow.components
        let milliseconds = parts.seconds.multipliedReportingOverflow(by: 1000)
        guard parts.seconds >= 0, !milliseconds.overflow else { return parts.seconds < 0 ? 10 : 3_600_000 }
        return min(max(milliseconds.partialValue + parts.attoseconds / 1_000_000_000_000_000, 10), 3_600_000)
    }
}
