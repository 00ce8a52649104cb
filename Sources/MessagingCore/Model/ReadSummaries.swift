/// How many members left one emoji on a message, and whether the reader is one of them.
///
/// Reads (history pages, thread pages, single messages) carry one summary per emoji, in
/// the order the emoji were first left (then by emoji), so a client can show them without
/// replaying reaction events.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ReactionSummary: Hashable, Sendable, Codable {
    /// The emoji.
    public let emoji: Emoji
    /// How many users left it (at least 1).
    public let count: Int
    /// Whether the user the read was made for is one of them.
    public let includesReader: Bool

    /// Makes a summary.
    public init(emoji: Emoji, count: Int, includesReader: Bool) {
        self.emoji = emoji
        self.count = count
        self.includesReader = includesReader
    }
}

/// The replies of a thread root: how many there are and which is the newest.
///
/// Tombstones of deleted replies are counted, as history pages keep them: the count is the
/// number of messages a client reads in the thread.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ThreadSummary: Hashable, Sendable, Codable {
    /// How many messages name the root as their thread root (at least 1).
    public let replyCount: Int
    /// The `seq` of the newest reply.
    public let lastReplySeq: Int64
    /// The id of the newest reply.
    public let lastReplyID: MessageID
    /// When the newest reply was sent.
    public let lastReplyAt: Timestamp

    /// Makes a summary.
    public init(replyCount: Int, lastReplySeq: Int64, lastReplyID: MessageID, lastReplyAt: Timestamp) {
        self.replyCount = replyCount
        self.lastReplySeq = lastReplySeq
        self.lastReplyID = lastReplyID
        self.lastReplyAt = lastReplyAt
    }
}

/// The reaction and thread summaries of a list of messages for one reader (``MessageStore/summaries(of:for:)``).
///
/// Thread safety: a value type; safe to share across tasks.
public struct MessageSummaries: Hashable, Sendable {
    /// Per message with reactions, one summary per emoji.
    public var reactions: [MessageID: [ReactionSummary]]
    /// Per thread root with replies, its thread summary.
    public var threads: [MessageID: ThreadSummary]

    /// Makes summaries.
    public init(reactions: [MessageID: [ReactionSummary]] = [:], threads: [MessageID: ThreadSummary] = [:]) {
        self.reactions = reactions
        self.threads = threads
    }
}

/// One message as a reader sees it: its current state, its reaction summaries and, for a
/// thread root with replies, its thread summary.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MessageDetail: Hashable, Sendable {
    /// The message.
    public let message: Message
    /// Its reactions, one summary per emoji (empty when none).
    public let reactions: [ReactionSummary]
    /// Its thread, when it is a root with at least one reply.
    public let thread: ThreadSummary?

    /// Makes a detail.
    public init(message: Message, reactions: [ReactionSummary] = [], thread: ThreadSummary? = nil) {
        self.message = message
        self.reactions = reactions
        self.thread = thread
    }
}

/// One page of a thread: the root (with its summaries) and a page of its replies.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ThreadPage: Hashable, Sendable {
    /// The root, with its reactions and reply count.
    public let root: MessageDetail
    /// Replies in the requested direction's order, by keyset on `seq`, with their reactions.
    public let replies: MessagePage

    /// Makes a page.
    public init(root: MessageDetail, replies: MessagePage) {
        self.root = root
        self.replies = replies
    }
}

extension ReactionSummary {
    /// Groups per-emoji rows into per-message summaries in the documented order (first left,
    /// then the emoji's UTF-8 bytes), so every store adapter of this package orders them alike.
    package static func grouped(
        _ rows: [(message: MessageID, summary: ReactionSummary, firstAt: Int64)]
    ) -> [MessageID: [ReactionSummary]] {
        var grouped: [MessageID: [(summary: ReactionSummary, firstAt: Int64)]] = [:]
        for row in rows { grouped[row.message, default: []].append((row.summary, row.firstAt)) }
        return grouped.mapValues { list in
            list.sorted { a, b in
                a.firstAt != b.firstAt
                    ? a.firstAt < b.firstAt
                    : a.summary.emoji.rawValue.utf8.lexicographicallyPrecedes(b.summary.emoji.rawValue.utf8)
            }.map(\.summary)
        }
    }
}
