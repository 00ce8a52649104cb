import Foundation
import MessagingCore

/// A `messages` row copied into Swift values by the raw baseline: the same columns, read
/// in the same way as `RowCoding.message(from:)` reads them (ids as validated UUIDv7s, the
/// body as `String` or `Data` by kind and only when not deleted, text columns as `String`,
/// blobs as `Data`, integers as `Int64`), but without the domain types' validation
/// (`ClientMessageID`, `MessageKind`) and without decoding the attachments JSON.
public struct RawMessageRow: Sendable {
    public var id: UUIDv7
    public var conversationID: UUIDv7
    public var seq: Int64
    public var senderID: UUIDv7
    public var clientMessageID: String
    public var kind: String
    public var textBody: String?
    public var ciphertextBody: Data?
    public var replyToID: UUIDv7?
    public var threadRootID: UUIDv7?
    public var mentions: Data?
    public var attachments: String?
    public var createdAt: Int64
    public var editedAt: Int64?
    public var deletedAt: Int64?
    public var contentDigest: Int64

    /// Reads the current row of `statement`, whose columns are ``StoreSQL/messageColumns``.
    @inline(__always)
    public init(_ statement: RawStatement) throws {
        kind = statement.string(5)
        deletedAt = statement.optionalInt64(13)
        if deletedAt == nil {
            if kind == "encrypted" { ciphertextBody = statement.data(6) } else { textBody = statement.string(6) }
        }
        attachments = statement.optionalString(10)
        id = try statement.uuid(0)
        conversationID = try statement.uuid(1)
        senderID = try statement.uuid(3)
        seq = statement.int64(2)
        clientMessageID = statement.string(4)
        replyToID = try statement.optionalUUID(7)
        threadRootID = try statement.optionalUUID(8)
        mentions = statement.optionalData(9)
        createdAt = statement.int64(11)
        editedAt = statement.optionalInt64(12)
        contentDigest = statement.int64(14)
    }
}

/// A `members` row (``StoreSQL/memberColumns``) copied into Swift values.
public struct RawMemberRow: Sendable {
    public var conversationID: UUIDv7
    public var userID: UUIDv7
    public var role: String
    public var joinedAt: Int64
    public var readSeq: Int64

    @inline(__always)
    public init(_ statement: RawStatement) throws {
        role = statement.string(2)
        conversationID = try statement.uuid(0)
        userID = try statement.uuid(1)
        joinedAt = statement.int64(3)
        readSeq = statement.int64(4)
    }
}

/// A `conversations` row (``StoreSQL/conversationColumns``) copied into Swift values.
public struct RawConversationRow: Sendable {
    public var id: UUIDv7
    public var kind: String
    public var title: String?
    public var topic: String?
    public var creatorID: UUIDv7
    public var createdAt: Int64
    public var lastSeq: Int64
    public var lastActivityAt: Int64

    @inline(__always)
    public init(_ statement: RawStatement) throws {
        kind = statement.string(1)
        id = try statement.uuid(0)
        title = statement.optionalString(2)
        topic = statement.optionalString(3)
        creatorID = try statement.uuid(4)
        createdAt = statement.int64(5)
        lastSeq = statement.int64(6)
        lastActivityAt = statement.int64(7)
    }
}

/// Raw C reads of a history page, each statement prepared once.
///
/// Thread safety: not thread-safe (see ``RawDatabase``).
public final class RawPageReader: @unchecked Sendable {
    let database: RawDatabase
    let page: RawStatement
    let offsetPage: RawStatement
    let member: RawStatement
    let begin: RawStatement
    let commit: RawStatement

    public init(database: RawDatabase) throws {
        self.database = database
        page = try database.prepare(StoreSQL.pageBefore)
        offsetPage = try database.prepare(StoreSQL.pageOffset)
        member = try database.prepare(StoreSQL.member)
        begin = try database.prepare("BEGIN DEFERRED TRANSACTION")
        commit = try database.prepare("COMMIT TRANSACTION")
    }

    /// `BEGIN DEFERRED; COMMIT` with nothing in between: the fixed cost of a read transaction.
    public func emptyTransaction() throws {
        begin.reset()
        try begin.run()
        commit.reset()
        try commit.run()
    }

    /// `seq < before ORDER BY seq DESC LIMIT limit`, in autocommit (one statement, one snapshot).
    public func page(in conversationID: UUIDv7, before: Int64, limit: Int) throws -> [RawMessageRow] {
        page.reset()
        page.bind(1, conversationID)
        page.bind(2, before)
        page.bind(3, Int64(limit))
        var rows: [RawMessageRow] = []
        while try page.step() { rows.append(try RawMessageRow(page)) }
        page.reset()
        return rows
    }

    /// The same page by `LIMIT limit OFFSET offset`.
    public func page(in conversationID: UUIDv7, offset: Int, limit: Int) throws -> [RawMessageRow] {
        offsetPage.reset()
        offsetPage.bind(1, conversationID)
        offsetPage.bind(2, Int64(limit))
        offsetPage.bind(3, Int64(offset))
        var rows: [RawMessageRow] = []
        while try offsetPage.step() { rows.append(try RawMessageRow(offsetPage)) }
        offsetPage.reset()
        return rows
    }

    /// What `messages.history(of:for:_:)` does backward, in one read transaction: the
    /// caller's `members` row (the membership guard), then `limit + 1` messages to learn `hasMore`.
    public func history(
        of conversationID: UUIDv7, for user: UUIDv7, before: Int64, limit: Int
    ) throws -> RawHistoryPage {
        begin.reset()
        try begin.run()
        do {
            member.reset()
            member.bind(1, conversationID)
            member.bind(2, user)
            guard try member.step() else { throw RawSQLiteError(code: 0, message: "not a member") }
            let membership = try RawMemberRow(member)
            member.reset()
            var rows = try page(in: conversationID, before: before, limit: limit + 1)
            let hasMore = rows.count > limit
            if hasMore { rows.removeLast() }
            commit.reset()
            try commit.run()
            return RawHistoryPage(member: membership, rows: rows, hasMore: hasMore)
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }
}

/// The result of ``RawPageReader/history(of:for:before:limit:)``; the member row is kept so
/// nothing read can be optimized away.
public struct RawHistoryPage: Sendable {
    public var member: RawMemberRow
    public var rows: [RawMessageRow]
    public var hasMore: Bool
}
