import GRDB
import GRDBSQLite
import Synchronization

/// Read-only connections of the store's own, used on the calling thread when one is idle, so a
/// read costs what SQLite costs, without the two dispatch-queue hops and the task resumption
/// of GRDB's asynchronous `DatabasePool.read`.
///
/// The rule that keeps this safe: **a thread that reads here never waits.**
/// - Taking a connection never blocks: an idle one is popped from a stack, a new one is opened
///   while fewer than `capacity` exist, and otherwise ``withReader(_:)`` returns `nil` and the
///   caller reads through GRDB's asynchronous pool, which suspends the task instead. The
///   same happens when the store's ``CallerThreadLanes`` are all taken, so one cooperative
///   thread always stays free of SQLite.
/// - The connections have no busy timeout: in WAL mode a reader never needs a lock a writer
///   holds, and in the rare cases SQLite answers `SQLITE_BUSY` (another process recovering the
///   WAL index) the read fails at once, and the caller retries it through the pool. Reads are
///   side-effect free, so running one again is harmless.
/// - Each connection is used by one thread at a time: its GRDB queue's `sync` runs inline on
///   the caller's thread, never on another one.
///
/// A read on a cooperative thread therefore takes the CPU time of its statements and nothing
/// else (reading the pages it needs from the OS's cache, or the disk).
///
/// The connections close when the set is deallocated (with its store).
///
/// Thread safety: safe to share across tasks.
final class ReaderConnections: Sendable {
    private struct State {
        var idle: [DatabaseQueue] = []
        var opened = 0
    }

    private let path: String
    private let capacity: Int
    private let lanes: CallerThreadLanes
    private let state = Mutex(State())
    private let servedCount = Atomic<Int>(0)

    /// How many reads ran on these connections (the rest ran on GRDB's pool).
    var served: Int { servedCount.load(ordering: .relaxed) }

    /// Up to `capacity` read-only connections to the database at `path`, opened on first use,
    /// used only while `lanes` has a free lane.
    init(path: String, capacity: Int, lanes: CallerThreadLanes) {
        self.path = path
        self.capacity = max(0, capacity)
        self.lanes = lanes
    }

    /// Runs `body` in a deferred read transaction on an idle connection of this set, on the
    /// calling thread; `nil` when every connection is in use (or none could be opened), and
    /// the caller reads elsewhere. Throws what `body` or SQLite throws, `SQLITE_BUSY` included.
    func withReader<Result>(_ body: (Database) throws -> Result) throws -> Result? {
        guard capacity > 0, lanes.tryEnter() else { return nil }
        defer { lanes.leave() }
        guard let connection = take() else { return nil }
        defer { give(connection) }
        servedCount.add(1, ordering: .relaxed)
        return try connection.inDatabase { db in
            try Self.execute(db, "BEGIN DEFERRED")
            do {
                let result = try body(db)
                try Self.execute(db, "COMMIT")
                return result
            } catch {
                // A read transaction has nothing to undo; ROLLBACK only ends it (and cannot
                // fail in a way that matters once it has).
                if sqlite3_get_autocommit(db.sqliteConnection) == 0 { try? Self.execute(db, "ROLLBACK") }
                throw error
            }
        }
    }

    /// Runs a transaction-control statement prepared once per connection (no parse per read).
    private static func execute(_ db: Database, _ sql: String) throws {
        let statement = try db.cachedStatement(sql: sql).sqliteStatement
        sqlite3_reset(statement)
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard code == SQLITE_DONE else {
            let message = db.sqliteConnection.map { String(cString: sqlite3_errmsg($0)) }
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
    }

    private func take() -> DatabaseQueue? {
        enum Taken { case idle(DatabaseQueue), open, none }
        let taken: Taken = state.withLock { state in
            if let connection = state.idle.popLast() { return .idle(connection) }
            guard state.opened < capacity else { return .none }
            state.opened += 1
            return .open
        }
        switch taken {
        case .idle(let connection):
            return connection
        case .none:
            return nil
        case .open:
            do {
                var configuration = Configuration()
                configuration.readonly = true
                configuration.label = "swift-messaging.reader"
                // No busy timeout: a reader that would wait fails at once (see the type's doc).
                configuration.busyMode = .immediateError
                return try DatabaseQueue(path: path, configuration: configuration)
            } catch {
                state.withLock { $0.opened -= 1 }
                return nil
            }
        }
    }

    private func give(_ connection: DatabaseQueue) {
        state.withLock { $0.idle.append(connection) }
    }
}
