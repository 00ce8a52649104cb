import Foundation
import MessagingCore
import PostgresNIO

// MARK: - Reaction and thread summaries, thread pages

extension PostgresTransaction {
    func reactionSummaries(of messages: [MessageID], for reader: UserID) throws -> [MessageID: [ReactionSummary]] {
        guard !messages.isEmpty else { return [:] }
        let rows = try fetchAll(
            """
            SELECT message_id, emoji, count(*), bool_or(user_id = \(PostgresCoding.uuid(reader))), min(created_at)
            FROM reactions WHERE message_id = ANY(\(PostgresCoding.uuids(messages)))
            GROUP BY message_id, emoji
            """, "reading reaction summaries"
        ) { row in
            (
                message: try row.id(0) as MessageID,
                summary: ReactionSummary(emoji: try Emoji(try row.string(1)), count: try row.int(2), includesReader: try row.bool(3)),
                firstAt: try row.int64(4)
            )
        }
        return ReactionSummary._grouped(rows)
    }

    func threadSummaries(of roots: [MessageID]) throws -> [MessageID: ThreadSummary] {
        guard !roots.isEmpty else { return [:] }
        // The newest reply of each root, with the root's reply count, from the partial
        // index `messages_by_thread_root` (migration pg-v4-threads).
        let rows = try fetchAll(
            """
            SELECT DISTINCT ON (thread_root_id) thread_root_id, count(*) OVER (PARTITION BY thread_root_id), seq, id, created_at
            FROM messages WHERE thread_root_id = ANY(\(PostgresCoding.uuids(roots)))
            ORDER BY thread_root_id, seq DESC
            """, "reading thread summaries"
        ) { row in
            (
                try row.id(0) as MessageID,
                ThreadSummary(
                    replyCount: try row.int(1), lastReplySeq: try row.int64(2), lastReplyID: try row.id(3),
                    lastReplyAt: try row.timestamp(4))
            )
        }
        return Dictionary(rows, uniquingKeysWith: { first, _ in first })
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
