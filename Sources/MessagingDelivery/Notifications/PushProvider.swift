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
    /// How many records were coalesced into this notification (at least 1).
    public let count: Int

    /// Makes a notification.
    public init(
        userID: UserID, conversationID: ConversationID, reason: NotificationRequest.Reason, latestSeq: Int64,
        messageID: MessageID?, count: Int
    ) {
        self.userID = userID
        self.conversationID = conversationID
        self.reason = reason
        self.latestSeq = latestSeq
        self.messageID = messageID
        self.count = count
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

/// Dispatches notification jobs (queue ``MessagingCore/NotificationRequest/queue``) to a
/// ``PushProvider``. Records were coalesced per user, conversation and reason by the
/// queue during the batch window, so each job is one push.
///
/// Thread safety: immutable; safe to share across tasks.
public struct NotificationDispatcher: Sendable {
    private let provider: any PushProvider

    /// A dispatcher to `provider`.
    public init(provider: any PushProvider) {
        self.provider = provider
    }

    /// The handler to register for ``MessagingCore/NotificationRequest/queue``.
    public var handler: JobHandler {
        { job in try await handle(job) }
    }

    /// Decodes the job and pushes it.
    public func handle(_ job: ClaimedJob) async throws {
        let request = try NotificationRequest(payload: job.payload)
        try await provider.push(PushNotification(
            userID: request.userID, conversationID: request.conversationID, reason: request.reason, latestSeq: request.seq,
            messageID: request.messageID, count: 1 + job.coalescedCount))
    }
}
