import Foundation
import GRDB
import GRDBSQLite
import MessagingCore

/// `SQLITE_TRANSIENT`, which Swift does not import: SQLite copies the bound bytes.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One of the hot paths' prepared statements (send, history page, events since), driven
/// through the SQLite C API: arguments are bound one by one without `StatementArguments`
/// (an array of existentials) or a `Data` per id, and rows are decoded straight from the
/// statement's columns without an intermediate `Row`.
///
/// The statement comes from GRDB's per-connection cache (prepared once per connection) and is
/// reset with its bindings cleared when taken, so an unbound parameter is NULL. Statements
/// that never commit or roll back (plain `SELECT`/`INSERT`/`UPDATE` inside a transaction
/// GRDB opened) are the only ones run this way; nothing in this module observes
/// transactions through GRDB.
///
/// Thread safety: not thread-safe; valid only inside the transaction closure it was made in.
struct HotStatement {
    let handle: OpaquePointer
    private let db: Database

    init(_ db: Database, _ sql: String) throws {
        let statement = try db.cachedStatement(sql: sql)
        handle = statement.sqliteStatement
        self.db = db
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    // MARK: Binding (1-based indices, as in SQL)

    func bind(_ index: Int32, _ id: UUIDv7) {
        withUnsafeBytes(of: (id.high.bigEndian, id.low.bigEndian)) { bytes in
            _ = sqlite3_bind_blob(handle, index, bytes.baseAddress, 16, transient)
        }
    }

    func bind<Kind>(_ index: Int32, _ id: Identifier<Kind>) { bind(index, id.uuid) }

    func bind<Kind>(_ index: Int32, _ id: Identifier<Kind>?) {
        if let id { bind(index, id.uuid) }
    }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) }
    }

    func bind(_ index: Int32, _ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            guard let base = utf8.baseAddress, !utf8.isEmpty else {
                _ = sqlite3_bind_text(handle, index, "", 0, transient)
                return
            }
            _ = base.withMemoryRebound(to: CChar.self, capacity: utf8.count) { chars in
                sqlite3_bind_text(handle, index, chars, Int32(utf8.count), transient)
            }
        }
    }

    func bind(_ index: Int32, _ text: String?) {
        if let text { bind(index, text) }
    }

    func bind(_ index: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            _ = sqlite3_bind_blob(handle, index, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(buffer.count), transient)
        }
    }

    /// Binds `ids` as one blob of 16 bytes each (the `mentions` column), or leaves NULL when empty.
    func bind(_ index: Int32, ids: [UserID]) {
        guard !ids.isEmpty else { return }
        withUnsafeTemporaryAllocation(byteCount: ids.count * 16, alignment: 8) { buffer in
            for (offset, id) in ids.enumerated() {
                buffer.storeBytes(of: id.uuid.high.bigEndian, toByteOffset: offset * 16, as: UInt64.self)
                buffer.storeBytes(of: id.uuid.low.bigEndian, toByteOffset: offset * 16 + 8, as: UInt64.self)
            }
            _ = sqlite3_bind_blob(handle, index, buffer.baseAddress, Int32(buffer.count), transient)
        }
    }

    // MARK: Running

    /// Steps once: `true` when a row is available.
    func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code: throw failure(code)
        }
    }

    /// Runs a statement that returns no rows (or whose rows are ignored) to completion.
    func execute() throws {
        while try step() {}
        sqlite3_reset(handle)
    }

    /// Ends the use of the statement (releases its read lock on the page it was on).
    func reset() { sqlite3_reset(handle) }

    private func failure(_ code: Int32) -> DatabaseError {
        sqlite3_reset(handle)
        let message = db.sqliteConnection.map { String(cString: sqlite3_errmsg($0)) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: String(cString: sqlite3_sql(handle)))
    }

    // MARK: Columns (0-based indices, as in the C API)

    func isNull(_ index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

    func int64(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    func optionalInt64(_ index: Int32) -> Int64? { isNull(index) ? nil : int64(index) }

    func timestamp(_ index: Int32) -> Timestamp { Timestamp(millisecondsSince1970: int64(index)) }

    func optionalTimestamp(_ index: Int32) -> Timestamp? { isNull(index) ? nil : timestamp(index) }

    /// The column's bytes (text or blob) without copying them; valid until the next step.
    func bytes(_ index: Int32) -> UnsafeRawBufferPointer {
        // sqlite3_column_blob before sqlite3_column_bytes, as SQLite documents.
        guard let base = sqlite3_column_blob(handle, index) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base, count: Int(sqlite3_column_bytes(handle, index)))
    }

    func text(_ index: Int32) -> String {
        guard let base = sqlite3_column_text(handle, index) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self)
    }

    func optionalText(_ index: Int32) -> String? { isNull(index) ? nil : text(index) }

    /// Whether the text column holds exactly `ascii` (compared in place, no `String` made).
    func textEquals(_ index: Int32, _ ascii: StaticString) -> Bool {
        let column = bytes(index)
        guard column.count == ascii.utf8CodeUnitCount else { return false }
        guard let base = column.baseAddress else { return column.count == 0 }
        return memcmp(base, ascii.utf8Start, column.count) == 0
    }

    func uuid(_ index: Int32) throws -> UUIDv7 {
        guard let value = UUIDv7(bigEndianBytes: bytes(index)) else {
            throw RowCoding.corrupt("an id column holds a value that is not a 16-byte UUIDv7")
        }
        return value
    }

    func id<Kind>(_ index: Int32) throws -> Identifier<Kind> { Identifier(try uuid(index)) }

    func optionalID<Kind>(_ index: Int32) throws -> Identifier<Kind>? { isNull(index) ? nil : try id(index) }

    func userIDs(_ index: Int32) throws -> [UserID] {
        let column = bytes(index)
        guard column.count % 16 == 0 else { throw RowCoding.corrupt("a mentions column is not a list of 16-byte ids") }
        return try stride(from: 0, to: column.count, by: 16).map { offset in
            guard let uuid = UUIDv7(bigEndianBytes: UnsafeRawBufferPointer(rebasing: column[offset..<offset + 16])) else {
                throw RowCoding.corrupt("a mentions column holds an invalid id")
            }
            return UserID(uuid)
        }
    }

    // MARK: Domain rows

    /// Reads a message from the columns ``RowCoding/messageColumns``, starting at `start`.
    func message(at start: Int32 = 0) throws -> Message {
        let kind: MessageKind
        if textEquals(start + 5, "text") {
            kind = .text
        } else if textEquals(start + 5, "encrypted") {
            kind = .encrypted
        } else if textEquals(start + 5, "system") {
            kind = .system
        } else {
            throw RowCoding.corrupt("unknown message kind")
        }
        let deletedAt = optionalTimestamp(start + 13)
        var body: MessageBody?
        if deletedAt == nil {
            switch kind {
            case .encrypted: body = .ciphertext(Data(bytes(start + 6)))
            case .text, .system: body = .text(text(start + 6))
            }
        }
        var attachments: [AttachmentReference] = []
        if !isNull(start + 10) {
            attachments = try JSONDecoder().decode([AttachmentReference].self, from: Data(bytes(start + 10)))
        }
        var encryption: EncryptionHeader?
        if let epoch = optionalInt64(start + 15) {
            guard epoch >= 1, let device: DeviceID = try optionalID(start + 16) else {
                throw RowCoding.corrupt("an encrypted message has an invalid epoch or sender device")
            }
            encryption = EncryptionHeader(epoch: UInt64(epoch), senderDeviceID: device)
        }
        return Message(
            id: try id(start), conversationID: try id(start + 1), senderID: try id(start + 3), seq: int64(start + 2),
            clientMessageID: ClientMessageID(_trusted: text(start + 4)), kind: kind, body: body,
            replyToID: try optionalID(start + 7), threadRootID: try optionalID(start + 8),
            mentions: isNull(start + 9) ? [] : try userIDs(start + 9), attachments: attachments,
            createdAt: timestamp(start + 11), editedAt: optionalTimestamp(start + 12), deletedAt: deletedAt,
            contentDigest: UInt64(bitPattern: int64(start + 14)), encryption: encryption)
    }

    /// Reads every remaining row as a message, then resets the statement.
    func messages() throws -> [Message] {
        defer { reset() }
        var result: [Message] = []
        while try step() { result.append(try message()) }
        return result
    }

    /// Reads a member from the columns ``RowCoding/memberColumns``.
    func member(at start: Int32 = 0) throws -> Member {
        let role: Role
        if textEquals(start + 2, "member") {
            role = .member
        } else if let parsed = Role(rawValue: text(start + 2)) {
            role = parsed
        } else {
            throw RowCoding.corrupt("unknown role")
        }
        return Member(
            conversationID: try id(start), userID: try id(start + 1), role: role,
            joinedAt: timestamp(start + 3), readSeq: int64(start + 4),
            mutedUntil: isNull(start + 5) ? nil : timestamp(start + 5))
    }

    /// Reads a conversation from the columns ``RowCoding/conversationColumns``.
    func conversation(at start: Int32 = 0) throws -> Conversation {
        guard let kind = ConversationKind(rawValue: text(start + 1)) else { throw RowCoding.corrupt("unknown conversation kind") }
        return Conversation(
            id: try id(start), kind: kind, title: optionalText(start + 2), topic: optionalText(start + 3),
            creatorID: try id(start + 4), createdAt: timestamp(start + 5), lastSeq: int64(start + 6),
            lastActivityAt: timestamp(start + 7), isEncrypted: int64(start + 8) != 0,
            slowModeSeconds: Int(int64(start + 9)))
    }
}
