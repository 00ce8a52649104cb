import Foundation

/// A notification record for one user in one conversation, carried by a job on the
/// ``NotificationRequest/queue`` queue and coalesced per user, conversation and reason.
///
/// Thread safety: a value type; safe to share across tasks.
public struct NotificationRequest: Hashable, Sendable, Codable {
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

    /// The job carrying this record, run after `windowMilliseconds` (the batch window).
    public func makeJob(windowMilliseconds: Int64, maxAttempts: Int = 8) -> NewJob {
        // Encoding a struct of ids, an enum and integers cannot fail.
        let payload = (try? JSONEncoder().encode(self)).map(Array.init) ?? []
        return NewJob(
            queue: Self.queue, payload: payload, coalescingKey: coalescingKey, delayMilliseconds: windowMilliseconds,
            maxAttempts: maxAttempts)
    }

    /// Decodes a job payload; `invalidInput` when it is not a notification record.
    public init(payload: [UInt8]) throws {
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(payload))
        } catch {
            throw MessagingError(
                code: .invalidInput, message: "The job payload is not a notification record; it cannot be dispatched.",
                cause: error)
        }
    }
}
