import MessagingCore

/// One push notification: the coalesced records of one user, conversation and reason.
///
/// Thread safety: a value type; safe to share across tasks.
public struct PushNotification: Hashable, Sendable, Codable {
    /// Who to notify.
    public let userID: UserID
    /// Where.
    public let conversationID: ConversationID
    /// Why.
    public let reason: NotificationRequest.Reason
    /// The latest `seq` covered.
    public let latestSeq: Int64
    /// The latest message, when a message caused it.
    public let messageID: MessageID?
    /// How many messages (or coalesced records) the notification covers (at least 1).
    public let count: Int
    /// The stored `MessagingCore.NotificationRecord` it announces, when there is one.
    public let notificationID: NotificationID?

    /// Makes a notification.
    public init(
        userID: UserID, conversationID: ConversationID, reason: NotificationRequest.Reason, latestSeq: Int64,
        messageID: MessageID?, count: Int, notificationID: NotificationID? = nil
    ) {
        self.userID = userID
        self.conversationID = conversationID
        self.reason = reason
        self.latestSeq = latestSeq
        self.messageID = messageID
        self.count = count
        self.notificationID = notificationID
    }

    /// The alert title push adapters show. Notifications never carry message content (the
    /// conversation may be end-to-end encrypted); an app that wants a preview fetches it
    /// with the ids in the payload (APNs `mutable-content`, an FCM data message).
    public var alertTitle: String {
        switch reason {
        case .mention: "You were mentioned"
        case .offline: "New messages"
        }
    }

    /// The alert body push adapters show: how many messages are waiting.
    public var alertBody: String {
        count == 1 ? "1 new message" : "\(count) new messages"
    }

    /// The key that collapses notifications of one conversation on the device (APNs
    /// `apns-collapse-id`, FCM `collapse_key`): the conversation id, 36 bytes.
    public var collapseKey: String { conversationID.description }

    /// The app-defined data every adapter sends beside the alert, all strings:
    /// `conversationId`, `seq`, `reason`, `count`, and `messageId` / `notificationId` when set.
    public var data: [String: String] {
        var data = [
            "conversationId": conversationID.description, "seq": String(latestSeq), "reason": reason.rawValue,
            "count": String(count),
        ]
        if let messageID { data["messageId"] = messageID.description }
        if let notificationID { data["notificationId"] = notificationID.description }
        return data
    }
}

/// Hands notifications to a push service (APNs/FCM gateway, webhook, …).
///
/// Implementers: throw when the notification was not accepted; the job runner retries it
/// with backoff and dead-letters it after the last attempt. Error descriptions are stored
/// and logged: never put message content or secrets in them. Must be safe to call from
/// any task.
public protocol PushProvider: Sendable {
    /// Sends one notification.
    func push(_ notification: PushNotification) async throws
}

/// What a push service answered for one device token.
public enum PushDeliveryResult: Hashable, Sendable {
    /// The service accepted the notification.
    case delivered
    /// The service says the token is no longer valid (APNs `410 Unregistered` or
    /// `400 BadDeviceToken`, FCM `UNREGISTERED`): the token is removed and never used again.
    case tokenInvalid(reason: String)
}

/// Sends a notification to one device token of one push service (APNs, FCM).
///
/// ``DevicePushDispatcher`` looks up a user's tokens and calls the provider of each token's
/// platform. Implementers: return ``PushDeliveryResult/tokenInvalid(reason:)`` only when the
/// service says the token is dead; throw ``DeliveryError/Code/pushFailed`` for everything
/// that may succeed later (network errors, 5xx, 429, rejected credentials), so the job is
/// retried. Never put tokens, keys or message content in error messages. Must be safe to
/// call from any task.
public protocol DevicePushProvider: Sendable {
    /// The platform whose tokens this provider serves.
    var platform: PushPlatform { get }
    /// Sends `notification` to `token` (whose platform is ``platform``).
    func send(_ notification: PushNotification, to token: PushToken) async throws -> PushDeliveryResult
}

/// Dispatches notification jobs (queue `MessagingCore.NotificationRequest.queue`) to a
/// ``PushProvider``.
///
/// With a `messaging` (the host's use cases), every push has a stored
/// `MessagingCore.NotificationRecord` the user can list and mark read: a scan made it
/// before enqueueing the job, or the dispatcher makes it here for a mention (or a device that
/// stopped acknowledging) through `MessagingCore.NotificationService.record(_:count:jobID:)`,
/// once per job. A request whose user left the conversation, or an `offline` request a scan
/// already covered, pushes nothing. Without one, each job is pushed as it is (no records).
///
/// Thread safety: immutable; safe to share across tasks.
public struct NotificationDispatcher: Sendable {
    private let provider: any PushProvider
    private let messaging: Messaging?

    /// A dispatcher to `provider`; with `messaging`, pushes carry stored records.
    public init(provider: any PushProvider, messaging: Messaging? = nil) {
        self.provider = provider
        self.messaging = messaging
    }

    /// The handler to register for `MessagingCore.NotificationRequest.queue`.
    public var handler: JobHandler {
        { job in try await handle(job) }
    }

    /// Decodes the job, records it when needed, and pushes it.
    public func handle(_ job: ClaimedJob) async throws {
        let request = try NotificationRequest(payload: job.payload)
        var count = request.count ?? (1 + job.coalescedCount)
        var notificationID = request.notificationID
        if notificationID == nil, let messaging {
            guard let record = try await messaging.notifications.record(request, count: count, jobID: job.id) else { return }
            notificationID = record.id
            count = record.count
        }
        try await provider.push(PushNotification(
            userID: request.userID, conversationID: request.conversationID, reason: request.reason, latestSeq: request.seq,
            messageID: request.messageID, count: count, notificationID: notificationID))
    }
}

/// Runs notification scans (queue `MessagingCore.NotificationScan.queue`): each finds the
/// members of a conversation who did not receive its newest messages and gives each one
/// notification record and push job (`MessagingCore.NotificationService.scan(_:through:)`).
///
/// Register it beside the ``NotificationDispatcher`` in the same job runner.
///
/// Thread safety: immutable; safe to share across tasks.
public struct NotificationScanner: Sendable {
    private let messaging: Messaging

    /// A scanner over the host's use cases.
    public init(messaging: Messaging) {
        self.messaging = messaging
    }

    /// The handler to register for `MessagingCore.NotificationScan.queue`.
    public var handler: JobHandler {
        { job in
            let scan = try NotificationScan(payload: job.payload)
            try await messaging.notifications.scan(scan.conversationID, through: scan.seq)
        }
    }
}
