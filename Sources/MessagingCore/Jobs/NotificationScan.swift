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
public struct NotificationScan: Hashable, Sendable, Codable {
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

    /// The job carrying this scan, run after `windowMilliseconds` (the batch window).
    public func makeJob(windowMilliseconds: Int64, maxAttempts: Int = 8) -> NewJob {
        // Encoding an id and an integer cannot fail.
        let payload = (try? JSONEncoder().encode(self)).map(Array.init) ?? []
        return NewJob(
            queue: Self.queue, payload: payload, coalescingKey: coalescingKey, delayMilliseconds: windowMilliseconds,
            maxAttempts: maxAttempts)
    }

    /// Decodes a job payload; `invalidInput` when it is not a scan.
    public init(payload: [UInt8]) throws {
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(payload))
        } catch {
            throw MessagingError(
                code: .invalidInput, message: "The job payload is not a notification scan; it cannot be run.", cause: error)
        }
    }
}
