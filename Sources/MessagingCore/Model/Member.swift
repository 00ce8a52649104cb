/// A user's membership in a conversation.
///
/// Thread safety: a value type; safe to share across tasks.
public struct Member: Hashable, Sendable, Codable {
    /// The conversation.
    public let conversationID: ConversationID
    /// The member.
    public let userID: UserID
    /// The member's role.
    public var role: Role
    /// When the member joined.
    public let joinedAt: Timestamp
    /// The highest `seq` the member has read; it only moves forward.
    public var readSeq: Int64
    /// Until when the member muted the conversation (``Timestamp/forever`` for good), or `nil`:
    /// a muted conversation makes no notification jobs for this member.
    public var mutedUntil: Timestamp?

    /// Makes a membership value.
    public init(
        conversationID: ConversationID, userID: UserID, role: Role, joinedAt: Timestamp, readSeq: Int64 = 0,
        mutedUntil: Timestamp? = nil
    ) {
        self.mutedUntil = mutedUntil
        self.conversationID = conversationID
        self.userID = userID
        self.role = role
        self.joinedAt = joinedAt
        self.readSeq = readSeq
    }
}

extension Member {
    /// Whether the member's mute is in force at `time`.
    public func isMuted(at time: Timestamp) -> Bool {
        guard let mutedUntil else { return false }
        return mutedUntil > time
    }
}

/// A conversation as one member sees it in a list.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ConversationSummary: Hashable, Sendable, Codable {
    /// The conversation.
    public let conversation: Conversation
    /// The member's own membership (role, read position).
    public let membership: Member

    /// Makes a summary.
    public init(conversation: Conversation, membership: Member) {
        self.conversation = conversation
        self.membership = membership
    }
}
