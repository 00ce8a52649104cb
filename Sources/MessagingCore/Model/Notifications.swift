/// A notification a user received: one per burst of messages they had not received on
/// any device when the conversation's batch window closed.
///
/// Thread safety: a value type; safe to share across tasks.
public struct NotificationRecord: Hashable, Sendable, Codable, Identifiable {
    /// The record's id (time-ordered: newer records have greater ids).
    public let id: NotificationID
    /// Who was notified.
    public let userID: UserID
    /// Where.
    public let conversationID: ConversationID
    /// Why: `mention` when a message of the burst mentions the user, `offline` otherwise.
    public let reason: NotificationRequest.Reason
    /// The first `seq` the notification covers.
    public let firstSeq: Int64
    /// The latest `seq` it covers.
    public let latestSeq: Int64
    /// The newest message it covers.
    public let messageID: MessageID?
    /// How many messages it covers (capped at ``NotificationLimits/maxCountedMessages``).
    public let count: Int
    /// When it was made.
    public let createdAt: Timestamp
    /// When the user marked it read; `nil` while unread.
    public var readAt: Timestamp?

    /// Makes a record value; the notification job makes the stored ones.
    public init(
        id: NotificationID, userID: UserID, conversationID: ConversationID, reason: NotificationRequest.Reason,
        firstSeq: Int64, latestSeq: Int64, messageID: MessageID?, count: Int, createdAt: Timestamp, readAt: Timestamp?
    ) {
        self.id = id
        self.userID = userID
        self.conversationID = conversationID
        self.reason = reason
        self.firstSeq = firstSeq
        self.latestSeq = latestSeq
        self.messageID = messageID
        self.count = count
        self.createdAt = createdAt
        self.readAt = readAt
    }
}

/// The push service a device token belongs to.
public enum PushPlatform: String, Hashable, Sendable, Codable, CaseIterable {
    /// Apple Push Notification service (HTTP/2, token authentication).
    case apns
    /// Firebase Cloud Messaging, HTTP v1 API.
    case fcm
}

/// A device's push token, registered by its user (one per device).
///
/// Thread safety: a value type; safe to share across tasks.
public struct PushToken: Hashable, Sendable, Codable {
    /// The owner.
    public let userID: UserID
    /// The owner's device (the id the client uses on the realtime connection).
    public let deviceID: DeviceID
    /// Which service the token is for.
    public let platform: PushPlatform
    /// The token as the platform issued it: APNs, 64–200 hexadecimal digits; FCM, 1–4,096
    /// characters of `A–Z a–z 0–9 - _ : .`.
    public let token: String
    /// APNs only: the token belongs to the development (sandbox) environment.
    public let sandbox: Bool
    /// When it was registered or last refreshed.
    public let updatedAt: Timestamp

    /// Makes a token value; ``NotificationService/registerPushToken(_:platform:sandbox:device:by:)`` validates and stores one.
    public init(userID: UserID, deviceID: DeviceID, platform: PushPlatform, token: String, sandbox: Bool, updatedAt: Timestamp) {
        self.userID = userID
        self.deviceID = deviceID
        self.platform = platform
        self.token = token
        self.sandbox = sandbox
        self.updatedAt = updatedAt
    }
}

/// The fixed bounds of notifications.
public enum NotificationLimits {
    /// Messages counted into one notification (the newest ones of a longer backlog).
    public static let maxCountedMessages = 1_000
    /// Push tokens one user may hold (one per device).
    public static let maxPushTokensPerUser = 50
    /// Records per page of ``NotificationService/notifications(of:before:limit:)``.
    public static let maxPageSize = 200
}
