import Foundation
import GRDB
import MessagingCore

// MARK: - ModerationStore

extension SQLiteTransaction {
    private static func decodeBan(_ row: Row) throws -> ConversationBan {
        ConversationBan(
            conversationID: try RowCoding.id(row, 0), userID: try RowCoding.id(row, 1), bannedBy: try RowCoding.id(row, 2),
            reason: row[3], bannedAt: RowCoding.timestamp(row, 4))
    }

    func ban(of user: UserID, in conversation: ConversationID) throws -> ConversationBan? {
        try fetchOne(
            """
            SELECT conversation_id, user_id, banned_by, reason, banned_at FROM conversation_bans
            WHERE conversation_id = ? AND user_id = ?
            """,
            [RowCoding.blob(conversation), RowCoding.blob(user)], Self.decodeBan)
    }

    func insert(_ ban: ConversationBan) throws {
        try execute(
            """
            INSERT OR REPLACE INTO conversation_bans (conversation_id, user_id, banned_by, reason, banned_at)
            VALUES (?, ?, ?, ?, ?)
            """,
            [
                RowCoding.blob(ban.conversationID), RowCoding.blob(ban.userID), RowCoding.blob(ban.bannedBy), ban.reason,
                ban.bannedAt.millisecondsSince1970,
            ])
    }

    func deleteBan(of user: UserID, in conversation: ConversationID) throws -> Bool {
        try execute(
            "DELETE FROM conversation_bans WHERE conversation_id = ? AND user_id = ?",
            [RowCoding.blob(conversation), RowCoding.blob(user)])
        return db.changesCount > 0
    }

    func bans(in conversation: ConversationID, after user: UserID?, limit: Int) throws -> [ConversationBan] {
        try fetchAll(
            """
            SELECT conversation_id, user_id, banned_by, reason, banned_at FROM conversation_bans
            WHERE conversation_id = ? AND user_id > ? ORDER BY user_id LIMIT ?
            """,
            [RowCoding.blob(conversation), RowCoding.optionalBlob(user) ?? Data(), limit], Self.decodeBan)
    }

    func isBlocked(between first: UserID, and second: UserID) throws -> Bool {
        try Bool.fetchOne(
            statement(
                """
                SELECT EXISTS (SELECT 1 FROM user_blocks WHERE blocker_id = ? AND blocked_id = ?)
                    OR EXISTS (SELECT 1 FROM user_blocks WHERE blocker_id = ? AND blocked_id = ?)
                """),
            arguments: [RowCoding.blob(first), RowCoding.blob(second), RowCoding.blob(second), RowCoding.blob(first)]) ?? false
    }

    func insert(_ block: UserBlock) throws -> Bool {
        try execute(
            "INSERT OR IGNORE INTO user_blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?)",
            [RowCoding.blob(block.blockerID), RowCoding.blob(block.blockedID), block.createdAt.millisecondsSince1970])
        return db.changesCount > 0
    }

    func deleteBlock(of blocked: UserID, by blocker: UserID) throws -> Bool {
        try execute(
            "DELETE FROM user_blocks WHERE blocker_id = ? AND blocked_id = ?", [RowCoding.blob(blocker), RowCoding.blob(blocked)])
        return db.changesCount > 0
    }

    func blocks(by blocker: UserID) throws -> [UserBlock] {
        // Read with every history page, sync page and single read (the reader's block list):
        // a cached statement driven by the C API, one step when the list is empty.
        let statement = try HotStatement(db, Self.blocksByBlocker)
        defer { statement.reset() }
        statement.bind(1, blocker)
        var result: [UserBlock] = []
        while try statement.step() {
            result.append(UserBlock(blockerID: try statement.id(0), blockedID: try statement.id(1), createdAt: statement.timestamp(2)))
        }
        return result
    }

    private static let blocksByBlocker =
        "SELECT blocker_id, blocked_id, created_at FROM user_blocks WHERE blocker_id = ? ORDER BY blocked_id"

    func setMutedUntil(_ until: Timestamp?, of user: UserID, in conversation: ConversationID) throws {
        try execute(
            "UPDATE members SET muted_until = ? WHERE conversation_id = ? AND user_id = ?",
            [until?.millisecondsSince1970, RowCoding.blob(conversation), RowCoding.blob(user)])
    }

    func setSlowMode(seconds: Int, of conversation: ConversationID) throws {
        try execute("UPDATE conversations SET slow_mode_seconds = ? WHERE id = ?", [seconds, RowCoding.blob(conversation)])
    }

    func claimPost(of user: UserID, in conversation: ConversationID, at now: Timestamp, intervalMilliseconds: Int64) throws -> Timestamp? {
        // Writes are serialized (one writer, each commit in its savepoint), so the conditional
        // upsert and the read of the previous post see the same row.
        try execute(
            """
            INSERT INTO slow_mode_posts (conversation_id, user_id, last_post_at) VALUES (?, ?, ?)
            ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_post_at = excluded.last_post_at
            WHERE slow_mode_posts.last_post_at <= ?
            """,
            [RowCoding.blob(conversation), RowCoding.blob(user), now.millisecondsSince1970, now.millisecondsSince1970 - intervalMilliseconds])
        guard db.changesCount == 0 else { return nil }
        return try fetchOne(
            "SELECT last_post_at FROM slow_mode_posts WHERE conversation_id = ? AND user_id = ?",
            [RowCoding.blob(conversation), RowCoding.blob(user)]
        ) { RowCoding.timestamp($0, 0) }
    }

    func pins(in conversation: ConversationID) throws -> [PinnedMessage] {
        try fetchAll(
            """
            SELECT conversation_id, message_id, pinned_by, pinned_at FROM pinned_messages
            WHERE conversation_id = ? ORDER BY pinned_at, message_id
            """,
            [RowCoding.blob(conversation)]
        ) { row in
            PinnedMessage(
                conversationID: try RowCoding.id(row, 0), messageID: try RowCoding.id(row, 1), pinnedBy: try RowCoding.id(row, 2),
                pinnedAt: RowCoding.timestamp(row, 3))
        }
    }

    func insert(_ pin: PinnedMessage) throws -> Bool {
        try execute(
            "INSERT OR IGNORE INTO pinned_messages (conversation_id, message_id, pinned_by, pinned_at) VALUES (?, ?, ?, ?)",
            [RowCoding.blob(pin.conversationID), RowCoding.blob(pin.messageID), RowCoding.blob(pin.pinnedBy), pin.pinnedAt.millisecondsSince1970])
        return db.changesCount > 0
    }

    func deletePin(of message: MessageID, in conversation: ConversationID) throws -> Bool {
        try execute(
            "DELETE FROM pinned_messages WHERE conversation_id = ? AND message_id = ?",
            [RowCoding.blob(conversation), RowCoding.blob(message)])
        return db.changesCount > 0
    }
}
