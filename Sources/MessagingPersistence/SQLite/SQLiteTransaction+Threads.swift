import Foundation
import GRDB
import MessagingCore

// MARK: - Reaction and thread summaries, thread pages

extension SQLiteTransaction {
    func reactionSummaries(of messages: [MessageID], for reader: UserID) throws -> [MessageID: [ReactionSummary]] {
        var rows: [(message: MessageID, summary: ReactionSummary, firstAt: Int64)] = []
        try Self.forEachBatch(of: messages) { placeholders, ids in
            rows += try fetchAll(
                """
                SELECT message_id, emoji, COUNT(*), MAX(user_id = ?), MIN(created_at) FROM reactions
                WHERE message_id IN (\(placeholders)) GROUP BY message_id, emoji
                """,
                StatementArguments([RowCoding.blob(reader) as any DatabaseValueConvertible] + ids)
            ) { row in
                (
                    message: try RowCoding.id(row, 0) as MessageID,
                    summary: ReactionSummary(
                        emoji: try Emoji(row[1] as String), count: row[2] as Int, includesReader: (row[3] as Int64) != 0),
                    firstAt: row[4] as Int64
                )
            }
        }
        return ReactionSummary._grouped(rows)
    }

    func threadSummaries(of roots: [MessageID]) throws -> [MessageID: ThreadSummary] {
        var result: [MessageID: ThreadSummary] = [:]
        try Self.forEachBatch(of: roots) { placeholders, ids in
            // SQLite takes the bare columns (id, created_at) from the row that holds MAX(seq).
            // The index `messages_by_thread_root` answers it without reading other messages.
            let summaries = try fetchAll(
                """
                SELECT thread_root_id, COUNT(*), MAX(seq), id, created_at FROM messages
                WHERE thread_root_id IN (\(placeholders)) GROUP BY thread_root_id
                """,
                StatementArguments(ids)
            ) { row in
                (
                    try RowCoding.id(row, 0) as MessageID,
                    ThreadSummary(
                        replyCount: row[1] as Int, lastReplySeq: row[2] as Int64, lastReplyID: try RowCoding.id(row, 3),
                        lastReplyAt: RowCoding.timestamp(row, 4))
                )
            }
            for (root, summary) in summaries { result[root] = summary }
        }
        return result
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
