import Foundation

/// One entry of a user's own feed: a change to the user's list of conversations, with its
/// gapless per-user `seq`.
///
/// The feed is what a client follows to keep its conversation list current without polling:
/// a conversation that was created with the user in it, that the user was added to, left or
/// was removed from, whose title or topic changed, or in which the user's role changed. It is
/// written in the transaction that makes the change, so an entry exists exactly when the
/// change committed, and a client that reconnects resumes from the last `seq` it processed.
///
/// Thread safety: a value type; safe to share across tasks.
public struct UserFeedEvent: Hashable, Sendable, Codable {
    /// Whose feed it is.
    public let userID: UserID
    /// The position in the user's feed, 1, 2, 3… with no gaps.
    public let seq: Int64
    /// The conversation the change is about.
    public let conversationID: ConversationID
    /// When it happened.
    public let occurredAt: Timestamp
    /// What happened.
    public let payload: Payload

    /// Makes an entry value; the use cases append entries through ``UserFeedStore``.
    public init(userID: UserID, seq: Int64, conversationID: ConversationID, occurredAt: Timestamp, payload: Payload) {
        self.userID = userID
        self.seq = seq
        self.conversationID = conversationID
        self.occurredAt = occurredAt
        self.payload = payload
    }

    /// What happened to the user's conversation list.
    public enum Payload: Hashable, Sendable, Codable {
        /// The user became a member: the conversation was created with them in it, or they
        /// were added (`by` is who created it or added them). The kind and the title are the
        /// conversation's when it happened.
        case joined(kind: ConversationKind, title: String?, role: Role, by: UserID)
        /// The user's membership ended: they left (`removedBy` is `nil`), were removed (with
        /// the remover's `reason`, if they gave one), or were banned (`banned`).
        case left(removedBy: UserID?, reason: String?, banned: Bool)
        /// The title or topic changed; the values are the new state.
        case updated(title: String?, topic: String?)
        /// The user's role changed.
        case roleChanged(to: Role, by: UserID)
        /// An owner deleted the conversation: the user's membership ended with it.
        case deleted(by: UserID)

        /// The stable name of the change (`conversation.joined`, `conversation.left`,
        /// `conversation.updated`, `conversation.role`, `conversation.deleted`), as on the wire.
        public var name: String {
            switch self {
            case .joined: "conversation.joined"
            case .left: "conversation.left"
            case .updated: "conversation.updated"
            case .roleChanged: "conversation.role"
            case .deleted: "conversation.deleted"
            }
        }
    }
}

extension UserFeedEvent.Payload {
    /// The stored form of a payload (sorted-key JSON), as both store adapters keep it.
    public func storedJSON() throws(MessagingError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        do {
            return Array(try encoder.encode(self))
        } catch {
            throw MessagingError(code: .storage, message: "A feed entry could not be encoded: \(error)")
        }
    }

    /// A payload from its stored form; `nil` when the bytes are not one.
    public init?(storedJSON bytes: some Collection<UInt8>) {
        guard let payload = try? JSONDecoder().decode(Self.self, from: Data(bytes)) else { return nil }
        self = payload
    }
}

/// A page of a user's feed: entries after a position, ascending and gapless.
///
/// Thread safety: a value type; safe to share across tasks.
public struct UserFeedPage: Hashable, Sendable {
    /// The entries, ascending by `seq`.
    public let events: [UserFeedEvent]
    /// Whether entries after the last one exist.
    public let hasMore: Bool
    /// The feed's last `seq` when the page was read (0 before the first entry).
    public let head: Int64

    /// Makes a page.
    public init(events: [UserFeedEvent], hasMore: Bool, head: Int64) {
        self.events = events
        self.hasMore = hasMore
        self.head = head
    }
}

/// What a client needs to start following its feed: the feed's last `seq` and the unread
/// counts of every conversation, read in one snapshot (entries after `head` change them).
///
/// Thread safety: a value type; safe to share across tasks.
public struct UserFeedState: Hashable, Sendable {
    /// The feed's last `seq` (0 before the first entry).
    public let head: Int64
    /// For each conversation of the user: messages from others after the read position.
    public let unread: [UnreadCount]

    /// Makes a state value.
    public init(head: Int64, unread: [UnreadCount]) {
        self.head = head
        self.unread = unread
    }
}
