import Foundation
import Logging
import MessagingCore
import NIOCore
import PostgresNIO

/// What one attempt of a transaction recorded: the events it appended and whether the
/// database failed in a way that re-running the transaction can fix.
///
/// Thread safety: `@unchecked Sendable` because one transaction uses it from the one
/// thread that runs the transaction's closure, never concurrently.
final class TransactionRecord: @unchecked Sendable {
    var events: [ConversationEvent] = []
    /// Entries this attempt appended to users' feeds (announced with the events).
    var feed: [UserFeedEvent] = []
    /// Sessions this attempt revoked (announced to the other nodes before it commits).
    var revocations: [SessionRevocation] = []
    var retryable = false
    /// A read-only transaction's `BEGIN`, sent without waiting for its answer: the first
    /// statement's answer comes after it on the same connection, and its outcome is checked
    /// there (``PostgresTransaction/rows(_:_:)``), so a page costs one round trip less.
    var pendingBegin: EventLoopFuture<PostgresQueryResult>?
}

/// One open PostgreSQL transaction on a leased connection, driven synchronously.
///
/// The store runs the use case's closure on a thread of its own pool (never on a Swift
/// concurrency thread), so each statement can block that thread until PostgreSQL answers.
struct PostgresTransaction: MessagingTransaction, AuthTransaction {
    let connection: PostgresConnection
    let logger: Logger
    let record: TransactionRecord

    /// Runs one statement and returns all its rows.
    func rows(_ query: PostgresQuery, _ what: @autoclosure () -> String) throws -> PostgresQueryResult {
        do {
            let result = connection.query(query, logger: logger)
            if let begin = record.pendingBegin {
                // Answered before `result` (one connection answers in order): a BEGIN that
                // failed fails this statement too, whatever the statement's own answer.
                record.pendingBegin = nil
                _ = try begin.wait()
            }
            return try result.wait()
        } catch {
            if let state = PostgresErrors.sqlState(of: error), PostgresErrors.retryableStates.contains(state) {
                record.retryable = true
            }
            throw PostgresErrors.map(error, what())
        }
    }

    /// Runs one statement and returns how many rows it changed.
    @discardableResult
    func execute(_ query: PostgresQuery, _ what: @autoclosure () -> String) throws -> Int {
        try rows(query, what()).metadata.rows ?? 0
    }

    func fetchOne<T>(_ query: PostgresQuery, _ what: @autoclosure () -> String, _ decode: (Cells) throws -> T) throws -> T? {
        guard let row = try rows(query, what()).first else { return nil }
        return try decode(Cells(row))
    }

    func fetchAll<T>(_ query: PostgresQuery, _ what: @autoclosure () -> String, _ decode: (Cells) throws -> T) throws -> [T] {
        try rows(query, what()).map { try decode(Cells($0)) }
    }
}

// MARK: - UserStore

extension PostgresTransaction {
    private static let userColumns = "id, handle, display_name, created_at"

    private func decodeUser(_ row: Cells) throws -> User {
        try User(id: row.id(0), handle: Handle(try row.string(1)), displayName: row.string(2), createdAt: row.timestamp(3))
    }

    func user(id: UserID) throws -> User? {
        try fetchOne("SELECT id, handle, display_name, created_at FROM users WHERE id = \(PostgresCoding.uuid(id))", "reading a user", decodeUser)
    }

    func user(handle: Handle) throws -> User? {
        try fetchOne("SELECT id, handle, display_name, created_at FROM users WHERE handle = \(handle.rawValue)", "reading a user", decodeUser)
    }

    func insert(_ user: User) throws {
        try execute(
            """
            INSERT INTO users (id, handle, display_name, created_at)
            VALUES (\(PostgresCoding.uuid(user.id)), \(user.handle.rawValue), \(user.displayName), \(user.createdAt.millisecondsSince1970))
            """, "inserting a user")
    }
}

// MARK: - ConversationStore

extension PostgresTransaction {
    static let conversationColumns =
        "c.id, c.kind, c.title, c.topic, c.creator_id, c.created_at, c.last_seq, c.last_activity_at, c.encrypted, c.slow_mode_seconds"
    static let conversationColumnCount = 10

    static func conversation(_ row: Cells, at start: Int = 0) throws -> Conversation {
        guard let kind = ConversationKind(rawValue: try row.string(start + 1)) else {
            throw PostgresCoding.corrupt("unknown conversation kind")
        }
        return Conversation(
            id: try row.id(start), kind: kind, title: try row.optionalString(start + 2), topic: try row.optionalString(start + 3),
            creatorID: try row.id(start + 4), createdAt: try row.timestamp(start + 5), lastSeq: try row.int64(start + 6),
            lastActivityAt: try row.timestamp(start + 7), isEncrypted: try row.bool(start + 8),
            slowModeSeconds: Int(try row.decode(start + 9, as: Int32.self)))
    }

    func conversation(id: ConversationID) throws -> Conversation? {
        try fetchOne(
            "SELECT \(unescaped: Self.conversationColumns) FROM conversations c WHERE c.id = \(PostgresCoding.uuid(id))",
            "reading a conversation") { try Self.conversation($0) }
    }

    func directConversation(key: [UInt8]) throws -> ConversationID? {
        try fetchOne("SELECT id FROM conversations WHERE direct_key = \(Data(key))", "reading a direct conversation") { try $0.id(0) }
    }

    func insert(_ conversation: Conversation, directKey: [UInt8]?) throws {
        try execute(
            """
            INSERT INTO conversations (
                id, kind, title, topic, creator_id, direct_key, created_at, last_seq, last_activity_at, encrypted,
                slow_mode_seconds)
            VALUES (\(PostgresCoding.uuid(conversation.id)), \(conversation.kind.rawValue), \(conversation.title),
                \(conversation.topic), \(PostgresCoding.uuid(conversation.creatorID)), \(directKey.map { Data($0) }),
                \(conversation.createdAt.millisecondsSince1970), \(conversation.lastSeq),
                \(conversation.lastActivityAt.millisecondsSince1970), \(conversation.isEncrypted),
                \(Int32(clamping: conversation.slowModeSeconds)))
            """, "inserting a conversation")
    }

    func updateDetails(of id: ConversationID, title: String?, topic: String?) throws {
        try execute(
            "UPDATE conversations SET title = \(title), topic = \(topic) WHERE id = \(PostgresCoding.uuid(id))",
            "updating a conversation")
    }

    func nextSeq(of id: ConversationID, at time: Timestamp) throws -> Int64 {
        // The row lock this UPDATE takes is held until commit: concurrent writers of one
        // conversation queue here, so `seq` is gapless and never handed out twice.
        let seq = try fetchOne(
            """
            UPDATE conversations SET last_seq = last_seq + 1,
                last_activity_at = greatest(last_activity_at, \(time.millisecondsSince1970))
            WHERE id = \(PostgresCoding.uuid(id)) RETURNING last_seq
            """, "assigning a seq") { try $0.int64(0) }
        guard let seq else { throw MessagingError(code: .notFound, message: "No conversation has the id \(id).") }
        return seq
    }

    func conversations(of user: UserID, after cursor: ConversationCursor?, limit: Int) throws -> [ConversationSummary] {
        let decode = { (row: Cells) throws -> ConversationSummary in
            ConversationSummary(
                conversation: try Self.conversation(row),
                membership: try Self.member(row, at: Self.conversationColumnCount))
        }
        guard let cursor else {
            return try fetchAll(
                """
                SELECT \(unescaped: Self.conversationColumns), \(unescaped: Self.memberColumns)
                FROM members mb JOIN conversations c ON c.id = mb.conversation_id
                WHERE mb.user_id = \(PostgresCoding.uuid(user))
                ORDER BY c.last_activity_at DESC, c.id DESC LIMIT \(limit)
                """, "listing conversations", decode)
        }
        let time = cursor.lastActivityAt.millisecondsSince1970
        return try fetchAll(
            """
            SELECT \(unescaped: Self.conversationColumns), \(unescaped: Self.memberColumns)
            FROM members mb JOIN conversations c ON c.id = mb.conversation_id
            WHERE mb.user_id = \(PostgresCoding.uuid(user))
              AND (c.last_activity_at, c.id) < (\(time), \(PostgresCoding.uuid(cursor.conversationID)))
            ORDER BY c.last_activity_at DESC, c.id DESC LIMIT \(limit)
            """, "listing conversations", decode)
    }
}

// MARK: - MembershipStore

extension PostgresTransaction {
    static let memberColumns = "mb.conversation_id, mb.user_id, mb.role, mb.joined_at, mb.read_seq, mb.muted_until"

    static func member(_ row: Cells, at start: Int = 0) throws -> Member {
        guard let role = Role(rawValue: try row.string(start + 2)) else { throw PostgresCoding.corrupt("unknown role") }
        return Member(
            conversationID: try row.id(start), userID: try row.id(start + 1), role: role,
            joinedAt: try row.timestamp(start + 3), readSeq: try row.int64(start + 4),
            mutedUntil: try row.optionalTimestamp(start + 5))
    }

    func member(_ user: UserID, in conversation: ConversationID) throws -> Member? {
        try fetchOne(
            """
            SELECT \(unescaped: Self.memberColumns) FROM members mb
            WHERE mb.conversation_id = \(PostgresCoding.uuid(conversation)) AND mb.user_id = \(PostgresCoding.uuid(user))
            """, "reading a membership") { try Self.member($0) }
    }

    func members(of conversation: ConversationID, after user: UserID?, limit: Int) throws -> [Member] {
        let floor = user.map { PostgresCoding.uuid($0) } ?? UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        return try fetchAll(
            """
            SELECT \(unescaped: Self.memberColumns) FROM members mb
            WHERE mb.conversation_id = \(PostgresCoding.uuid(conversation)) AND mb.user_id > \(floor)
            ORDER BY mb.user_id LIMIT \(limit)
            """, "listing members") { try Self.member($0) }
    }

    func memberCount(of conversation: ConversationID, role: Role?) throws -> Int {
        let count = try fetchOne(
            """
            SELECT count(*) FROM members WHERE conversation_id = \(PostgresCoding.uuid(conversation))
              AND (\(role?.rawValue)::text IS NULL OR role = \(role?.rawValue))
            """, "counting members") { try $0.int64(0) }
        return Int(count ?? 0)
    }

    func sharesConversation(_ user: UserID, _ other: UserID) throws -> Bool {
        // Walks `user`'s memberships through members_by_user and probes the primary key
        // (conversation_id, user_id) for `other` in each.
        try fetchOne(
            """
            SELECT EXISTS (
                SELECT 1 FROM members mine
                JOIN members theirs ON theirs.conversation_id = mine.conversation_id AND theirs.user_id = \(PostgresCoding.uuid(other))
                WHERE mine.user_id = \(PostgresCoding.uuid(user)))
            """, "checking shared conversations") { try $0.bool(0) } ?? false
    }

    func insert(_ member: Member) throws {
        try execute(
            """
            INSERT INTO members (conversation_id, user_id, role, joined_at, read_seq, muted_until)
            VALUES (\(PostgresCoding.uuid(member.conversationID)), \(PostgresCoding.uuid(member.userID)),
                \(member.role.rawValue), \(member.joinedAt.millisecondsSince1970), \(member.readSeq),
                \(member.mutedUntil?.millisecondsSince1970))
            """, "inserting a membership")
    }

    func removeMember(_ user: UserID, from conversation: ConversationID) throws {
        try execute(
            """
            DELETE FROM members
            WHERE conversation_id = \(PostgresCoding.uuid(conversation)) AND user_id = \(PostgresCoding.uuid(user))
            """, "removing a membership")
    }

    func setRole(_ role: Role, of user: UserID, in conversation: ConversationID) throws {
        try execute(
            """
            UPDATE members SET role = \(role.rawValue)
            WHERE conversation_id = \(PostgresCoding.uuid(conversation)) AND user_id = \(PostgresCoding.uuid(user))
            """, "changing a role")
    }

    func setReadSeq(_ seq: Int64, of user: UserID, in conversation: ConversationID) throws {
        // greatest() keeps the watermark monotonic even if a caller skips the use case's check.
        try execute(
            """
            UPDATE members SET read_seq = greatest(read_seq, \(seq))
            WHERE conversation_id = \(PostgresCoding.uuid(conversation)) AND user_id = \(PostgresCoding.uuid(user))
            """, "moving a read position")
    }

    func unreadCounts(for user: UserID) throws -> [UnreadCount] {
        try fetchAll(
            """
            SELECT mb.conversation_id, mb.read_seq,
                   (SELECT count(*) FROM messages m
                    WHERE m.conversation_id = mb.conversation_id AND m.seq > mb.read_seq
                      AND m.sender_id <> mb.user_id AND m.deleted_at IS NULL)
            FROM members mb WHERE mb.user_id = \(PostgresCoding.uuid(user)) ORDER BY mb.conversation_id
            """, "counting unread messages"
        ) { row in UnreadCount(conversationID: try row.id(0), count: try row.int(2), readSeq: try row.int64(1)) }
    }
}
