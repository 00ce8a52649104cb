import MessagingCore

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
