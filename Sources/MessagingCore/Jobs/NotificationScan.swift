import Foundation

/// The job that finds the members of a conversation who have not received its newest
/// messages on any device and gives each of them one notification record (see
/// ``NotificationService/scan(_:through:)``).
///
/// A send enqueues it in its own transaction, coalesced per conversation: every message of
/// a burst lands in the one job waiting out the batch window, so a burst of 50 messages to
/// an offline member is one notification.
///
/// Thread safety: a value type; safe to share across tasks.
public struct NotificationScan: Hashable, Sendable, CodableJob {
    /// The queue scan jobs use.
    public static let queue = "notification-scans"

    /// The conversation to scan.
    public let conversationID: ConversationID
    /// The newest `seq` the scan covers.
    public let seq: Int64

    /// Makes a scan description.
    public init(conversationID: ConversationID, seq: Int64) {
        self.conversationID = conversationID
        self.seq = seq
    }

    /// The key that coalesces the scans of one conversation.
    public var coalescingKey: String { "notify-scan:\(conversationID)" }

    /// What an undecodable payload was meant to be (``CodableJob``).
    public static var payloadName: String { "notification scan" }
}
