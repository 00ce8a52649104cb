/// A ban of a user from a group or channel: the user is not a member and cannot join or be
/// added again until an owner or admin lifts it.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ConversationBan: Hashable, Sendable, Codable {
    /// The conversation.
    public let conversationID: ConversationID
    /// The banned user.
    public let userID: UserID
    /// Who banned them.
    public let bannedBy: UserID
    /// Why, as the moderator wrote it (one line, at most ``ModerationLimits/maxReasonCharacters``).
    public let reason: String?
    /// When.
    public let bannedAt: Timestamp

    /// Makes a ban value; use ``ModerationService/ban(_:from:reason:by:)`` to ban someone.
    public init(conversationID: ConversationID, userID: UserID, bannedBy: UserID, reason: String?, bannedAt: Timestamp) {
        self.conversationID = conversationID
        self.userID = userID
        self.bannedBy = bannedBy
        self.reason = reason
        self.bannedAt = bannedAt
    }
}

/// One entry of a user's block list: `blockerID` sees nothing that `blockedID` sends, and
/// neither can start a direct conversation with the other.
///
/// Thread safety: a value type; safe to share across tasks.
public struct UserBlock: Hashable, Sendable, Codable {
    /// Who blocks.
    public let blockerID: UserID
    /// Who is blocked.
    public let blockedID: UserID
    /// When.
    public let createdAt: Timestamp

    /// Makes a block value; use ``BlockService/block(_:by:)`` to block someone.
    public init(blockerID: UserID, blockedID: UserID, createdAt: Timestamp) {
        self.blockerID = blockerID
        self.blockedID = blockedID
        self.createdAt = createdAt
    }
}

/// A message pinned in its conversation.
///
/// Thread safety: a value type; safe to share across tasks.
public struct PinnedMessage: Hashable, Sendable, Codable {
    /// The conversation.
    public let conversationID: ConversationID
    /// The pinned message.
    public let messageID: MessageID
    /// Who pinned it.
    public let pinnedBy: UserID
    /// When.
    public let pinnedAt: Timestamp

    /// Makes a pin value; use ``ModerationService/pin(_:by:)`` to pin a message.
    public init(conversationID: ConversationID, messageID: MessageID, pinnedBy: UserID, pinnedAt: Timestamp) {
        self.conversationID = conversationID
        self.messageID = messageID
        self.pinnedBy = pinnedBy
        self.pinnedAt = pinnedAt
    }
}

/// The fixed bounds of moderation.
public enum ModerationLimits {
    /// The longest slow-mode interval, in seconds (6 hours).
    public static let maxSlowModeSeconds = 21_600
    /// Pinned messages per conversation.
    public static let maxPinsPerConversation = 50
    /// Users one user may block.
    public static let maxBlocksPerUser = 1_000
    /// Characters of a kick or ban reason.
    public static let maxReasonCharacters = 500
}
