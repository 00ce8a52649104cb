/// How long a conversation keeps its messages: messages older than ``days`` days are
/// tombstoned by the retention sweep (``RetentionService/sweep(batchSize:conversations:after:)``).
///
/// Thread safety: a value type; safe to share across tasks.
public struct RetentionPolicy: Hashable, Sendable {
    /// The smallest number of days a policy may keep messages.
    public static let minimumDays = 1
    /// The largest number of days a policy may keep messages (about 100 years).
    public static let maximumDays = 36_500

    /// The conversation.
    public let conversationID: ConversationID
    /// Messages older than this many days are deleted; 1…36,500.
    public let days: Int
    /// Who set the policy: the actor of the `message.deleted` events the sweep appends.
    public let setBy: UserID
    /// When it was set.
    public let setAt: Timestamp
    /// The sweep's position: every message with a `seq` up to this one was handled (deleted,
    /// or deleted already). The sweep goes on from here.
    public let sweptSeq: Int64

    /// Makes a policy value; throws `invalidInput` unless `days` is within 1…36,500.
    public init(conversationID: ConversationID, days: Int, setBy: UserID, setAt: Timestamp, sweptSeq: Int64 = 0)
        throws(MessagingError)
    {
        guard (Self.minimumDays...Self.maximumDays).contains(days) else {
            throw .invalidInput(
                "retentionDays must be \(Self.minimumDays) to \(Self.maximumDays) days, or null to keep messages forever.")
        }
        self.conversationID = conversationID
        self.days = days
        self.setBy = setBy
        self.setAt = setAt
        self.sweptSeq = max(0, sweptSeq)
    }

    /// The cut-off at `now`: messages created before it are expired.
    public func cutoff(at now: Timestamp) -> Timestamp {
        now.adding(milliseconds: -Int64(days) * 86_400_000)
    }
}

/// What one retention sweep did.
///
/// Thread safety: a value type; safe to share across tasks.
public struct RetentionSweep: Hashable, Sendable {
    /// Conversations with a policy that the sweep visited.
    public var conversations: Int = 0
    /// Messages it tombstoned.
    public var deletedMessages: Int = 0
    /// `true` when a conversation had more expired messages than one batch, or more
    /// conversations have a policy than one sweep visits: run the next sweep soon.
    public var hasMore: Bool = false
    /// Where the next sweep starts (the last conversation visited when ``hasMore`` came from
    /// the conversation limit), or `nil` to start from the first.
    public var resumeAfter: ConversationID?

    /// An empty sweep.
    public init() {}
}
