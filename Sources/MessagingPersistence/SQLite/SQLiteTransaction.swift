import Foundation
import GRDB
import MessagingCore

/// The SQLite implementation of every store port, over one GRDB connection inside one
/// transaction. Hot paths (send, history page, events since) use cached statements and
/// decode rows by hand.
///
/// Thread safety: not thread-safe; valid only inside the `read`/`write` closure it was handed to.
struct SQLiteTransaction: MessagingTransaction {
    let db: Database
    /// Collects the events a write transaction appends (``SQLiteMessagingStore/commit(_:)``); `nil` elsewhere.
    var appended: AppendedEvents? = nil

    func statement(_ sql: String) throws -> Statement { try db.cachedStatement(sql: sql) }

    func fetchOne<T>(_ sql: String, _ arguments: StatementArguments, _ decode: (Row) throws -> T) throws -> T? {
        let cursor = try Row.fetchCursor(statement(sql), arguments: arguments)
        guard let row = try cursor.next() else { return nil }
        return try decode(row)
    }

    func fetchAll<T>(_ sql: String, _ arguments: StatementArguments, _ decode: (Row) throws -> T) throws -> [T] {
        let cursor = try Row.fetchCursor(statement(sql), arguments: arguments)
        var result: [T] = []
        while let row = try cursor.next() { result.append(try decode(row)) }
        return result
    }

    func execute(_ sql: String, _ arguments: StatementArguments) throws {
        try statement(sql).execute(arguments: arguments)
    }
}

// MARK: - UserStore

extension SQLiteTransaction {
    private static let userColumns = "id, handle, display_name, created_at"

    private func decodeUser(_ row: Row) throws -> User {
        try User(
            id: RowCoding.id(row, 0), handle: Handle(row[1] as String), displayName: row[2],
            createdAt: RowCoding.timestamp(row, 3))
    }

    func user(id: UserID) throws -> User? {
        try fetchOne("SELECT \(Self.userColumns) FROM users WHERE id = ?", [RowCoding.blob(id)], decodeUser)
    }

    func user(handle: Handle) throws -> User? {
        try fetchOne("SELECT \(Self.userColumns) FROM users WHERE handle = ?", [handle.rawValue], decodeUser)
    }

    func insert(_ user: User) throws {
        try execute(
            "INSERT INTO users (id, handle, display_name, created_at) VALUES (?, ?, ?, ?)",
            [RowCoding.blob(user.id), user.handle.rawValue, user.displayName, user.createdAt.millisecondsSince1970])
    }
}

// MARK: - ConversationStore

extension SQLiteTransaction {
    func conversation(id: ConversationID) throws -> Conversation? {
        let statement = try HotStatement(db, HotSQL.conversationByID)
        defer { statement.reset() }
        statement.bind(1, id)
        return try statement.step() ? try statement.conversation() : nil
    }

    func directConversation(key: [UInt8]) throws -> ConversationID? {
        try fetchOne("SELECT id FROM conversations WHERE direct_key = ?", [Data(key)]) { try RowCoding.id($0, 0) }
    }

    func insert(_ conversation: Conversation, directKey: [UInt8]?) throws {
        try execute(
            """
            INSERT INTO conversations (
                id, kind, title, topic, creator_id, direct_key, created_at, last_seq, last_activity_at, encrypted,
                slow_mode_seconds)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                RowCoding.blob(conversation.id), conversation.kind.rawValue, conversation.title, conversation.topic,
                RowCoding.blob(conversation.creatorID), directKey.map { Data($0) },
                conversation.createdAt.millisecondsSince1970, conversation.lastSeq,
                conversation.lastActivityAt.millisecondsSince1970, conversation.isEncrypted ? 1 : 0,
                conversation.slowModeSeconds,
            ])
    }

    func updateDetails(of id: ConversationID, title: String?, topic: String?) throws {
        try execute("UPDATE conversations SET title = ?, topic = ? WHERE id = ?", [title, topic, RowCoding.blob(id)])
    }

    func nextSeq(of id: ConversationID, at time: Timestamp) throws -> Int64 {
        let statement = try HotStatement(db, HotSQL.nextSeq)
        defer { statement.reset() }
        statement.bind(1, time.millisecondsSince1970)
        statement.bind(2, id)
        guard try statement.step() else { throw MessagingError(code: .notFound, message: "No conversation has the id \(id).") }
        return statement.int64(0)
    }

    func conversations(of user: UserID, after cursor: ConversationCursor?, limit: Int) throws -> [ConversationSummary] {
        let select = """
            SELECT \(RowCoding.conversationColumns), \(RowCoding.memberColumns)
            FROM members mb JOIN conversations c ON c.id = mb.conversation_id
            WHERE mb.user_id = ?
            """
        let order = "ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ?"
        let decode = { (row: Row) throws -> ConversationSummary in
            ConversationSummary(
                conversation: try RowCoding.conversation(from: row),
                membership: try RowCoding.member(from: row, at: RowCoding.conversationColumnCount))
        }
        guard let cursor else {
            return try fetchAll("\(select) \(order)", [RowCoding.blob(user), limit], decode)
        }
        let time = cursor.lastActivityAt.millisecondsSince1970
        return try fetchAll(
            "\(select) AND (c.last_activity_at < ? OR (c.last_activity_at = ? AND c.id < ?)) \(order)",
            [RowCoding.blob(user), time, time, RowCoding.blob(cursor.conversationID), limit], decode)
    }
}

// MARK: - MembershipStore

extension SQLiteTransaction {
    func member(_ user: UserID, in conversation: ConversationID) throws -> Member? {
        let statement = try HotStatement(db, HotSQL.member)
        defer { statement.reset() }
        statement.bind(1, conversation)
        statement.bind(2, user)
        return try statement.step() ? try statement.member() : nil
    }

    func members(of conversation: ConversationID, after user: UserID?, limit: Int) throws -> [Member] {
        try fetchAll(
            """
            SELECT \(RowCoding.memberColumns) FROM members mb
            WHERE mb.conversation_id = ? AND mb.user_id > ? ORDER BY mb.user_id LIMIT ?
            """,
            [RowCoding.blob(conversation), RowCoding.optionalBlob(user) ?? Data(), limit]
        ) { try RowCoding.member(from: $0) }
    }

    func memberCount(of conversation: ConversationID, role: Role?) throws -> Int {
        guard let role else {
            return try Int.fetchOne(
                statement("SELECT count(*) FROM members WHERE conversation_id = ?"), arguments: [RowCoding.blob(conversation)]) ?? 0
        }
        return try Int.fetchOne(
            statement("SELECT count(*) FROM members WHERE conversation_id = ? AND role = ?"),
            arguments: [RowCoding.blob(conversation), role.rawValue]) ?? 0
    }

    func sharesConversation(_ user: UserID, _ other: UserID) throws -> Bool {
        // Walks `user`'s memberships through members_by_user and probes the primary key
        // (conversation_id, user_id) for `other` in each.
        try Bool.fetchOne(
            statement(
                """
                SELECT EXISTS (
                    SELECT 1 FROM members mine
                    JOIN members theirs ON theirs.conversation_id = mine.conversation_id AND theirs.user_id = ?
                    WHERE mine.user_id = ?)
                """),
            arguments: [RowCoding.blob(other), RowCoding.blob(user)]) ?? false
    }

    func insert(_ member: Member) throws {
        try execute(
            "INSERT INTO members (conversation_id, user_id, role, joined_at, read_seq, muted_until) VALUES (?, ?, ?, ?, ?, ?)",
            [
                RowCoding.blob(member.conversationID), RowCoding.blob(member.userID), member.role.rawValue,
                member.joinedAt.millisecondsSince1970, member.readSeq, member.mutedUntil?.millisecondsSince1970,
            ])
    }

    func removeMember(_ user: UserID, from conversation: ConversationID) throws {
        try execute(
            "DELETE FROM members WHERE conversation_id = ? AND user_id = ?", [RowCoding.blob(conversation), RowCoding.blob(user)])
    }

    func setRole(_ role: Role, of user: UserID, in conversation: ConversationID) throws {
        try execute(
            "UPDATE members SET role = ? WHERE conversation_id = ? AND user_id = ?",
            [role.rawValue, RowCoding.blob(conversation), RowCoding.blob(user)])
    }

    func setReadSeq(_ seq: Int64, of user: UserID, in conversation: ConversationID) throws {
        // max() keeps the watermark monotonic even if a caller skips the use case's check.
        try execute(
            "UPDATE members SET read_seq = max(read_seq, ?) WHERE conversation_id = ? AND user_id = ?",
            [seq, RowCoding.blob(conversation), RowCoding.blob(user)])
    }

    func unreadCounts(for user: UserID) throws -> [UnreadCount] {
        try fetchAll(
            """
            SELECT mb.conversation_id, mb.read_seq,
                   (SELECT count(*) FROM messages m
                    WHERE m.conversation_id = mb.conversation_id AND m.seq > mb.read_seq
                      AND m.sender_id <> mb.user_id AND m.deleted_at IS NULL)
            FROM members mb WHERE mb.user_id = ? ORDER BY mb.conversation_id
            """,
            [RowCoding.blob(user)]
        ) { row in UnreadCount(conversationID: try RowCoding.id(row, 0), count: row[2], readSeq: row[1]) }
    }
}

/// The events one write transaction appended, in order. Used on the writer's thread only,
/// inside the transaction that owns it.
final class AppendedEvents: @unchecked Sendable {
    var events: [ConversationEvent] = []
}
