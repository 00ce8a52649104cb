import MessagingCore

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
