/// The kind of a conversation.
public enum ConversationKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// Exactly two members, at most one per pair of users; no roles, titles or membership changes.
    case direct
    /// Any number of members who all post.
    case group
    /// Any number of members; only roles allowed by ``ConversationAction/postInChannel`` post.
    case channel
}

/// A conversation's current state.
///
/// Thread safety: a value type; safe to share across tasks.
public struct Conversation: Hashable, Sendable, Codable, Identifiable {
    private enum CodingKeys: String, CodingKey {
        case id, kind, title, topic, creatorID, createdAt, lastSeq, lastActivityAt, isEncrypted, slowModeSeconds
    }

    /// The conversation's id.
    public let id: ConversationID
    /// Direct, group or channel.
    public let kind: ConversationKind
    /// The title (always `nil` for direct conversations).
    public var title: String?
    /// The topic (always `nil` for direct conversations).
    public var topic: String?
    /// Who created it.
    public let creatorID: UserID
    /// When it was created.
    public let createdAt: Timestamp
    /// The `seq` of its latest event; 0 before the first.
    public var lastSeq: Int64
    /// When its latest event happened.
    public var lastActivityAt: Timestamp
    /// Whether it is end-to-end encrypted: it then accepts only encrypted messages, is never
    /// indexed for search, and keeps key epochs (see ``DeviceService``). Fixed at creation.
    public let isEncrypted: Bool
    /// The slow-mode interval in seconds (0: off): a member below admin posts at most once per
    /// interval (see ``ModerationService/setSlowMode(_:of:by:)``).
    public var slowModeSeconds: Int

    /// Makes a conversation value; use ``ConversationService`` to create one in a store.
    public init(
        id: ConversationID, kind: ConversationKind, title: String?, topic: String?,
        creatorID: UserID, createdAt: Timestamp, lastSeq: Int64, lastActivityAt: Timestamp, isEncrypted: Bool = false,
        slowModeSeconds: Int = 0
    ) {
        self.isEncrypted = isEncrypted
        self.slowModeSeconds = slowModeSeconds
        self.id = id
        self.kind = kind
        self.title = title
        self.topic = topic
        self.creatorID = creatorID
        self.createdAt = createdAt
        self.lastSeq = lastSeq
        self.lastActivityAt = lastActivityAt
    }

    /// The key that makes "at most one direct conversation per pair" a unique index:
    /// both user ids, smaller first (32 bytes).
    public static func directKey(_ first: UserID, _ second: UserID) -> [UInt8] {
        let (low, high) = first < second ? (first, second) : (second, first)
        return low.uuid.bytes + high.uuid.bytes
    }
}

/// What a new conversation should be.
///
/// Thread safety: a value type; safe to share across tasks.
public enum NewConversation: Hashable, Sendable {
    /// A direct conversation between the creator and `other`.
    case direct(with: UserID)
    /// A group; `members` join as ``Role/member``, the creator as ``Role/owner``.
    case group(title: String?, topic: String? = nil, members: [UserID])
    /// A channel; `members` join as ``Role/member``, the creator as ``Role/owner``.
    case channel(title: String, topic: String? = nil, members: [UserID])
}

/// Changes to a conversation's title or topic; `nil` leaves a field as it is, an empty
/// string clears it.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ConversationChanges: Hashable, Sendable, Codable {
    /// The new title, `""` to clear, `nil` to keep.
    public var title: String?
    /// The new topic, `""` to clear, `nil` to keep.
    public var topic: String?

    /// Makes a change set.
    public init(title: String? = nil, topic: String? = nil) {
        self.title = title
        self.topic = topic
    }
}

extension Conversation {
    /// Decodes a conversation; `slowModeSeconds` may be absent (values encoded before it existed).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(ConversationID.self, forKey: .id), kind: try c.decode(ConversationKind.self, forKey: .kind),
            title: try c.decodeIfPresent(String.self, forKey: .title), topic: try c.decodeIfPresent(String.self, forKey: .topic),
            creatorID: try c.decode(UserID.self, forKey: .creatorID), createdAt: try c.decode(Timestamp.self, forKey: .createdAt),
            lastSeq: try c.decode(Int64.self, forKey: .lastSeq), lastActivityAt: try c.decode(Timestamp.self, forKey: .lastActivityAt),
            isEncrypted: try c.decode(Bool.self, forKey: .isEncrypted),
            slowModeSeconds: try c.decodeIfPresent(Int.self, forKey: .slowModeSeconds) ?? 0)
    }
}
