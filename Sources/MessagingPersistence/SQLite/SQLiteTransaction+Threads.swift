import Foundation
import GRDB
import MessagingCore

// MARK: - Reaction and thread summaries, thread pages

extension SQLiteTransaction {
    func summaries(of messages: [MessageID], for reader: UserID) throws -> MessageSummaries {
        var reactionRows: [(message: MessageID, summary: ReactionSummary, firstAt: Int64)] = []
        var threads: [MessageID: ThreadSummary] = [:]
        var start = 0
        while start < messages.count {
            // At most 512 ids a statement, padded (with the first id, which changes no answer)
            // to 8, 32, 64, 128 or 512, so the statement cache holds five shapes, not one per
            // page size. 64 fits the default page (50 and its extra row) without doubling it.
            let batch = messages[start..<min(start + 512, messages.count)]
            start += batch.count
            let size = [8, 32, 64, 128, 512].first { $0 >= batch.count }!
            let statement = try HotStatement(db, HotSQL.summaries(size))
            defer { statement.reset() }
            statement.bind(1, reader)
            for offset in 0..<size {
                let id = offset < batch.count ? batch[batch.startIndex + offset] : batch[batch.startIndex]
                statement.bind(Int32(2 + offset), id)
                statement.bind(Int32(2 + size + offset), id)
            }
            // Rows of kind 0: (message, emoji, count, reader's flag, first reaction time);
            // kind 1: (root, count, newest seq, its id, its time).
            while try statement.step() {
                let key: MessageID = try statement.id(1)
                if statement.int64(0) == 0 {
                    reactionRows.append((
                        key,
                        ReactionSummary(
                            emoji: Emoji(_trusted: statement.text(2)), count: Int(statement.int64(3)),
                            includesReader: statement.int64(4) != 0),
                        statement.int64(5)))
                } else {
                    threads[key] = ThreadSummary(
                        replyCount: Int(statement.int64(3)), lastReplySeq: statement.int64(4), lastReplyID: try statement.id(5),
                        lastReplyAt: statement.timestamp(6))
                }
            }
        }
        return MessageSummaries(reactions: ReactionSummary.grouped(reactionRows), threads: threads)
    }

    func replies(to root: MessageID, before seq: Int64?, limit: Int) throws -> [Message] {
        let statement = try HotStatement(db, HotSQL.repliesBefore)
        statement.bind(1, root)
        statement.bind(2, seq ?? Int64.max)
        statement.bind(3, Int64(limit))
        return try statement.messages()
    }

    func replies(to root: MessageID, after seq: Int64?, limit: Int) throws -> [Message] {
        let statement = try HotStatement(db, HotSQL.repliesAfter)
        statement.bind(1, root)
        statement.bind(2, seq ?? 0)
        statement.bind(3, Int64(limit))
        return try statement.messages()
    }
}

extension HotSQL {
    static let repliesBefore = """
        SELECT \(RowCoding.messageColumns) FROM messages m
        WHERE m.thread_root_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?
        """
    static let repliesAfter = """
        SELECT \(RowCoding.messageColumns) FROM messages m
        WHERE m.thread_root_id = ? AND m.seq > ? ORDER BY m.seq ASC LIMIT ?
        """

    /// The summaries of `size` messages (``SQLiteTransaction/summaries(of:for:)``): one
    /// statement for both parts; SQLite takes the bare columns `id` and `created_at` of the
    /// second from the row holding MAX(seq), and the partial index `messages_by_thread_root`
    /// answers it. Parameters: the reader, then the ids twice.
    static func summaries(_ size: Int) -> String {
        switch size {
        case 8: summaries8
        case 32: summaries32
        case 64: summaries64
        case 128: summaries128
        default: summaries512
        }
    }

    private static let summaries8 = makeSummaries(8)
    private static let summaries32 = makeSummaries(32)
    private static let summaries64 = makeSummaries(64)
    private static let summaries128 = makeSummaries(128)
    private static let summaries512 = makeSummaries(512)

    private static func makeSummaries(_ size: Int) -> String {
        let list = Array(repeating: "?", count: size).joined(separator: ", ")
        return """
            SELECT 0, message_id, emoji, COUNT(*), MAX(user_id = ?), MIN(created_at), NULL FROM reactions
            WHERE message_id IN (\(list)) GROUP BY message_id, emoji
            UNION ALL
            SELECT 1, thread_root_id, NULL, COUNT(*), MAX(seq), id, created_at FROM messages
            WHERE thread_root_id IN (\(list)) GROUP BY thread_root_id
            """
    }
}
