import GRDB
import GRDBSQLite
import MessagingCore
import Synchronization

/// Group commit for ``SQLiteMessagingStore/commit(_:)``: commits that arrive while the writer
/// is busy wait in a queue; the next writer takes them all and runs them in **one** SQLite
/// transaction, each caller's closure inside its own `SAVEPOINT`.
///
/// - A closure that throws rolls back to its savepoint: its changes (rows, `seq` increments,
///   jobs, events) vanish and it fails alone; its batch companions are unaffected.
/// - Every caller is answered only after the shared `COMMIT` succeeded (or with the error
///   that made the transaction fail).
/// - A commit that finds the writer idle runs at once, alone, in a plain
///   `BEGIN IMMEDIATE … COMMIT`: no added latency without concurrency.
/// - Every write of the store goes through here (the job queue, auth and maintenance writes
///   too), so the committer knows when GRDB's writer connection is idle.
/// - By default a batch runs on GRDB's writer queue while its leader is suspended (one hop
///   per batch). With ``SQLiteConfiguration/commitsOnCallerThread`` it runs on the leader's
///   own thread when the write lock is free at once (`BEGIN IMMEDIATE` without a busy
///   timeout; another process holding the lock sends the batch to the writer's queue): no
///   hop, but a `COMMIT` that checkpoints the WAL (an `fsync`) blocks that thread. Only on
///   a free ``CallerThreadLanes`` lane (shared with the store's readers), so one cooperative
///   thread always stays free of SQLite.
///
/// There is no background task: the caller that finds the writer idle becomes the *leader*;
/// when its batch is answered it hands the leadership to the oldest waiting caller, which
/// takes everything queued by then as the next batch.
///
/// Thread safety: safe to share across tasks; the state is behind a `Mutex`.
final class GroupCommitter: Sendable {
    /// How many commits ran and in how many transactions (for tests and benchmarks).
    struct Statistics: Equatable, Sendable {
        var commits = 0
        var transactions = 0
        var largestBatch = 0
    }

    private struct State {
        var writing = false
        var pending: [GroupCommitRequest] = []
        var statistics = Statistics()
    }

    /// The most commits one transaction takes; the rest wait for the next one.
    let maximumBatch: Int
    /// The writer connection's busy timeout, restored after an inline `BEGIN IMMEDIATE`.
    private let busyTimeoutMilliseconds: Int32
    private let state = Mutex(State())

    /// Whether a leader runs its batch on its own thread when the write lock is free
    /// (``SQLiteConfiguration/commitsOnCallerThread``).
    private let commitsInline: Bool
    /// Shared with the store's readers: a batch runs inline only on a free lane.
    private let lanes: CallerThreadLanes

    init(
        maximumBatch: Int = 256, busyTimeout: Duration = .seconds(5), commitsInline: Bool = false,
        lanes: CallerThreadLanes = CallerThreadLanes(limit: CallerThreadLanes.defaultLimit)
    ) {
        self.maximumBatch = max(1, maximumBatch)
        self.commitsInline = commitsInline
        self.lanes = lanes
        let milliseconds = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        busyTimeoutMilliseconds = Int32(clamping: max(0, milliseconds))
    }

    var statistics: Statistics { state.withLock { $0.statistics } }

    /// Runs `request` (alone or with others) and returns once its transaction has ended;
    /// the outcome is in `request`.
    func submit(_ request: GroupCommitRequest, pool: DatabasePool) async {
        let leadsNow = state.withLock { state in
            if state.writing { return false }
            state.writing = true
            return true
        }
        if !leadsNow {
            let role = await withCheckedContinuation { (continuation: CheckedContinuation<RoleToken, Never>) in
                let leads = state.withLock { state in
                    if state.writing {
                        request.continuation = continuation
                        state.pending.append(request)
                        return false
                    }
                    state.writing = true
                    return true
                }
                if leads { continuation.resume(returning: .lead) }
            }
            if role == .answered { return }
        }
        await lead(first: request, pool: pool)
    }

    /// What a waiting caller is resumed with: lead the next batch, or find its outcome.
    enum RoleToken { case lead, answered }

    /// Runs one batch that starts with `first`, answers it, then hands the writer on.
    private func lead(first: GroupCommitRequest, pool: DatabasePool) async {
        // Inline: let the tasks that are ready to run submit their commits first. The batch
        // runs on this thread, and without this the other senders of a burst would not even
        // have started (batches of one or two). Without concurrency it costs one trip through
        // the executor's queue (~11 µs), with nobody else in it. (On the writer's queue the
        // leader suspends anyway, and the others queue meanwhile.)
        if commitsInline { await Task.yield() }
        var batch = [first]
        state.withLock { state in
            let taken = min(state.pending.count, maximumBatch - 1)
            batch.append(contentsOf: state.pending.prefix(taken))
            state.pending.removeFirst(taken)
        }
        // On the writer's queue, where no cooperative thread waits for the lock or for an
        // fsync; inline only when configured and the lock is free at once (see the type's
        // doc). Either way not cancellable: the batch holds other tasks' commits, and a
        // cancelled leader must not fail them.
        let taken = batch
        let committed: Bool
        if commitsInline, let inline = runInlineOnFreeLane(taken, pool: pool) {
            committed = inline
        } else {
            committed = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                pool.asyncWriteWithoutTransaction { db in continuation.resume(returning: Self.run(taken, in: db)) }
            }
        }
        // The batch is durable (WAL) and nobody has been answered yet.
        if committed { failpoint(.cp9) }
        let next: GroupCommitRequest? = state.withLock { state in
            state.statistics.commits += batch.count
            state.statistics.transactions += 1
            state.statistics.largestBatch = max(state.statistics.largestBatch, batch.count)
            guard !state.pending.isEmpty else {
                state.writing = false
                return nil
            }
            return state.pending.removeFirst()
        }
        for request in batch.dropFirst() { request.resume(.answered) }
        next?.resume(.lead)
    }

    /// ``runInline(_:pool:busyTimeout:)`` while a lane is free; `nil` when none is.
    private func runInlineOnFreeLane(_ batch: [GroupCommitRequest], pool: DatabasePool) -> Bool? {
        guard lanes.tryEnter() else { return nil }
        defer { lanes.leave() }
        return Self.runInline(batch, pool: pool, busyTimeout: busyTimeoutMilliseconds)
    }

    /// Runs `batch` on the calling thread when the write lock can be taken without waiting;
    /// `nil` (nothing run, nothing failed) when it cannot. Only the leader calls this, and
    /// every write of the store is a batch, so GRDB's writer queue is idle and its `sync`
    /// runs inline.
    private static func runInline(_ batch: [GroupCommitRequest], pool: DatabasePool, busyTimeout: Int32) -> Bool? {
        try? pool.writeWithoutTransaction { db -> Bool? in
            guard let connection = db.sqliteConnection else { return nil }
            sqlite3_busy_timeout(connection, 0)
            let began = (try? execute(db, "BEGIN IMMEDIATE TRANSACTION")) != nil
            sqlite3_busy_timeout(connection, busyTimeout)
            guard began else { return nil }
            return runBegun(batch, in: db)
        }
    }

    /// Runs `batch` in one transaction on the writer; returns whether a `COMMIT` succeeded.
    /// Every request ends with either its result or its failure.
    private static func run(_ batch: [GroupCommitRequest], in db: Database) -> Bool {
        do {
            try execute(db, "BEGIN IMMEDIATE TRANSACTION")
        } catch {
            for request in batch { request.fail(error) }
            return false
        }
        return runBegun(batch, in: db)
    }

    /// Runs a statement prepared once per connection.
    private static func execute(_ db: Database, _ sql: String) throws {
        try db.cachedStatement(sql: sql).execute()
    }

    /// Runs `batch` inside the transaction just begun and ends it.
    private static func runBegun(_ batch: [GroupCommitRequest], in db: Database) -> Bool {
        if batch.count == 1 {
            let request = batch[0]
            do {
                try request.run(db)
            } catch {
                request.fail(error)
                if db.isInsideTransaction { try? execute(db, "ROLLBACK TRANSACTION") }
                return false
            }
            do {
                try execute(db, "COMMIT TRANSACTION")
                return true
            } catch {
                request.fail(error)
                if db.isInsideTransaction { try? execute(db, "ROLLBACK TRANSACTION") }
                return false
            }
        }
        var succeeded: [GroupCommitRequest] = []
        for (index, request) in batch.enumerated() {
            do {
                try execute(db, "SAVEPOINT groupCommit")
                do {
                    try request.run(db)
                    try execute(db, "RELEASE SAVEPOINT groupCommit")
                    succeeded.append(request)
                } catch {
                    request.fail(error)
                    // A statement-level failure leaves the transaction open: undo only this
                    // caller's changes. An engine-level one (I/O, disk full) may have rolled
                    // the whole transaction back; then the companions' work is gone too.
                    guard db.isInsideTransaction else { throw error }
                    try execute(db, "ROLLBACK TO SAVEPOINT groupCommit")
                    try execute(db, "RELEASE SAVEPOINT groupCommit")
                }
            } catch {
                for earlier in succeeded { earlier.fail(error) }
                for later in batch[(index + 1)...] { later.fail(error) }
                if db.isInsideTransaction { try? execute(db, "ROLLBACK TRANSACTION") }
                return false
            }
        }
        do {
            try execute(db, "COMMIT TRANSACTION")
            return true
        } catch {
            for request in succeeded { request.fail(error) }
            if db.isInsideTransaction { try? execute(db, "ROLLBACK TRANSACTION") }
            return false
        }
    }
}

/// One caller's commit waiting for, or running in, a group commit.
///
/// `@unchecked Sendable`: the fields are written by the leader on the writer while the caller
/// is suspended, and read by the caller after it is resumed (the continuation's resume orders
/// the two); `continuation` is set under the committer's lock.
class GroupCommitRequest: @unchecked Sendable {
    fileprivate var continuation: CheckedContinuation<GroupCommitter.RoleToken, Never>?
    private(set) var failure: (any Error)?

    /// Runs the caller's closure on the writer, inside the current transaction or savepoint.
    func run(_ db: Database) throws { fatalError("subclass responsibility") }

    /// Records that this commit did not happen (its closure threw, or its transaction failed).
    func fail(_ error: any Error) {
        if failure == nil { failure = error }
        discardResult()
    }

    func discardResult() {}

    fileprivate func resume(_ role: GroupCommitter.RoleToken) {
        let continuation = self.continuation
        self.continuation = nil
        continuation?.resume(returning: role)
    }
}

/// A ``GroupCommitRequest`` whose closure returns `Result`.
final class TypedGroupCommitRequest<Result: Sendable>: GroupCommitRequest, @unchecked Sendable {
    private var body: ((any MessagingTransaction) throws -> Result)?
    private var result: Committed<Result>?

    init(_ body: @escaping (any MessagingTransaction) throws -> Result) {
        self.body = body
    }

    override func run(_ db: Database) throws {
        guard let body else { return }
        let appended = AppendedEvents()
        let value = try body(SQLiteTransaction(db: db, appended: appended))
        result = Committed(value, events: appended.events)
    }

    override func discardResult() { result = nil }

    /// The committed value and this caller's own events, or the failure. Drops the closure,
    /// which must not outlive the caller's `commit` call.
    func take() throws -> Committed<Result> {
        body = nil
        if let failure { throw failure }
        guard let result else {
            throw MessagingError(code: .storage, message: "A group commit ended without an outcome for this transaction; retry.")
        }
        return result
    }
}

/// A ``GroupCommitRequest`` over the raw connection (job queue, auth, maintenance writes).
final class DatabaseGroupCommitRequest<Result: Sendable>: GroupCommitRequest, @unchecked Sendable {
    private var body: ((Database) throws -> Result)?
    private var result: Result?

    init(_ body: @escaping (Database) throws -> Result) {
        self.body = body
    }

    override func run(_ db: Database) throws {
        guard let body else { return }
        result = try body(db)
    }

    override func discardResult() { result = nil }

    /// The value, or the failure. Drops the closure, which must not outlive the caller's call.
    func take() throws -> Result {
        body = nil
        if let failure { throw failure }
        guard let result else {
            throw MessagingError(code: .storage, message: "A group commit ended without an outcome for this write; retry.")
        }
        return result
    }
}
