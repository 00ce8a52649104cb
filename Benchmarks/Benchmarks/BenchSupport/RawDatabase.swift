import Foundation
import GRDBSQLite
import MessagingCore

/// `SQLITE_TRANSIENT`, which Swift does not import: SQLite copies the bound bytes.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A failed raw SQLite call; benchmarks stop on it.
public struct RawSQLiteError: Error, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public var description: String { "SQLite error \(code): \(message)" }

    public init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }
}

/// One raw `sqlite3*` connection: the baseline every "ours" benchmark is compared with.
///
/// Thread safety: not thread-safe. `@unchecked Sendable` only so a benchmark's setup can hand
/// it to the benchmark closure; the benchmark runner uses it from one task at a time.
public final class RawDatabase: @unchecked Sendable {
    let handle: OpaquePointer

    /// Opens `path` read-write (creating it when `create`), with a 5 s busy timeout like our store.
    public init(path: String, create: Bool = false) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw RawSQLiteError(code: rc, message: "\(message) (\(path))")
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { sqlite3_close_v2(handle) }

    /// Runs one or more statements without results.
    public func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "exec failed"
            sqlite3_free(error)
            throw RawSQLiteError(code: rc, message: message)
        }
    }

    /// Prepares a statement to reuse (reset/bind/step), as a cached statement would be.
    public func prepare(_ sql: String) throws -> RawStatement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw lastError(rc) }
        return RawStatement(statement, database: self)
    }

    /// The `rowid` of the last insert on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    func lastError(_ rc: Int32) -> RawSQLiteError {
        RawSQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)))
    }
}

/// A prepared statement. Bind indexes start at 1, column indexes at 0, as in SQLite.
///
/// Thread safety: not thread-safe (see ``RawDatabase``).
public final class RawStatement: @unchecked Sendable {
    let handle: OpaquePointer
    let database: RawDatabase

    init(_ handle: OpaquePointer, database: RawDatabase) {
        self.handle = handle
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    /// Resets the statement and clears its bindings before a new run.
    @inline(__always) public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    @inline(__always) public func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    @inline(__always) public func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    @inline(__always) public func bind(_ index: Int32, _ value: String?) {
        guard var text = value else { sqlite3_bind_null(handle, index); return }
        text.withUTF8 { buffer in
            _ = sqlite3_bind_text(handle, index, buffer.baseAddress, Int32(buffer.count), sqliteTransient)
        }
    }

    /// Binds a 16-byte big-endian id, the way our store keeps every id.
    @inline(__always) public func bind(_ index: Int32, _ value: UUIDv7) {
        withUnsafeBytes(of: (value.high.bigEndian, value.low.bigEndian)) { buffer in
            _ = sqlite3_bind_blob(handle, index, buffer.baseAddress, 16, sqliteTransient)
        }
    }

    @inline(__always) public func bind(_ index: Int32, _ value: UUIDv7?) {
        if let value { bind(index, value) } else { sqlite3_bind_null(handle, index) }
    }

    @inline(__always) public func bind(_ index: Int32, _ value: Data?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        value.withUnsafeBytes { buffer in
            _ = sqlite3_bind_blob(handle, index, buffer.baseAddress, Int32(buffer.count), sqliteTransient)
        }
    }

    /// Steps once; `true` when a row is available.
    @inline(__always) public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw database.lastError(rc)
    }

    /// Steps until done (statements without rows).
    @inline(__always) public func run() throws {
        while try step() {}
    }

    @inline(__always) public func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    @inline(__always) public func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    @inline(__always) public func optionalInt64(_ column: Int32) -> Int64? {
        isNull(column) ? nil : sqlite3_column_int64(handle, column)
    }

    /// A text column copied into a Swift `String`.
    @inline(__always) public func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    @inline(__always) public func optionalString(_ column: Int32) -> String? {
        isNull(column) ? nil : string(column)
    }

    /// A blob column copied into `Data`.
    @inline(__always) public func data(_ column: Int32) -> Data {
        guard let bytes = sqlite3_column_blob(handle, column) else { return Data() }
        return Data(bytes: bytes, count: Int(sqlite3_column_bytes(handle, column)))
    }

    @inline(__always) public func optionalData(_ column: Int32) -> Data? {
        isNull(column) ? nil : data(column)
    }

    /// A 16-byte big-endian id column read into a `UUIDv7` (no allocation, validated like our decoder does).
    @inline(__always) public func uuid(_ column: Int32) throws -> UUIDv7 {
        guard let bytes = sqlite3_column_blob(handle, column), sqlite3_column_bytes(handle, column) == 16,
              let uuid = UUIDv7(
                high: UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)),
                low: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        else {
            throw RawSQLiteError(code: SQLITE_MISMATCH, message: "column \(column) is not a 16-byte UUIDv7")
        }
        return uuid
    }

    @inline(__always) public func optionalUUID(_ column: Int32) throws -> UUIDv7? {
        isNull(column) ? nil : try uuid(column)
    }
}
