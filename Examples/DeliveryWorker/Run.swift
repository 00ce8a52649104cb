import ArgumentParser
import Foundation
import Logging
import MessagingCore
import MessagingDelivery
import MessagingPersistence
import MessagingPush
import ServiceLifecycle

extension DeliveryWorker {
    /// `DeliveryWorker run`: the job runner as a service, until SIGTERM/SIGINT.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the job runner until SIGTERM or SIGINT (graceful: running jobs finish or release their leases).")

        @OptionGroup var store: StoreOptions

        @Option(help: "Jobs run at once.")
        var concurrency = 4

        @Option(help: "Lease (visibility timeout) in seconds.")
        var leaseSeconds = 60

        @Option(help: "Poll interval in milliseconds when no job is due.")
        var pollMilliseconds = 1000

        @Option(help: "Shutdown grace period in seconds.")
        var graceSeconds = 10

        @Option(help: "Webhook URL for notifications (env MESSAGING_WEBHOOK_URL); without one, notifications are logged.")
        var webhookURL: String?

        @Option(help: "APNs push key file (.p8) (env MESSAGING_APNS_KEY_FILE); with --apns-key-id, --apns-team-id and --apns-topic, notifications are pushed to iOS devices instead of the webhook.")
        var apnsKeyFile: String?

        @Option(help: "APNs key id (env MESSAGING_APNS_KEY_ID).")
        var apnsKeyId: String?

        @Option(help: "Apple Developer team id (env MESSAGING_APNS_TEAM_ID).")
        var apnsTeamId: String?

        @Option(help: "The app's bundle id, the APNs topic (env MESSAGING_APNS_TOPIC).")
        var apnsTopic: String?

        @Option(help: "FCM service-account key file (JSON) (env MESSAGING_FCM_SERVICE_ACCOUNT); notifications are then pushed to Android devices.")
        var fcmServiceAccount: String?

        @Option(help: "Webhook timeout in seconds.")
        var webhookTimeoutSeconds = 5

        @Option(help: "Worker name in leases. Default: host name and process id.")
        var workerName: String?

        @Flag(help: "Run the jobs that are due once, then exit.")
        var once = false

        func validate() throws {
            guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be 1...256.") }
            guard (1...86_400).contains(leaseSeconds) else { throw ValidationError("--lease-seconds must be between 1 and 86400 (one day).") }
            guard pollMilliseconds >= 10 else { throw ValidationError("--poll-milliseconds must be at least 10.") }
        }

        func run() async throws {
            let logger = try store.makeLogger(label: "DeliveryWorker")
            try await Self.reportingErrors {
                try await store.withStores(logger: logger) { queue, messagingStore in
                    let name = workerName ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
                    // Retention sweeps and conversation purges run here too, so a deployment whose
                    // ChatServers run with --no-jobs still applies retention policies. (Their
                    // events reach PostgreSQL nodes through the store's announcements; SQLite
                    // clients see them when they resume.)
                    let messaging = Messaging(store: messagingStore)
                    let provider = try makeProvider(messaging: messaging, logger: logger)
                    let sweeper = RetentionSweeper(retention: messaging.retention, jobs: queue, logger: logger)
                    if !once { try await sweeper.schedule(now: SystemWallClock().now()) }
                    let runner = JobRunner(
                        queue: queue,
                        handlers: [
                            NotificationScan.queue: NotificationScanner(messaging: messaging).handler,
                            NotificationRequest.queue: NotificationDispatcher(provider: provider, messaging: messaging).handler,
                            RetentionSweeper.queue: sweeper.handler,
                            ConversationService.purgeQueue: ConversationPurger(conversations: messaging.conversations).handler,
                        ],
                        configuration: JobRunnerConfiguration(
                            workerName: name, concurrency: concurrency, leaseMilliseconds: Int64(leaseSeconds) * 1000,
                            pollInterval: .milliseconds(pollMilliseconds), shutdownGracePeriod: .seconds(graceSeconds)),
                        logger: logger)
                    if once {
                        let count = try await runner.runOnce()
                        print("ran \(count) job(s)")
                        return
                    }
                    let group = ServiceGroup(
                        configuration: .init(
                            services: [.init(service: runner)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                    try await group.run()
                }
            }
        }

        private func makeProvider(messaging: Messaging, logger: Logger) throws -> any PushProvider {
            let apns = [
                apnsKeyFile ?? Environment.value("MESSAGING_APNS_KEY_FILE"), apnsKeyId ?? Environment.value("MESSAGING_APNS_KEY_ID"),
                apnsTeamId ?? Environment.value("MESSAGING_APNS_TEAM_ID"), apnsTopic ?? Environment.value("MESSAGING_APNS_TOPIC"),
            ].compactMap { $0 }
            guard apns.isEmpty || apns.count == 4 else {
                throw ValidationError(
                    "APNs needs all four of --apns-key-file, --apns-key-id, --apns-team-id and --apns-topic (or MESSAGING_APNS_*); \(apns.count) given.")
            }
            let fcm = fcmServiceAccount ?? Environment.value("MESSAGING_FCM_SERVICE_ACCOUNT")
            if !apns.isEmpty || fcm != nil {
                do {
                    let providers = try PushProviderFiles.providers(
                        apns: apns.isEmpty ? nil : PushProviderFiles.APNs(keyFile: URL(fileURLWithPath: apns[0]), keyID: apns[1], teamID: apns[2], topic: apns[3]),
                        fcmServiceAccount: fcm.map { URL(fileURLWithPath: $0) }, logger: logger)
                    logger.notice("notifications are pushed to devices", metadata: ["platforms": "\(providers.map(\.platform.rawValue))"])
                    return try DevicePushDispatcher(messaging: messaging, providers: providers, logger: logger)
                } catch let error as DeliveryError {
                    throw ValidationError(error.message)
                }
            }
            guard let address = webhookURL ?? Environment.value("MESSAGING_WEBHOOK_URL") else {
                logger.notice("no webhook configured; notifications are logged only")
                return LoggingPushProvider(logger: logger)
            }
            guard let url = URL(string: address) else { throw ValidationError("The webhook URL is not a URL.") }
            guard let secret = Environment.value("MESSAGING_WEBHOOK_SECRET") else {
                throw ValidationError("A webhook needs its signing secret in MESSAGING_WEBHOOK_SECRET.")
            }
            do {
                return try WebhookPushProvider(url: url, secret: Array(secret.utf8), timeout: .seconds(webhookTimeoutSeconds))
            } catch let error as DeliveryError {
                throw ValidationError(error.message)
            }
        }
    }
}

/// Logs notifications instead of pushing them (no webhook configured).
struct LoggingPushProvider: PushProvider {
    let logger: Logger

    func push(_ notification: PushNotification) async throws {
        logger.info("notification", metadata: [
            "user": "\(notification.userID)", "conversation": "\(notification.conversationID)",
            "reason": "\(notification.reason.rawValue)", "seq": "\(notification.latestSeq)", "count": "\(notification.count)",
        ])
    }
}
