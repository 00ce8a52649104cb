import MessagingCore

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
