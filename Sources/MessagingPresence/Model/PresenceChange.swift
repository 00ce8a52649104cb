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
