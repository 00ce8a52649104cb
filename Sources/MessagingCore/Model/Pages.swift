/// Which way a history page reads from its cursor.
public enum HistoryDirection: String, Hashable, Sendable, Codable {
    /// Older messages first from the cursor downwards (newest first). The default.
    case backward
    /// Newer messages from the cursor upwards (oldest first).
    case forward
}

/// A request for one page of a conversation's messages, by keyset on `seq`.
///
/// Thread safety: a value type; safe to share across tasks.
public struct HistoryRequest: Hashable, Sendable, Codable {
    /// Backward (newest first) or forward.
    public var direction: HistoryDirection
    /// Exclusive bound: backward reads `seq < cursor` (nil: from the newest), forward reads
    /// `seq > cursor` (nil: from the oldest).
    public var cursor: Int64?
    /// Page size, 1…`MessagingLimits.maxHistoryPage`.
    public var limit: Int
    /// Whether the page carries the reader's reaction and thread summaries
    /// (``MessagePage/reactions``, ``MessagePage/threads``): one more store statement per
    /// page. Default `true`; a reader that shows neither (an exporter, a sync job) saves it.
    public var includesSummaries: Bool

    /// Makes a request; by default the newest 50 messages, with summaries.
    public init(direction: HistoryDirection = .backward, cursor: Int64? = nil, limit: Int = 50, includesSummaries: Bool = true) {
        self.direction = direction
        self.cursor = cursor
        self.limit = limit
        self.includesSummaries = includesSummaries
    }

    private enum CodingKeys: String, CodingKey {
        case direction, cursor, limit, includesSummaries
    }

    /// Decodes a request; one encoded before `includesSummaries` existed asks for summaries.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        direction = try c.decode(HistoryDirection.self, forKey: .direction)
        cursor = try c.decodeIfPresent(Int64.self, forKey: .cursor)
        limit = try c.decode(Int.self, forKey: .limit)
        includesSummaries = try c.decodeIfPresent(Bool.self, forKey: .includesSummaries) ?? true
    }
}

/// One page of messages.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MessagePage: Hashable, Sendable, Codable {
    /// Messages in the requested direction's order (tombstones included).
    public let messages: [Message]
    /// Whether more messages lie beyond this page in the same direction.
    public let hasMore: Bool
    /// The cursor for the next page in the same direction, when ``hasMore``.
    public var nextCursor: Int64? { hasMore ? messages.last?.seq : nil }
    /// The reaction summaries of the page's messages that have reactions, for the reader
    /// the page was read for (one store query per page, with ``threads``).
    public let reactions: [MessageID: [ReactionSummary]]
    /// The thread summaries of the page's thread roots that have replies.
    public let threads: [MessageID: ThreadSummary]

    /// Makes a page.
    public init(
        messages: [Message], hasMore: Bool, reactions: [MessageID: [ReactionSummary]] = [:],
        threads: [MessageID: ThreadSummary] = [:]
    ) {
        self.messages = messages
        self.hasMore = hasMore
        self.reactions = reactions
        self.threads = threads
    }

    /// The reaction summaries of `message` (empty when it has none or is not on the page).
    public func reactions(of message: MessageID) -> [ReactionSummary] { reactions[message] ?? [] }

    /// The thread summary of `message`, when it is a root with replies.
    public func thread(of message: MessageID) -> ThreadSummary? { threads[message] }

    /// The page's messages with their summaries, in page order.
    public var details: [MessageDetail] {
        messages.map { MessageDetail(message: $0, reactions: reactions(of: $0.id), thread: threads[$0.id]) }
    }
}

/// One page of a conversation's event log, in `seq` order.
///
/// Thread safety: a value type; safe to share across tasks.
public struct EventPage: Hashable, Sendable, Codable {
    /// Events in ascending `seq`, gapless.
    public let events: [ConversationEvent]
    /// Whether more events follow; ask again after the last `seq`.
    public let hasMore: Bool

    /// Makes a page.
    public init(events: [ConversationEvent], hasMore: Bool) {
        self.events = events
        self.hasMore = hasMore
    }
}

/// A position in a user's conversation list (last activity, then id, both descending).
///
/// Its string form (`<milliseconds>.<conversation id>`) is what a transport hands to clients.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ConversationCursor: Hashable, Sendable, Codable, LosslessStringConvertible {
    /// The last activity of the last conversation on the previous page.
    public let lastActivityAt: Timestamp
    /// The id of the last conversation on the previous page.
    public let conversationID: ConversationID

    /// Makes a cursor.
    public init(lastActivityAt: Timestamp, conversationID: ConversationID) {
        self.lastActivityAt = lastActivityAt
        self.conversationID = conversationID
    }

    /// Parses the string form; `nil` when malformed: the milliseconds are 1–18 ASCII digits
    /// (no sign), the id a UUIDv7.
    public init?(_ description: String) {
        let parts = description.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, (1...18).contains(parts[0].utf8.count),
              parts[0].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let milliseconds = Int64(parts[0]),
              let id = ConversationID(String(parts[1]))
        else { return nil }
        self.init(lastActivityAt: Timestamp(millisecondsSince1970: milliseconds), conversationID: id)
    }

    public var description: String { "\(lastActivityAt.millisecondsSince1970).\(conversationID)" }
}

/// One page of a user's conversations, most recently active first.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ConversationPage: Hashable, Sendable, Codable {
    /// The conversations with the user's membership.
    public let conversations: [ConversationSummary]
    /// The cursor for the next page, `nil` on the last page.
    public let nextCursor: ConversationCursor?

    /// Makes a page.
    public init(conversations: [ConversationSummary], nextCursor: ConversationCursor?) {
        self.conversations = conversations
        self.nextCursor = nextCursor
    }
}

/// A search hit.
///
/// Thread safety: a value type; safe to share across tasks.
public struct SearchHit: Hashable, Sendable, Codable {
    /// The matching message.
    public let message: Message
    /// The engine's relevance score; lower is better (SQLite FTS5 bm25 convention).
    public let score: Double

    /// Makes a hit.
    public init(message: Message, score: Double) {
        self.message = message
        self.score = score
    }
}

/// One page of search hits, best first.
///
/// Thread safety: a value type; safe to share across tasks.
public struct SearchPage: Hashable, Sendable, Codable {
    /// Hits, best first.
    public let hits: [SearchHit]
    /// The offset of the next page, `nil` on the last page.
    public let nextOffset: Int?
    /// How many of the caller's conversations the search skipped because they are end-to-end
    /// encrypted (the server cannot read them; search them on the client).
    public let excludedEncryptedConversations: Int

    /// Makes a page.
    public init(hits: [SearchHit], nextOffset: Int?, excludedEncryptedConversations: Int = 0) {
        self.hits = hits
        self.nextOffset = nextOffset
        self.excludedEncryptedConversations = excludedEncryptedConversations
    }
}

/// Unread messages in one conversation for one user.
///
/// Thread safety: a value type; safe to share across tasks.
public struct UnreadCount: Hashable, Sendable, Codable {
    /// The conversation.
    public let conversationID: ConversationID
    /// Messages from others after the user's read position, not deleted.
    public let count: Int
    /// The user's read position.
    public let readSeq: Int64

    /// Makes a count.
    public init(conversationID: ConversationID, count: Int, readSeq: Int64) {
        self.conversationID = conversationID
        self.count = count
        self.readSeq = readSeq
    }
}
