import Foundation
import GRDB
import MessagingCore

// MARK: - JobOutbox

extension SQLiteTransaction {
    func enqueue(_ job: NewJob, at now: Timestamp) throws -> Bool {
        try Self.insertJob(job, at: now, db: db)
    }

    /// Inserts a job, or lets a waiting job with the same coalescing key absorb it
    /// (claiming clears a job's key, so only jobs that have not started absorb). Returns
    /// `true` when a row was inserted.
    static func insertJob(_ job: NewJob, at now: Timestamp, db: Database) throws -> Bool {
        guard (1...64).contains(job.queue.utf8.count) else {
            throw MessagingError(code: .invalidInput, message: "A queue name must be 1 to 64 bytes long.")
        }
        let time = now.millisecondsSince1970
        // RETURNING coalesced: 0 for a new row, the new count for an absorbed record.
        let coalesced = try Int.fetchOne(
            db.cachedStatement(sql: """
                INSERT INTO jobs (queue, payload, coalescing_key, max_attempts, next_run_at, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (coalescing_key) DO UPDATE SET
                    payload = excluded.payload, coalesced = coalesced + 1, updated_at = excluded.updated_at
                RETURNING coalesced
                """),
            arguments: [
                job.queue, Data(job.payload), job.coalescingKey, job.maxAttempts, time + job.delayMilliseconds, time, time,
            ])
        return coalesced == 0
    }
}
