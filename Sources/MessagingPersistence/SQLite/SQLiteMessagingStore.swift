import Foundation
import GRDB
import Logging
import MessagingCore

/// The SQLite implementation of `MessagingCore.MessagingStore`: one database file in WAL
/// mode, one writer and concurrent readers, versioned migrations, FTS5 search.
///
/// Opening never recreates or overwrites a file: a file that is not an SQLite database
/// fails with `corruptDatabase`, one written by a newer schema with `incompatibleSchema`.
///
/// Thread safety: safe to share across tasks; writes are serialized (concurrent commits share
/// one transaction, see ``commit(_:)``), reads run concurrently.
public final class SQLiteMessagingStore: MessagingStore {
    /// The database file.
    public let path: String
    let pool: DatabasePool
    /// Read-only connections used on the caller's thread when one is idle (``read(_:)``).
    let readers: ReaderConnections
    private let logger: Logger
    private let committer: GroupCommitter
    /// Operations on callers' threads at once (reads and commits): at most cores − 1.
    let lanes: CallerThreadLanes
    /// Whether an inline read yields its thread afterwards: when the lanes may take every
    /// cooperative thread (one per core).
    private let yieldsAfterInlineRead: Bool

    /// Opens (creating when absent) the database at `path` and migrates it to the current schema.
    public init(
        path: String, configuration: SQLiteConfiguration = .init(),
        logger: Logger = Logger(label: "swift-messaging.sqlite")
    ) throws {
        self.path = path
        self.logger = logger
        lanes = CallerThreadLanes(limit: configuration.maximumCallerThreadOperations)
        yieldsAfterInlineRead = lanes.limit >= ProcessInfo.processInfo.activeProcessorCount
        committer = GroupCommitter(
            busyTimeout: configuration.busyTimeout, commitsInline: configuration.commitsOnCallerThread, lanes: lanes)
        try Self.checkHeader(path: path, createParent: configuration.createsParentDirectory)
        var grdb = Configuration()
        grdb.busyMode = .timeout(TimeInterval(configuration.busyTimeout.components.seconds)
            + TimeInterval(configuration.busyTimeout.components.attoseconds) / 1e18)
        grdb.maximumReaderCount = max(1, configuration.maximumReaderCount)
        grdb.label = "swift-messaging"
        let synchronous = configuration.synchronous.rawValue
        grdb.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: grdb)
            try pool.read { db in
                let applied = try SQLiteSchema.migrator.appliedIdentifiers(db)
                let unknown = applied.subtracting(SQLiteSchema.knownMigrations)
                guard unknown.isEmpty else {
                    throw MessagingError(
                        code: .incompatibleSchema,
                        message: "The database at \(path) was written by a newer version of swift-messaging (unknown migrations: \(unknown.sorted().joined(separator: ", "))). Upgrade the library; the file was not changed.")
                }
            }
            try SQLiteSchema.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw SQLiteErrors.map(error, path: path)
        }
        readers = ReaderConnections(
            path: path, capacity: configuration.readsOnCallerThread ? configuration.maximumReaderCount : 0, lanes: lanes)
        logger.debug("opened SQLite store", metadata: ["path": "\(path)"])
    }

    /// Runs `body` in a read transaction.
    ///
    /// By default (``SQLiteConfiguration/readsOnCallerThread``) the read runs on the calling
    /// thread, on one of the store's own read-only connections, when one is idle and fewer
    /// than ``SQLiteConfiguration/maximumCallerThreadOperations`` store operations run on
    /// callers' threads: it costs what its statements cost, and never waits for a lock (see
    /// `ReaderConnections`). Otherwise, or when SQLite would have the read wait, it runs on
    /// GRDB's pool, on a reader's own queue, while the calling task is suspended. (Reading through GRDB's synchronous pool read on
    /// cooperative threads was tried and reverted: it waits for a reader of the pool and for
    /// busy locks, and stalled parallel test runs for up to 16 s.)
    public func read<Result: Sendable>(
        _ body: @Sendable (any MessagingTransaction) throws -> Result
    ) async throws -> Result {
        try await readDatabase { db in try body(SQLiteTransaction(db: db)) }
    }

    /// Runs `body` in a write transaction and returns its value with the events it appended.
    ///
    /// Group commit: commits that arrive while another is running are collected and run
    /// together in one transaction, each `body` inside its own `SAVEPOINT`, so one that throws
    /// rolls back only its own changes and fails alone. Every caller returns only after the
    /// transaction holding its changes committed, with its own value and its own events. A
    /// commit that finds the writer idle runs at once.
    public func commit<Result: Sendable>(
        _ body: @Sendable (any MessagingTransaction) throws -> Result
    ) async throws -> Committed<Result> {
        do {
            return try await withoutActuallyEscaping(body) { body in
                let request = TypedGroupCommitRequest<Result>(body)
                await committer.submit(request, pool: pool)
                return try request.take()
            }
        } catch let error as DatabaseError {
            throw SQLiteErrors.map(error, path: path)
        }
    }

    /// How many commits ran in how many transactions since the store opened.
    var groupCommitStatistics: GroupCommitter.Statistics { committer.statistics }

    /// Runs `body` in a write transaction (shared with concurrent commits, inside its own
    /// savepoint, as ``commit(_:)`` does), mapping engine errors. Every write of this database
    /// goes through here or ``commit(_:)``.
    func writeImmediate<Result: Sendable>(_ body: @Sendable (Database) throws -> Result) async throws -> Result {
        do {
            return try await withoutActuallyEscaping(body) { body in
                let request = DatabaseGroupCommitRequest<Result>(body)
                await committer.submit(request, pool: pool)
                return try request.take()
            }
        } catch let error as DatabaseError {
            throw SQLiteErrors.map(error, path: path)
        }
    }

    /// Runs `body` in a read transaction, as ``read(_:)`` does, mapping engine errors.
    func readDatabase<Result: Sendable>(_ body: @Sendable (Database) throws -> Result) async throws -> Result {
        do {
            do {
                if let result = try readers.withReader(body) {
                    // The read never suspended. A task reading in a loop (a backlog, a poll)
                    // then keeps its cooperative thread for as long as the loop lasts; with
                    // two threads and no lanes, two such loops stalled a parallel test run
                    // for 16 s. The lanes leave one thread free of SQLite, so only when they
                    // may take every thread does the read give its thread to the others, as
                    // the suspension of an asynchronous read did.
                    if yieldsAfterInlineRead { await Task.yield() }
                    return result
                }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                // SQLite would have had this thread wait: read through the pool instead.
            }
            return try await withoutActuallyEscaping(body) { body in try await pool.read { db in try body(db) } }
        } catch let error as DatabaseError {
            throw SQLiteErrors.map(error, path: path)
        }
    }

    /// Runs SQLite's `PRAGMA integrity_check` and returns its findings; empty means the file is sound.
    public func integrityCheck() async throws -> [String] {
        do {
            let rows = try await pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
            return rows == ["ok"] ? [] : rows
        } catch let error as DatabaseError {
            throw SQLiteErrors.map(error, path: path)
        }
    }

    /// Deletes up to `batchSize` idempotency records that expired before `now`; returns how many.
    public func deleteExpiredRecords(before now: Timestamp, batchSize: Int = 500) async throws -> Int {
        try await writeImmediate { db in
            try db.execute(
                sql: """
                    DELETE FROM idempotency_keys WHERE (scope, key) IN (
                        SELECT scope, key FROM idempotency_keys WHERE expires_at <= ? LIMIT ?)
                    """,
                arguments: [now.millisecondsSince1970, batchSize])
            return db.changesCount
        }
    }

    /// Checks that an existing file starts with the SQLite header before any engine call touches it.
    private static func checkHeader(path: String, createParent: Bool) throws {
        let url = URL(fileURLWithPath: path)
        let manager = FileManager.default
        if createParent {
            try? manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        }
        guard manager.fileExists(atPath: path) else { return }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw MessagingError(
                code: .storage, message: "Cannot read the database file at \(path); check its permissions.")
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        guard header.isEmpty || header == Data("SQLite format 3\0".utf8) else {
            throw MessagingError(
                code: .corruptDatabase,
                message: "The file at \(path) is not an SQLite database. It was left untouched; restore it from a backup or point the store at another path.")
        }
    }
}

/// Maps engine errors to ``MessagingError``; statement arguments never appear in messages.
enum SQLiteErrors {
    static func map(_ error: DatabaseError, path: String) -> MessagingError {
        switch error.resultCode {
        case .SQLITE_CONSTRAINT:
            MessagingError(code: .conflict, message: "A row with the same unique key already exists.", cause: error)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            MessagingError(
                code: .corruptDatabase,
                message: "The database at \(path) is damaged (\(error.resultCode)). It was left untouched; run an integrity check and restore from a backup.",
                cause: error)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            MessagingError(
                code: .storage,
                message: "The database at \(path) stayed locked by another connection past the busy timeout; retry, or raise the timeout.",
                cause: error)
        case .SQLITE_FULL:
            MessagingError(code: .storage, message: "The disk holding \(path) is full; free space and retry.", cause: error)
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM:
            MessagingError(
                code: .storage, message: "Cannot open or write the database at \(path); check the path and its permissions.",
                cause: error)
        default:
            MessagingError(code: .storage, message: "The SQLite engine failed (\(error.resultCode)); retry or check the logs.", cause: error)
        }
    }
}
