import MessagingCore

/// One change an observer receives. Subscriptions deliver batches of changes, coalesced
/// per user, per typing user and per conversation: only the latest change for each is
/// kept until the observer takes the batch.
///
/// Thread safety: a value type; safe to share across tasks.
public enum PresenceChange: Hashable, Sendable {
    /// A watched user's presence changed (state, status text, last seen).
    case presence(UserPresence)
    /// A member of a watched conversation started or stopped typing.
    case typing(TypingChange)
    /// The number of online members of a watched large conversation changed (occupancy
    /// mode); observers get no per-member presence for such a conversation.
    case occupancy(ConversationOccupancy)
    /// The observer may no longer see this user (they no longer share a conversation):
    /// drop what you show of it. No more changes for it follow.
    case hidden(UserID)
    /// The observer's watch of this conversation ended because it is no longer a member.
    case conversationClosed(ConversationID)
}

/// A member started or stopped typing in a conversation.
///
/// Thread safety: a value type; safe to share across tasks.
public struct TypingChange: Hashable, Sendable, Codable {
    /// The conversation.
    public var conversationID: ConversationID
    /// The member who types.
    public var userID: UserID
    /// `true` when typing started, `false` when it stopped or expired.
    public var isTyping: Bool

    /// Makes a typing change.
    public init(conversationID: ConversationID, userID: UserID, isTyping: Bool) {
        self.conversationID = conversationID
        self.userID = userID
        self.isTyping = isTyping
    }
}

/// How many members of a large conversation are online (online or away).
///
/// Thread safety: a value type; safe to share across tasks.
public struct ConversationOccupancy: Hashable, Sendable, Codable {
    /// The conversation.
    public var conversationID: ConversationID
    /// Members that are online or away.
    public var onlineCount: Int
    /// All members, as the membership source last reported them.
    public var memberCount: Int

    /// Makes an occupancy value.
    public init(conversationID: ConversationID, onlineCount: Int, memberCount: Int) {
        self.conversationID = conversationID
        self.onlineCount = onlineCount
        self.memberCount = memberCount
    }
}

/// What an observer gets when it starts watching a conversation: the current state, after
/// which only changes follow.
///
/// Thread safety: a value type; safe to share across tasks.
public enum ConversationPresence: Hashable, Sendable {
    /// A conversation at or below the large-room threshold: every member's presence, and
    /// the members typing right now.
    case members([UserPresence], typing: Set<UserID>)
    /// A conversation above the threshold: only the count of online members.
    case occupancy(ConversationOccupancy)
}
