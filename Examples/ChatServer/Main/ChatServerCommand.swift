import ArgumentParser
import ChatServerApp
import Foundation
import Logging
import MessagingCore
import MessagingDelivery
import MessagingMedia
import MessagingPostgres
import MessagingPush
import Metrics

/// `ChatServer`: runs the chat server until SIGTERM or SIGINT.
@main
struct ChatServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ChatServer",
        abstract: "The swift-messaging chat server: HTTP API, realtime WebSocket, health, readiness and metrics, on SQLite.",
        discussion: """
            Every option can also be set in the environment (the flag wins): CHAT_HOST, CHAT_PORT, CHAT_DATABASE, \
            CHAT_KEYS, CHAT_ALLOWED_ORIGINS (comma-separated), CHAT_NO_JOBS=1, CHAT_MAX_BODY_BYTES, \
            CHAT_MAX_FRAME_BYTES, CHAT_MAX_CONNECTIONS_PER_USER, CHAT_HEADER_TIMEOUT, CHAT_IDLE_TIMEOUT, CHAT_INSECURE_COOKIES=1, CHAT_LOG_LEVEL, CHAT_BENCHMARK_LIMITS=1.
            """)

    @Option(help: "Address to bind (env CHAT_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on, 0 for any free one (env CHAT_PORT; default 8080).")
    var port: Int?

    @Option(help: "SQLite database file, created with its directory on first run (env CHAT_DATABASE; default ./data/chat.sqlite).")
    var database: String?

    @Option(help: "Token signing keys file, generated on first run (env CHAT_KEYS; default keys.json beside the database).")
    var keys: String?

    @Option(name: .customLong("allowed-origin"), help: "A browser origin allowed to open realtime connections; repeat for more (env CHAT_ALLOWED_ORIGINS, comma-separated; default any).")
    var allowedOrigins: [String] = []

    @Option(help: "A PostgreSQL database shared by the nodes of a cluster, postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE (env MESSAGING_POSTGRES_URL; default: the SQLite file).")
    var postgres: String?

    @Option(help: "What deleting an account does to its messages: tombstone or keep (env CHAT_DELETED_ACCOUNT_MESSAGES; default tombstone).")
    var deletedAccountMessages: String?

    @Flag(help: "Leave the durable jobs to a separate DeliveryWorker (env CHAT_NO_JOBS=1).")
    var noJobs = false

    @Option(help: "Largest HTTP request body in bytes (env CHAT_MAX_BODY_BYTES; default 65536).")
    var maxBodyBytes: Int?

    @Option(help: "Largest realtime frame in bytes (env CHAT_MAX_FRAME_BYTES; default 131072).")
    var maxFrameBytes: Int?

    @Option(help: "Seconds a client may take to send a request head; a new connection must send one within this time (env CHAT_HEADER_TIMEOUT; default 10).")
    var headerTimeout: Int?

    @Option(help: "Seconds a kept-alive HTTP connection may wait for its next request (env CHAT_IDLE_TIMEOUT; default 60).")
    var idleTimeout: Int?

    @Option(help: "Realtime connections per user (env CHAT_MAX_CONNECTIONS_PER_USER; default 10).")
    var maxConnectionsPerUser: Int?

    @Flag(help: "Name the refresh cookie without the __Secure- prefix, for plain-HTTP development (env CHAT_INSECURE_COOKIES=1).")
    var insecureCookies = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env CHAT_LOG_LEVEL; default info).")
    var logLevel: String?

    @Option(help: "APNs push key file (.p8) (env CHAT_APNS_KEY_FILE); with --apns-key-id, --apns-team-id and --apns-topic, notifications are pushed to iOS devices.")
    var apnsKeyFile: String?

    @Option(help: "APNs key id (env CHAT_APNS_KEY_ID).")
    var apnsKeyId: String?

    @Option(help: "Apple Developer team id (env CHAT_APNS_TEAM_ID).")
    var apnsTeamId: String?

    @Option(help: "The app's bundle id, the APNs topic (env CHAT_APNS_TOPIC).")
    var apnsTopic: String?

    @Option(help: "FCM service-account key file (JSON) (env CHAT_FCM_SERVICE_ACCOUNT); notifications are then pushed to Android devices.")
    var fcmServiceAccount: String?

    @Option(help: "Milliseconds a conversation's notification scan waits after a message; a burst within it is one notification (env CHAT_NOTIFICATION_WINDOW_MS; default 30000; 10 to 3600000).")
    var notificationWindowMs: Int?

    @Option(help: "Directory of local attachment files (env CHAT_MEDIA_DIR; default media beside the database).")
    var mediaDir: String?

    @Option(help: "Public base URL of this server's /media routes, such as https://chat.example.com/media (env CHAT_MEDIA_BASE_URL; default http://HOST:PORT/media).")
    var mediaBaseURL: String?

    @Option(help: "Largest attachment in bytes (env CHAT_MEDIA_MAX_BYTES; default 104857600).")
    var mediaMaxBytes: Int?

    @Option(help: "Allowed attachment types, comma-separated, such as image/*,application/pdf (env CHAT_MEDIA_TYPES; default image/*,audio/*,video/*,application/pdf,text/plain,application/octet-stream).")
    var mediaTypes: String?

    @Option(help: "S3-compatible endpoint for attachments instead of local files, such as https://s3.eu-west-1.amazonaws.com (env CHAT_S3_ENDPOINT; with CHAT_S3_REGION, CHAT_S3_BUCKET, CHAT_S3_ACCESS_KEY_ID, CHAT_S3_SECRET_ACCESS_KEY, optional CHAT_S3_SESSION_TOKEN, CHAT_S3_PATH_STYLE=1, CHAT_S3_SSE=AES256|aws:kms, CHAT_S3_SSE_KMS_KEY_ID).")
    var s3Endpoint: String?

    @Flag(help: "Load-test settings, never for production: no rate limits, 100,000 connections per user, a large outbound queue, and the cheapest password hashing (env CHAT_BENCHMARK_LIMITS=1).")
    var benchmarkLimits = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let levelName = logLevel ?? environment["CHAT_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else {
            throw ValidationError("Unknown log level '\(levelName)'; use trace, debug, info, notice, warning, error or critical.")
        }
        LoggingSystem.bootstrap { label in
            var handler = KeyValueLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "ChatServer")
        let configuration = try makeConfiguration(environment: environment)
        let metrics = ServerMetrics()
        // Once per process, here only: libraries' swift-metrics land in the server's registry too.
        MetricsSystem.bootstrap(metrics.factory)

        let server: ChatServer
        do {
            let benchmark = benchmarkLimits || ["1", "true", "yes"].contains(environment["CHAT_BENCHMARK_LIMITS"]?.lowercased() ?? "")
            if benchmark { logger.warning("benchmark limits: no rate limits and the cheapest password hashing; never use them in production") }
            server = try await ChatServer(
                configuration: configuration, logger: logger, metrics: metrics,
                passwordHashing: benchmark ? .minimumForTestsOnly : .interactive
            ) { host, port in
                Self.printBanner(configuration: configuration, host: host, port: port)
            }
        } catch let error as ChatServerError {
            throw ValidationError(error.message)
        }
        try await server.run(gracefulShutdownSignals: [.sigterm, .sigint])
        logger.notice("stopped")
    }

    private func makeConfiguration(environment: [String: String]) throws -> ChatServerConfiguration {
        func integer(_ flag: Int?, _ name: String) throws -> Int? {
            if let flag { return flag }
            guard let text = environment[name] else { return nil }
            guard let value = Int(text) else { throw ValidationError("\(name) must be an integer; it is '\(text)'.") }
            return value
        }
        func enabled(_ name: String) -> Bool { ["1", "true", "yes"].contains(environment[name]?.lowercased() ?? "") }

        let database = database ?? environment["CHAT_DATABASE"] ?? "./data/chat.sqlite"
        var origins = allowedOrigins
        if origins.isEmpty, let list = environment["CHAT_ALLOWED_ORIGINS"] {
            origins = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        var limits = ChatServerLimits()
        if let value = try integer(maxBodyBytes, "CHAT_MAX_BODY_BYTES") { limits.maxRequestBodyBytes = value }
        if let value = try integer(maxFrameBytes, "CHAT_MAX_FRAME_BYTES") { limits.maxFrameBytes = value }
        if let value = try integer(maxConnectionsPerUser, "CHAT_MAX_CONNECTIONS_PER_USER") { limits.maxConnectionsPerUser = value }
        if benchmarkLimits || enabled("CHAT_BENCHMARK_LIMITS") {
            limits.rateLimits = .unlimited
            limits.maxConnectionsPerUser = 100_000
            limits.outboundQueue = .init(maxEvents: 65_536, maxBytes: 64 << 20)
        }
        func seconds(_ flag: Int?, _ name: String, _ option: String) throws -> Duration? {
            guard let value = try integer(flag, name) else { return nil }
            guard (1...3600).contains(value) else { throw ValidationError("\(option) (\(name)) must be between 1 and 3600 seconds; it is \(value).") }
            return .seconds(value)
        }
        let headerTimeout = try seconds(headerTimeout, "CHAT_HEADER_TIMEOUT", "--header-timeout")
        let idleTimeout = try seconds(idleTimeout, "CHAT_IDLE_TIMEOUT", "--idle-timeout")
        var configuration = ChatServerConfiguration(
            host: host ?? environment["CHAT_HOST"] ?? "127.0.0.1",
            port: try integer(port, "CHAT_PORT") ?? 8080,
            databasePath: database,
            keysPath: keys ?? environment["CHAT_KEYS"],
            allowedOrigins: Set(origins),
            limits: limits,
            runsJobs: !(noJobs || enabled("CHAT_NO_JOBS")),
            secureCookies: !(insecureCookies || enabled("CHAT_INSECURE_COOKIES")))
        if let text = postgres ?? environment["MESSAGING_POSTGRES_URL"].flatMap({ $0.isEmpty ? nil : $0 }) {
            do {
                configuration.postgresURL = try PostgresURL(text)
            } catch {
                throw ValidationError(error.message)
            }
        }
        if let text = deletedAccountMessages ?? environment["CHAT_DELETED_ACCOUNT_MESSAGES"] {
            guard let value = DeletedAccountMessages(rawValue: text) else {
                throw ValidationError("--deleted-account-messages (CHAT_DELETED_ACCOUNT_MESSAGES) must be tombstone or keep; it is '\(text)'.")
            }
            configuration.deletedAccountMessages = value
        }
        if let window = try integer(notificationWindowMs, "CHAT_NOTIFICATION_WINDOW_MS") {
            guard (10...3_600_000).contains(window) else {
                throw ValidationError(
                    "--notification-window-ms (CHAT_NOTIFICATION_WINDOW_MS) must be between 10 and 3600000; it is \(window).")
            }
            configuration.notificationWindow = .milliseconds(window)
        }
        configuration.pushProviders = try Self.pushProviders(
            apns: [
                apnsKeyFile ?? environment["CHAT_APNS_KEY_FILE"], apnsKeyId ?? environment["CHAT_APNS_KEY_ID"],
                apnsTeamId ?? environment["CHAT_APNS_TEAM_ID"], apnsTopic ?? environment["CHAT_APNS_TOPIC"],
            ],
            fcm: fcmServiceAccount ?? environment["CHAT_FCM_SERVICE_ACCOUNT"])
        if let headerTimeout { configuration.http.headerReadTimeout = headerTimeout }
        if let idleTimeout { configuration.http.idleTimeout = idleTimeout }
        try configureMedia(&configuration.media, environment: environment, integer: integer, enabled: enabled)
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.message)
        }
        return configuration
    }

    /// The push providers of the APNs settings (key file, key id, team id, topic: all or
    /// none) and the FCM service-account file.
    private static func pushProviders(apns: [String?], fcm: String?) throws -> [any DevicePushProvider] {
        let given = apns.compactMap { $0.flatMap { $0.isEmpty ? nil : $0 } }
        guard given.isEmpty || given.count == 4 else {
            throw ValidationError(
                "APNs needs all four of --apns-key-file, --apns-key-id, --apns-team-id and --apns-topic (or CHAT_APNS_*); \(given.count) given.")
        }
        let settings = given.count == 4
            ? PushProviderFiles.APNs(keyFile: URL(fileURLWithPath: given[0]), keyID: given[1], teamID: given[2], topic: given[3]) : nil
        do {
            return try PushProviderFiles.providers(
                apns: settings, fcmServiceAccount: fcm.flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) },
                logger: Logger(label: "ChatServer.push"))
        } catch {
            throw ValidationError(error.message)
        }
    }

    private func configureMedia(
        _ media: inout MediaConfiguration, environment: [String: String], integer: (Int?, String) throws -> Int?,
        enabled: (String) -> Bool
    ) throws {
        media.publicBaseURL = mediaBaseURL ?? environment["CHAT_MEDIA_BASE_URL"]
        if let value = try integer(mediaMaxBytes, "CHAT_MEDIA_MAX_BYTES") { media.policy.maximumByteCount = Int64(value) }
        if let list = mediaTypes ?? environment["CHAT_MEDIA_TYPES"] {
            media.policy.allowedContentTypes = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                .filter { !$0.isEmpty }
        }
        if let endpoint = s3Endpoint ?? environment["CHAT_S3_ENDPOINT"] {
            func required(_ name: String) throws -> String {
                guard let value = environment[name], !value.isEmpty else {
                    throw ValidationError("--s3-endpoint needs \(name) in the environment.")
                }
                return value
            }
            var encryption: S3ServerSideEncryption?
            switch environment["CHAT_S3_SSE"] {
            case nil, "": encryption = nil
            case "AES256": encryption = .aes256
            case "aws:kms": encryption = .kms(keyID: environment["CHAT_S3_SSE_KMS_KEY_ID"])
            case let other?: throw ValidationError("CHAT_S3_SSE must be AES256 or aws:kms; it is '\(other)'.")
            }
            media.backend = .s3(S3Settings(
                endpoint: endpoint, region: try required("CHAT_S3_REGION"), bucket: try required("CHAT_S3_BUCKET"),
                accessKeyID: try required("CHAT_S3_ACCESS_KEY_ID"), secretAccessKey: try required("CHAT_S3_SECRET_ACCESS_KEY"),
                sessionToken: environment["CHAT_S3_SESSION_TOKEN"], pathStyle: enabled("CHAT_S3_PATH_STYLE"),
                serverSideEncryption: encryption))
        } else if let directory = mediaDir ?? environment["CHAT_MEDIA_DIR"] {
            media.backend = .local(directory: directory)
        }
    }

    private static func printBanner(configuration: ChatServerConfiguration, host: String, port: Int) {
        let base = "http://\(host):\(port)"
        let banner = """
            ChatServer listening on \(base) (realtime: ws://\(host):\(port)/v1/realtime)
              database: \(configuration.postgresURL.map { "\($0) (cluster)" } ?? configuration.databasePath)
              keys:     \(configuration.keysPath)
              jobs:     \(configuration.runsJobs ? "run in this process" : "left to a separate DeliveryWorker")
              health:   \(base)/healthz  ready: \(base)/readyz  metrics: \(base)/metrics  API: \(base)/openapi.json
            Connect with ChatClient, for example:
              swift run ChatClient register --server \(base) ...   (swift run ChatClient --help)
              then: login, create, invite, send, tail, history, search, read
            Stop with Ctrl-C (SIGINT) or SIGTERM: realtime clients are told to reconnect (1001), requests drain.

            """
        // Written unbuffered, so the line shows at once even when stdout is a pipe.
        FileHandle.standardOutput.write(Data(banner.utf8))
    }
}
