import Foundation
import MessagingCore
import PostgresNIO

// MARK: - Reaction and thread summaries, thread pages

extension PostgresTransaction {
    func summaries(of messages: [MessageID], for reader: UserID) throws -> MessageSummaries {
        guard !messages.isEmpty else { return MessageSummaries() }
        let ids = PostgresCoding.uuids(messages)
        // One statement (one round trip) for both: rows of kind 0 are (message, emoji, count,
        // reader's flag, first reaction time); rows of kind 1 are (root, count, newest seq, its
        // time, its id), the newest reply of each root read from the partial index
        // `messages_by_thread_root` (migration pg-v4-threads).
        let rows = try fetchAll(
            """
            SELECT 0::bigint, message_id, emoji, count(*), bool_or(user_id = \(PostgresCoding.uuid(reader)))::int::bigint,
                min(created_at), NULL::uuid
            FROM reactions WHERE message_id = ANY(\(ids)) GROUP BY message_id, emoji
            UNION ALL
            SELECT 1::bigint, r.thread_root_id, NULL::text, r.replies, r.seq, r.created_at, r.id
            FROM (
                SELECT DISTINCT ON (thread_root_id) thread_root_id, count(*) OVER (PARTITION BY thread_root_id) AS replies,
                    seq, created_at, id
                FROM messages WHERE thread_root_id = ANY(\(ids)) ORDER BY thread_root_id, seq DESC
            ) r
            """, "reading reaction and thread summaries"
        ) { row -> (MessageID, Either) in
            let key: MessageID = try row.id(1)
            if try row.int64(0) == 0 {
                return (key, .reaction(
                    ReactionSummary(emoji: try Emoji(try row.string(2)), count: try row.int(3), includesReader: try row.int64(4) != 0),
                    firstAt: try row.int64(5)))
            }
            return (key, .thread(ThreadSummary(
                replyCount: try row.int(3), lastReplySeq: try row.int64(4), lastReplyID: try row.id(6),
                lastReplyAt: try row.timestamp(5))))
        }
        var reactionRows: [(message: MessageID, summary: ReactionSummary, firstAt: Int64)] = []
        var threads: [MessageID: ThreadSummary] = [:]
        for (key, value) in rows {
            switch value {
            case .reaction(let summary, let firstAt): reactionRows.append((key, summary, firstAt))
            case .thread(let summary): threads[key] = summary
            }
        }
        return MessageSummaries(reactions: ReactionSummary.grouped(reactionRows), threads: threads)
    }

    /// One row of ``summaries(of:for:)``.
    private enum Either {
        case reaction(ReactionSummary, firstAt: Int64)
        case thread(ThreadSummary)
    }

    func replies(to root: MessageID, before seq: Int64?, limit: Int) throws -> [Message] {
        try fetchAll(
            """
            SELECT \(unescaped: Self.messageColumns) FROM messages m
            WHERE m.thread_root_id = \(PostgresCoding.uuid(root)) AND m.seq < \(seq ?? Int64.max)
            ORDER BY m.seq DESC LIMIT \(limit)
            """, "reading replies") { try Self.message($0) }
    }

    func replies(to root: MessageID, after seq: Int64?, limit: Int) throws -> [Message] {
        try fetchAll(
            """
            SELECT \(unescaped: Self.messageColumns) FROM messages m
            WHERE m.thread_root_id = \(PostgresCoding.uuid(root)) AND m.seq > \(seq ?? 0)
            ORDER BY m.seq ASC LIMIT \(limit)
            """, "reading replies") { try Self.message($0) }
    }
}
