import Foundation

/// A notification record for one user in one conversation, carried by a job on the
/// ``NotificationRequest/queue`` queue and coalesced per user, conversation and reason.
///
/// Thread safety: a value type; safe to share across tasks.
public struct NotificationRequest: Hashable, Sendable, CodableJob {
    /// Why the user is notified.
    public enum Reason: String, Hashable, Sendable, Codable {
        /// The user was mentioned in a message.
        case mention
        /// A message arrived while the user's device was offline for the conversation.
        case offline
    }

    /// The queue notification jobs use.
    public static let queue = "notifications"

    /// Who to notify.
    public let userID: UserID
    /// Where.
    public let conversationID: ConversationID
    /// Why.
    public let reason: Reason
    /// The latest `seq` the notification covers.
    public let seq: Int64
    /// The message that caused it, when one did.
    public let messageID: MessageID?
    /// The stored record the push announces, when the record was made first (by a
    /// ``NotificationScan``); `nil` for a mention, whose record the dispatcher makes.
    public let notificationID: NotificationID?
    /// How many messages the push covers, when known; `nil`: one per coalesced record.
    public let count: Int?

    /// Makes a request.
    public init(
        userID: UserID, conversationID: ConversationID, reason: Reason, seq: Int64, messageID: MessageID?,
        notificationID: NotificationID? = nil, count: Int? = nil
    ) {
        self.userID = userID
        self.conversationID = conversationID
        self.reason = reason
        self.seq = seq
        self.messageID = messageID
        self.notificationID = notificationID
        self.count = count
    }

    /// The key that coalesces records of one user, conversation and reason.
    public var coalescingKey: String { "notify:\(reason.rawValue):\(userID):\(conversationID)" }

    /// What an undecodable payload was meant to be (``CodableJob``).
    public static var payloadName: String { "notification record" }
}
