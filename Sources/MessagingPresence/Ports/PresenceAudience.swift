import MessagingCore

/// Who may see whom: the membership questions presence asks.
///
/// A user's presence is visible only to users who share a conversation with it, and
/// typing in a conversation only to its members. ``StoreMembershipAudience`` answers from
/// a `MessagingStore`; a host with its own membership source implements this directly.
///
/// Implementers: answer from current membership (a cache must be invalidated when
/// membership changes); throw any error when the source fails, and the tracker turns it
/// into ``PresenceError`` with code `unavailable`. Must be safe to call from any task.
public protocol PresenceAudience: Sendable {
    /// Whether `user` and `other` are both members of at least one conversation.
    func sharesConversation(_ user: UserID, _ other: UserID) async throws -> Bool

    /// Whether `user` is a member of `conversation`; `false` when the conversation does not exist.
    func isMember(_ user: UserID, of conversation: ConversationID) async throws -> Bool

    /// Every member of `conversation`.
    func members(of conversation: ConversationID) async throws -> [UserID]

    /// The users among `candidates` that share a conversation with `observer`.
    ///
    /// A default implementation asks ``sharesConversation(_:_:)`` once per candidate;
    /// adapters answer the whole batch in one transaction.
    func users(among candidates: [UserID], sharingAConversationWith observer: UserID) async throws -> Set<UserID>
}

extension PresenceAudience {
    public func users(among candidates: [UserID], sharingAConversationWith observer: UserID) async throws -> Set<UserID> {
        var visible: Set<UserID> = []
        for candidate in candidates where try await sharesConversation(observer, candidate) {
            visible.insert(candidate)
        }
        return visible
    }
}
