import Foundation
import MessagingCore
import PostgresNIO

// MARK: - ModerationStore

extension PostgresTransaction {
    private static func decodeBan(_ row: Cells) throws -> ConversationBan {
        ConversationBan(
            conversationID: try row.id(0), userID: try row.id(1), bannedBy: try row.id(2), reason: try row.optionalString(3),
            bannedAt: try row.timestamp(4))
    }

    func ban(of user: UserID, in conversation: ConversationID) throws -> ConversationBan? {
        try fetchOne(
            """
            SELECT conversation_id, user_id, banned_by, reason, banned_at FROM conversation_bans
            WHERE conversation_id = \(PostgresCoding.uuid(conversation)) AND user_id = \(PostgresCoding.uuid(user))
            """, "reading a ban", Self.decodeBan)
    }

    func insert(_ ban: ConversationBan) throws {
        try execute(
            """
            INSERT INTO conversation_bans (conversation_id, user_id, banned_by, reason, banned_at)
            VALUES (\(PostgresCoding.uuid(ban.conversationID)), \(PostgresCoding.uuid(ban.userID)),
                \(PostgresCoding.uuid(ban.bannedBy)), \(ban.reason), \(ban.bannedAt.millisecondsSince1970))
            ON CONFLICT (conversation_id, user_id) DO UPDATE
                SET banned_by = EXCLUDED.banned_by, reason = EXCLUDED.reason, banned_at = EXCLUDED.banned_at
            """, "inserting a ban")
    }

    func deleteBan(of user: UserID, in conversation: ConversationID) throws -> Bool {
        try execute(
            """
            DELETE FROM conversation_bans
            WHERE conversation_id = \(PostgresCoding.uuid(conversation)) AND user_id = \(PostgresCoding.uuid(user))
            """, "deleting a ban") > 0
    }

    func bans(in conversation: ConversationID, after user: UserID?, limit: Int) throws -> [ConversationBan] {
        let floor = user.map { PostgresCoding.uuid($0) } ?? UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        return try fetchAll(
            """
            SELECT conversation_id, user_id, banned_by, reason, banned_at FROM conversation_bans
            WHERE conversation_id = \(PostgresCoding.uuid(conversation)) AND user_id > \(floor)
            ORDER BY user_id LIMIT \(limit)
            """, "listing bans", Self.decodeBan)
    }

    func isBlocked(between first: UserID, and second: UserID) throws -> Bool {
        try fetchOne(
            """
            SELECT EXISTS (
                SELECT 1 FROM user_blocks
                WHERE (blocker_id = \(PostgresCoding.uuid(first)) AND blocked_id = \(PostgresCoding.uuid(second)))
                   OR (blocker_id = \(PostgresCoding.uuid(second)) AND blocked_id = \(PostgresCoding.uuid(first))))
            """, "checking blocks") { try $0.bool(0) } ?? false
    }

    func insert(_ block: UserBlock) throws -> Bool {
        try execute(
            """
            INSERT INTO user_blocks (blocker_id, blocked_id, created_at)
            VALUES (\(PostgresCoding.uuid(block.blockerID)), \(PostgresCoding.uuid(block.blockedID)), \(block.createdAt.millisecondsSince1970))
            ON CONFLICT DO NOTHING
            """, "inserting a block") > 0
            && announceBlockListChange(of: block.blockerID, at: block.createdAt)
    }

    /// Tells every node (the revocation channel, with the transaction) that `user`'s block
    /// list changed, so their gateways re-read it for the user's open connections. The notice
    /// names a fresh session id: listeners drop repeated session ids, and it revokes nothing.
    private func announceBlockListChange(of user: UserID, at time: Timestamp) -> Bool {
        record.revocations.append(SessionRevocation(
            sessionID: UUIDv7Generator().next(), userID: user, reason: .blockListChanged, revokedAt: time))
        return true
    }

    func deleteBlock(of blocked: UserID, by blocker: UserID) throws -> Bool {
        try execute(
            """
            DELETE FROM user_blocks
            WHERE blocker_id = \(PostgresCoding.uuid(blocker)) AND blocked_id = \(PostgresCoding.uuid(blocked))
            """, "deleting a block") > 0
            && announceBlockListChange(of: blocker, at: Timestamp(Date()))
    }

    func blocks(by blocker: UserID) throws -> [UserBlock] {
        try fetchAll(
            """
            SELECT blocker_id, blocked_id, created_at FROM user_blocks
            WHERE blocker_id = \(PostgresCoding.uuid(blocker)) ORDER BY blocked_id
            """, "listing blocks"
        ) { row in UserBlock(blockerID: try row.id(0), blockedID: try row.id(1), createdAt: try row.timestamp(2)) }
    }

    func setMutedUntil(_ until: Timestamp?, of user: UserID, in conversation: ConversationID) throws {
        try execute(
            """
            UPDATE members SET muted_until = \(until?.millisecondsSince1970)
            WHERE conversation_id = \(PostgresCoding.uuid(conversation)) AND user_id = \(PostgresCoding.uuid(user))
            """, "muting a conversation")
    }

    func setSlowMode(seconds: Int, of conversation: ConversationID) throws {
        try execute(
            "UPDATE conversations SET slow_mode_seconds = \(Int32(clamping: seconds)) WHERE id = \(PostgresCoding.uuid(conversation))",
            "setting slow mode")
    }

    func claimPost(of user: UserID, in conversation: ConversationID, at now: Timestamp, intervalMilliseconds: Int64) throws -> Timestamp? {
        // Under READ COMMITTED a concurrent upsert of the same row waits for the first to
        // commit and then re-checks the WHERE against the row it wrote: only one passes.
        let claimed = try execute(
            """
            INSERT INTO slow_mode_posts (conversation_id, user_id, last_post_at)
            VALUES (\(PostgresCoding.uuid(conversation)), \(PostgresCoding.uuid(user)), \(now.millisecondsSince1970))
            ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_post_at = EXCLUDED.last_post_at
            WHERE slow_mode_posts.last_post_at <= \(now.millisecondsSince1970 - intervalMilliseconds)
            """, "claiming a slow-mode post")
        guard claimed == 0 else { return nil }
        return try fetchOne(
            """
            SELECT last_post_at FROM slow_mode_posts
            WHERE conversation_id = \(PostgresCoding.uuid(conversation)) AND user_id = \(PostgresCoding.uuid(user))
            """, "reading a slow-mode post") { try $0.timestamp(0) }
    }

    func pins(in conversation: ConversationID) throws -> [PinnedMessage] {
        try fetchAll(
            """
            SELECT conversation_id, message_id, pinned_by, pinned_at FROM pinned_messages
            WHERE conversation_id = \(PostgresCoding.uuid(conversation)) ORDER BY pinned_at, message_id
            """, "listing pins"
        ) { row in
            PinnedMessage(conversationID: try row.id(0), messageID: try row.id(1), pinnedBy: try row.id(2), pinnedAt: try row.timestamp(3))
        }
    }

    func insert(_ pin: PinnedMessage) throws -> Bool {
        try execute(
            """
            INSERT INTO pinned_messages (conversation_id, message_id, pinned_by, pinned_at)
            VALUES (\(PostgresCoding.uuid(pin.conversationID)), \(PostgresCoding.uuid(pin.messageID)),
                \(PostgresCoding.uuid(pin.pinnedBy)), \(pin.pinnedAt.millisecondsSince1970))
            ON CONFLICT DO NOTHING
            """, "pinning a message") > 0
    }

    func deletePin(of message: MessageID, in conversation: ConversationID) throws -> Bool {
        try execute(
            """
            DELETE FROM pinned_messages
            WHERE conversation_id = \(PostgresCoding.uuid(conversation)) AND message_id = \(PostgresCoding.uuid(message))
            """, "unpinning a message") > 0
    }
}
