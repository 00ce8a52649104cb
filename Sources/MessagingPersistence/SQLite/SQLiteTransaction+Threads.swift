import Foundation
import GRDB
import MessagingCore

// MARK: - Reaction and thread summaries, thread pages

extension SQLiteTransaction {
    func summaries(of messages: [MessageID], for reader: UserID) throws -> MessageSummaries {
        var reactionRows: [(message: MessageID, summary: ReactionSummary, firstAt: Int64)] = []
        var threads: [MessageID: ThreadSummary] = [:]
        try Self.forEachBatch(of: messages) { placeholders, ids in
            // One statement for both: rows of kind 0 are (message, emoji, count, reader's flag,
            // first reaction time); rows of kind 1 are (root, count, newest seq, its id, its
            // time): SQLite takes the bare columns id and created_at from the row holding
            // MAX(seq), and the partial index `messages_by_thread_root` answers the second part.
            let rows = try fetchAll(
                """
                SELECT 0, message_id, emoji, COUNT(*), MAX(user_id = ?), MIN(created_at), NULL FROM reactions
                WHERE message_id IN (\(placeholders)) GROUP BY message_id, emoji
                UNION ALL
                SELECT 1, thread_root_id, NULL, COUNT(*), MAX(seq), id, created_at FROM messages
                WHERE thread_root_id IN (\(placeholders)) GROUP BY thread_root_id
                """,
                StatementArguments([RowCoding.blob(reader) as any DatabaseValueConvertible] + ids + ids)
            ) { row -> (MessageID, Either) in
                let key: MessageID = try RowCoding.id(row, 1)
                if (row[0] as Int64) == 0 {
                    return (key, .reaction(
                        ReactionSummary(emoji: try Emoji(row[2] as String), count: row[3] as Int, includesReader: (row[4] as Int64) != 0),
                        firstAt: row[5] as Int64))
                }
                return (key, .thread(ThreadSummary(
                    replyCount: row[3] as Int, lastReplySeq: row[4] as Int64, lastReplyID: try RowCoding.id(row, 5),
                    lastReplyAt: RowCoding.timestamp(row, 6))))
            }
            for (key, value) in rows {
                switch value {
                case .reaction(let summary, let firstAt): reactionRows.append((key, summary, firstAt))
                case .thread(let summary): threads[key] = summary
                }
            }
        }
        return MessageSummaries(reactions: ReactionSummary._grouped(reactionRows), threads: threads)
    }

    /// One row of ``summaries(of:for:)``.
    private enum Either {
        case reaction(ReactionSummary, firstAt: Int64)
        case thread(ThreadSummary)
    }

    func replies(to root: MessageID, before seq: Int64?, limit: Int) throws -> [Message] {
        try fetchAll(
            """
            SELECT \(RowCoding.messageColumns) FROM messages m
            WHERE m.thread_root_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?
            """,
            [RowCoding.blob(root), seq ?? Int64.max, limit]
        ) { row in try RowCoding.message(from: row) }
    }

    func replies(to root: MessageID, after seq: Int64?, limit: Int) throws -> [Message] {
        try fetchAll(
            """
            SELECT \(RowCoding.messageColumns) FROM messages m
            WHERE m.thread_root_id = ? AND m.seq > ? ORDER BY m.seq ASC LIMIT ?
            """,
            [RowCoding.blob(root), seq ?? 0, limit]
        ) { row in try RowCoding.message(from: row) }
    }

    /// Calls `body` with an `IN` list of placeholders and the ids' blobs, at most 512 ids at a
    /// time. Lists are padded (with their first id, which changes no answer) to 8, 32, 128 or
    /// 512 entries, so the statement cache holds four shapes, not one per page size.
    static func forEachBatch(
        of ids: [MessageID], _ body: (_ placeholders: String, _ ids: [any DatabaseValueConvertible]) throws -> Void
    ) throws {
        var start = 0
        while start < ids.count {
            let batch = ids[start..<min(start + 512, ids.count)]
            start += batch.count
            let size = [8, 32, 128, 512].first { $0 >= batch.count }!
            var values: [any DatabaseValueConvertible] = batch.map { RowCoding.blob($0) }
            values += repeatElement(RowCoding.blob(batch.first!) as any DatabaseValueConvertible, count: size - batch.count)
            try body(Array(repeating: "?", count: size).joined(separator: ", "), values)
        }
    }
}
