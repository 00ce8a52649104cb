import Foundation
import GRDB
import MessagingCore

/// The SQLite implementation of `MessagingCore.JobQueue`, in the same database file as
/// the store (so use cases enqueue through the transaction's outbox, and a worker in
/// another process shares the queue through WAL).
///
/// A claim is one `UPDATE … RETURNING` inside `BEGIN IMMEDIATE`: SQLite admits one writer
/// at a time across processes, so two workers never lease the same job at once.
///
/// Thread safety: safe to share across tasks and processes.
public final class SQLiteJobQueue: JobQueue {
    private let store: SQLiteMessagingStore

    /// A queue over `store`'s database.
    public init(store: SQLiteMessagingStore) {
        self.store = store
    }

    @discardableResult
    public func enqueue(_ job: NewJob, at now: Timestamp) async throws -> Bool {
        try await store.writeImmediate { db in try SQLiteTransaction.insertJob(job, at: now, db: db) }
    }

    public func claim(
        from queues: [String], owner: String, limit: Int, leaseMilliseconds: Int64, now: Timestamp
    ) async throws -> [ClaimedJob] {
        guard !queues.isEmpty, limit > 0 else { return [] }
        let time = now.millisecondsSince1970
        let expiry = time + max(1, leaseMilliseconds)
        let marks = Array(repeating: "?", count: queues.count).joined(separator: ", ")
        let queueArguments = StatementArguments(queues)
        return try await store.writeImmediate { db in
            // Jobs whose last allowed attempt's lease expired: their worker died on the last try.
            let exhausted = "queue IN (\(marks)) AND next_run_at <= ? AND attempts >= max_attempts"
            try db.cachedStatement(sql: """
                INSERT INTO dead_jobs (id, queue, payload, attempts, max_attempts, last_error, created_at, last_attempt_at, failed_at)
                SELECT id, queue, payload, attempts, max_attempts,
                       'the lease of the last attempt expired (the worker stopped without finishing)'
                           || coalesce('; previous error: ' || last_error, ''),
                       created_at, last_attempt_at, ?
                FROM jobs WHERE \(exhausted)
                """).execute(arguments: [time] + queueArguments + [time])
            if db.changesCount > 0 {
                try db.cachedStatement(sql: "DELETE FROM jobs WHERE \(exhausted)").execute(arguments: queueArguments + [time])
            }
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: """
                    UPDATE jobs SET attempts = attempts + 1, claims = claims + 1, lease_owner = ?,
                        coalescing_key = NULL, next_run_at = ?, last_attempt_at = ?, updated_at = ?
                    WHERE id IN (
                        SELECT id FROM jobs
                        WHERE queue IN (\(marks)) AND next_run_at <= ? AND attempts < max_attempts
                        ORDER BY next_run_at, id LIMIT ?)
                    RETURNING id, queue, payload, attempts, max_attempts, coalesced, created_at, claims
                    """),
                arguments: [owner, expiry, time, time] + queueArguments + [time, limit])
            return rows.map { row in
                let id = JobID(row[0] as Int64)
                return ClaimedJob(
                    id: id, queue: row[1], payload: Array(row[2] as Data), attempt: row[3], maxAttempts: row[4],
                    coalescedCount: row[5], createdAt: Timestamp(millisecondsSince1970: row[6]),
                    lease: JobLease(jobID: id, owner: owner, token: row[7], expiresAt: Timestamp(millisecondsSince1970: expiry)))
            }.sorted { $0.id < $1.id }
        }
    }

    /// The condition that a lease is the job's current one.
    private static let leaseHeld = "id = ? AND claims = ? AND lease_owner = ?"

    private static func arguments(_ lease: JobLease) -> StatementArguments {
        [lease.jobID.rawValue, lease.token, lease.owner]
    }

    @discardableResult
    public func complete(_ lease: JobLease) async throws -> Bool {
        try await store.writeImmediate { db in
            try db.cachedStatement(sql: "DELETE FROM jobs WHERE \(Self.leaseHeld)").execute(arguments: Self.arguments(lease))
            return db.changesCount > 0
        }
    }

    @discardableResult
    public func retry(_ lease: JobLease, error: String, at runAt: Timestamp, now: Timestamp) async throws -> Bool {
        try await store.writeImmediate { db in
            try db.cachedStatement(sql: """
                UPDATE jobs SET lease_owner = NULL, next_run_at = ?, last_error = ?, updated_at = ? WHERE \(Self.leaseHeld)
                """).execute(
                    arguments: [runAt.millisecondsSince1970, Self.clip(error), now.millisecondsSince1970] + Self.arguments(lease))
            return db.changesCount > 0
        }
    }

    @discardableResult
    public func deadLetter(_ lease: JobLease, error: String, now: Timestamp) async throws -> Bool {
        try await store.writeImmediate { db in
            try db.cachedStatement(sql: """
                INSERT INTO dead_jobs (id, queue, payload, attempts, max_attempts, last_error, created_at, last_attempt_at, failed_at)
                SELECT id, queue, payload, attempts, max_attempts, ?, created_at, last_attempt_at, ?
                FROM jobs WHERE \(Self.leaseHeld)
                """).execute(arguments: [Self.clip(error), now.millisecondsSince1970] + Self.arguments(lease))
            guard db.changesCount > 0 else { return false }
            try db.cachedStatement(sql: "DELETE FROM jobs WHERE \(Self.leaseHeld)").execute(arguments: Self.arguments(lease))
            return true
        }
    }

    @discardableResult
    public func release(_ lease: JobLease, now: Timestamp) async throws -> Bool {
        try await store.writeImmediate { db in
            try db.cachedStatement(sql: """
                UPDATE jobs SET lease_owner = NULL, attempts = max(0, attempts - 1), next_run_at = ?, updated_at = ?
                WHERE \(Self.leaseHeld)
                """).execute(arguments: [now.millisecondsSince1970, now.millisecondsSince1970] + Self.arguments(lease))
            return db.changesCount > 0
        }
    }

    private static let deadColumns = """
        id, queue, payload, attempts, max_attempts, last_error, created_at, last_attempt_at, failed_at, replayed_at, replay_job_id
        """

    private static func deadJob(_ row: Row) -> DeadJob {
        DeadJob(
            id: JobID(row[0] as Int64), queue: row[1], payload: Array(row[2] as Data), attempts: row[3], maxAttempts: row[4],
            lastError: row[5], createdAt: Timestamp(millisecondsSince1970: row[6]),
            lastAttemptAt: (row[7] as Int64?).map(Timestamp.init(millisecondsSince1970:)),
            failedAt: Timestamp(millisecondsSince1970: row[8]),
            replayedAt: (row[9] as Int64?).map(Timestamp.init(millisecondsSince1970:)),
            replayJobID: (row[10] as Int64?).map { JobID($0) })
    }

    public func deadJobs(in queue: String?, after: JobID?, limit: Int) async throws -> [DeadJob] {
        let after = after?.rawValue ?? 0
        let limit = max(0, limit)
        return try await store.readDatabase { db in
            if let queue {
                return try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT \(Self.deadColumns) FROM dead_jobs WHERE queue = ? AND id > ? ORDER BY id LIMIT ?"),
                    arguments: [queue, after, limit]
                ).map(Self.deadJob)
            }
            return try Row.fetchAll(
                db.cachedStatement(sql: "SELECT \(Self.deadColumns) FROM dead_jobs WHERE id > ? ORDER BY id LIMIT ?"),
                arguments: [after, limit]
            ).map(Self.deadJob)
        }
    }

    public func deadJob(id: JobID) async throws -> DeadJob? {
        try await store.readDatabase { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.deadColumns) FROM dead_jobs WHERE id = ?", arguments: [id.rawValue])
                .map(Self.deadJob)
        }
    }

    public func replayDeadJob(id: JobID, now: Timestamp) async throws -> JobID {
        try await store.writeImmediate { db in
            guard let dead = try Row.fetchOne(
                db, sql: "SELECT \(Self.deadColumns) FROM dead_jobs WHERE id = ?", arguments: [id.rawValue]
            ).map(Self.deadJob) else {
                throw MessagingError(code: .notFound, message: "There is no dead job \(id); list them with `dlq list`.")
            }
            if let replay = dead.replayJobID {
                throw MessagingError(
                    code: .conflict, message: "Dead job \(id) was already replayed as job \(replay); a dead job is replayed once.")
            }
            let time = now.millisecondsSince1970
            try db.execute(
                sql: """
                    INSERT INTO jobs (queue, payload, max_attempts, next_run_at, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [dead.queue, Data(dead.payload), dead.maxAttempts, time, time, time])
            let newID = db.lastInsertedRowID
            try db.execute(
                sql: "UPDATE dead_jobs SET replayed_at = ?, replay_job_id = ? WHERE id = ? AND replay_job_id IS NULL",
                arguments: [time, newID, id.rawValue])
            return JobID(newID)
        }
    }

    public func purgeDeadJobs(ids: [JobID]?, failedBefore: Timestamp?) async throws -> Int {
        try await store.writeImmediate { db in
            var removed = 0
            if let ids {
                for id in ids {
                    try db.cachedStatement(sql: "DELETE FROM dead_jobs WHERE id = ?").execute(arguments: [id.rawValue])
                    removed += db.changesCount
                }
            } else if let failedBefore {
                try db.execute(sql: "DELETE FROM dead_jobs WHERE failed_at < ?", arguments: [failedBefore.millisecondsSince1970])
                removed = db.changesCount
            } else {
                try db.execute(sql: "DELETE FROM dead_jobs")
                removed = db.changesCount
            }
            return removed
        }
    }

    public func counts() async throws -> [JobQueueCounts] {
        try await store.readDatabase { db in
            var live: [String: (waiting: Int, leased: Int)] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT queue, sum(lease_owner IS NULL), sum(lease_owner IS NOT NULL) FROM jobs GROUP BY queue
                """) {
                live[row[0]] = (row[1], row[2])
            }
            var dead: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT queue, count(*) FROM dead_jobs GROUP BY queue") {
                dead[row[0]] = row[1]
            }
            return Set(live.keys).union(dead.keys).sorted().map { queue in
                JobQueueCounts(
                    queue: queue, waiting: live[queue]?.waiting ?? 0, leased: live[queue]?.leased ?? 0, dead: dead[queue] ?? 0)
            }
        }
    }

    /// Keeps stored errors short; a handler's error text never holds a payload by contract.
    private static func clip(_ error: String) -> String {
        error.count <= 2000 ? error : String(error.prefix(2000)) + "…"
    }
}
