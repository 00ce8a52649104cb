import Foundation
import MessagingCore
import PostgresNIO

// MARK: - JobOutbox and the queue's statements

extension PostgresTransaction {
    func enqueue(_ job: NewJob, at now: Timestamp) throws -> Bool {
        guard (1...64).contains(job.queue.utf8.count) else {
            throw MessagingError(code: .invalidInput, message: "A queue name must be 1 to 64 bytes long.")
        }
        let time = now.millisecondsSince1970
        // RETURNING coalesced: 0 for a new row, the new count for an absorbed record.
        let coalesced = try fetchOne(
            """
            INSERT INTO jobs (queue, payload, coalescing_key, max_attempts, next_run_at, created_at, updated_at)
            VALUES (\(job.queue), \(Data(job.payload)), \(job.coalescingKey), \(job.maxAttempts),
                \(time + job.delayMilliseconds), \(time), \(time))
            ON CONFLICT (coalescing_key) DO UPDATE SET
                payload = excluded.payload, coalesced = jobs.coalesced + 1, updated_at = excluded.updated_at
            RETURNING coalesced
            """, "enqueueing a job") { try $0.int64(0) }
        return coalesced == 0
    }

    /// Moves to the dead-letter queue every due job of `queues` whose last attempt's lease
    /// expired, then leases up to `limit` due jobs. Rows another worker is claiming right now
    /// are skipped (`FOR UPDATE SKIP LOCKED`), never waited for.
    func claimJobs(from queues: [String], owner: String, limit: Int, leaseMilliseconds: Int64, now: Timestamp) throws -> [ClaimedJob] {
        let time = now.millisecondsSince1970
        let expiry = time + max(1, leaseMilliseconds)
        try execute(
            """
            WITH exhausted AS (
                DELETE FROM jobs WHERE id IN (
                    SELECT id FROM jobs
                    WHERE queue = ANY(\(queues)) AND next_run_at <= \(time) AND attempts >= max_attempts
                    FOR UPDATE SKIP LOCKED)
                RETURNING id, queue, payload, attempts, max_attempts, last_error, created_at, last_attempt_at)
            INSERT INTO dead_jobs (id, queue, payload, attempts, max_attempts, last_error, created_at, last_attempt_at, failed_at)
            SELECT id, queue, payload, attempts, max_attempts,
                   'the lease of the last attempt expired (the worker stopped without finishing)'
                       || coalesce('; previous error: ' || last_error, ''),
                   created_at, last_attempt_at, \(time)
            FROM exhausted
            """, "dead-lettering jobs whose last lease expired")
        let claimed = try fetchAll(
            """
            UPDATE jobs SET attempts = attempts + 1, claims = claims + 1, lease_owner = \(owner),
                coalescing_key = NULL, next_run_at = \(expiry), last_attempt_at = \(time), updated_at = \(time)
            WHERE id IN (
                SELECT id FROM jobs
                WHERE queue = ANY(\(queues)) AND next_run_at <= \(time) AND attempts < max_attempts
                ORDER BY next_run_at, id LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            RETURNING id, queue, payload, attempts, max_attempts, coalesced, created_at, claims
            """, "claiming jobs"
        ) { row in
            let id = JobID(try row.int64(0))
            return ClaimedJob(
                id: id, queue: try row.string(1), payload: Array(try row.bytes(2)), attempt: try row.int(3),
                maxAttempts: try row.int(4), coalescedCount: try row.int(5), createdAt: try row.timestamp(6),
                lease: JobLease(jobID: id, owner: owner, token: try row.int64(7), expiresAt: Timestamp(millisecondsSince1970: expiry)))
        }
        return claimed.sorted { $0.id < $1.id }
    }

    func completeJob(_ lease: JobLease) throws -> Bool {
        try execute(
            """
            DELETE FROM jobs WHERE id = \(lease.jobID.rawValue) AND claims = \(lease.token) AND lease_owner = \(lease.owner)
            """, "completing a job") > 0
    }

    func retryJob(_ lease: JobLease, error: String, at runAt: Timestamp, now: Timestamp) throws -> Bool {
        try execute(
            """
            UPDATE jobs SET lease_owner = NULL, next_run_at = \(runAt.millisecondsSince1970), last_error = \(Self.clip(error)),
                updated_at = \(now.millisecondsSince1970)
            WHERE id = \(lease.jobID.rawValue) AND claims = \(lease.token) AND lease_owner = \(lease.owner)
            """, "scheduling a retry") > 0
    }

    func deadLetterJob(_ lease: JobLease, error: String, now: Timestamp) throws -> Bool {
        try execute(
            """
            WITH gone AS (
                DELETE FROM jobs WHERE id = \(lease.jobID.rawValue) AND claims = \(lease.token) AND lease_owner = \(lease.owner)
                RETURNING id, queue, payload, attempts, max_attempts, created_at, last_attempt_at)
            INSERT INTO dead_jobs (id, queue, payload, attempts, max_attempts, last_error, created_at, last_attempt_at, failed_at)
            SELECT id, queue, payload, attempts, max_attempts, \(Self.clip(error)), created_at, last_attempt_at,
                \(now.millisecondsSince1970)
            FROM gone
            """, "dead-lettering a job") > 0
    }

    func releaseJob(_ lease: JobLease, now: Timestamp) throws -> Bool {
        try execute(
            """
            UPDATE jobs SET lease_owner = NULL, attempts = greatest(0, attempts - 1), next_run_at = \(now.millisecondsSince1970),
                updated_at = \(now.millisecondsSince1970)
            WHERE id = \(lease.jobID.rawValue) AND claims = \(lease.token) AND lease_owner = \(lease.owner)
            """, "releasing a job") > 0
    }

    static let deadColumns = """
        id, queue, payload, attempts, max_attempts, last_error, created_at, last_attempt_at, failed_at, replayed_at, replay_job_id
        """

    static func deadJob(_ row: Cells) throws -> DeadJob {
        DeadJob(
            id: JobID(try row.int64(0)), queue: try row.string(1), payload: Array(try row.bytes(2)), attempts: try row.int(3),
            maxAttempts: try row.int(4), lastError: try row.string(5), createdAt: try row.timestamp(6),
            lastAttemptAt: try row.optionalTimestamp(7), failedAt: try row.timestamp(8), replayedAt: try row.optionalTimestamp(9),
            replayJobID: try row.optionalInt64(10).map { JobID($0) })
    }

    func deadJobs(in queue: String?, after: JobID?, limit: Int) throws -> [DeadJob] {
        try fetchAll(
            """
            SELECT \(unescaped: Self.deadColumns) FROM dead_jobs
            WHERE (\(queue)::text IS NULL OR queue = \(queue)) AND id > \(after?.rawValue ?? 0)
            ORDER BY id LIMIT \(max(0, limit))
            """, "listing dead jobs", Self.deadJob)
    }

    func deadJob(id: JobID) throws -> DeadJob? {
        try fetchOne("SELECT \(unescaped: Self.deadColumns) FROM dead_jobs WHERE id = \(id.rawValue)", "reading a dead job", Self.deadJob)
    }

    func replayDeadJob(id: JobID, now: Timestamp) throws -> JobID {
        // FOR UPDATE: two concurrent replays of one job queue here; the second sees the first's replay.
        guard let dead = try fetchOne(
            "SELECT \(unescaped: Self.deadColumns) FROM dead_jobs WHERE id = \(id.rawValue) FOR UPDATE", "reading a dead job",
            Self.deadJob)
        else {
            throw MessagingError(code: .notFound, message: "There is no dead job \(id); list them with `dlq list`.")
        }
        if let replay = dead.replayJobID {
            throw MessagingError(
                code: .conflict, message: "Dead job \(id) was already replayed as job \(replay); a dead job is replayed once.")
        }
        let time = now.millisecondsSince1970
        let newID = try fetchOne(
            """
            INSERT INTO jobs (queue, payload, max_attempts, next_run_at, created_at, updated_at)
            VALUES (\(dead.queue), \(Data(dead.payload)), \(dead.maxAttempts), \(time), \(time), \(time)) RETURNING id
            """, "replaying a dead job") { try $0.int64(0) }
        guard let newID else { throw PostgresCoding.corrupt("an insert into jobs returned no id") }
        try execute(
            "UPDATE dead_jobs SET replayed_at = \(time), replay_job_id = \(newID) WHERE id = \(id.rawValue) AND replay_job_id IS NULL",
            "marking a dead job replayed")
        return JobID(newID)
    }

    func purgeDeadJobs(ids: [JobID]?, failedBefore: Timestamp?) throws -> Int {
        if let ids {
            return try execute("DELETE FROM dead_jobs WHERE id = ANY(\(ids.map(\.rawValue)))", "purging dead jobs")
        } else if let failedBefore {
            return try execute("DELETE FROM dead_jobs WHERE failed_at < \(failedBefore.millisecondsSince1970)", "purging dead jobs")
        }
        return try execute("DELETE FROM dead_jobs", "purging dead jobs")
    }

    func jobCounts() throws -> [JobQueueCounts] {
        var live: [String: (waiting: Int, leased: Int)] = [:]
        for (queue, waiting, leased) in try fetchAll(
            """
            SELECT queue, count(*) FILTER (WHERE lease_owner IS NULL), count(*) FILTER (WHERE lease_owner IS NOT NULL)
            FROM jobs GROUP BY queue
            """, "counting jobs", { row in (try row.string(0), try row.int(1), try row.int(2)) })
        {
            live[queue] = (waiting, leased)
        }
        var dead: [String: Int] = [:]
        for (queue, count) in try fetchAll(
            "SELECT queue, count(*) FROM dead_jobs GROUP BY queue", "counting dead jobs", { row in (try row.string(0), try row.int(1)) })
        {
            dead[queue] = count
        }
        return Set(live.keys).union(dead.keys).sorted().map { queue in
            JobQueueCounts(queue: queue, waiting: live[queue]?.waiting ?? 0, leased: live[queue]?.leased ?? 0, dead: dead[queue] ?? 0)
        }
    }

    static func clip(_ error: String) -> String {
        error.count <= 2000 ? error : String(error.prefix(2000)) + "…"
    }

    // MARK: Acknowledgement cursors

    func saveAckCursors(_ cursors: [AckCursor], at now: Timestamp) throws {
        for cursor in cursors {
            try execute(
                """
                INSERT INTO ack_cursors (device_id, conversation_id, user_id, acked_seq, updated_at)
                VALUES (\(PostgresCoding.uuid(cursor.deviceID)), \(PostgresCoding.uuid(cursor.conversationID)),
                    \(PostgresCoding.uuid(cursor.userID)), \(cursor.ackedSeq), \(now.millisecondsSince1970))
                ON CONFLICT (device_id, conversation_id) DO UPDATE SET
                    acked_seq = greatest(ack_cursors.acked_seq, excluded.acked_seq), updated_at = excluded.updated_at
                WHERE ack_cursors.user_id = excluded.user_id
                """, "saving acknowledgement cursors")
        }
    }

    func ackCursors(of device: DeviceID) throws -> [AckCursor] {
        try fetchAll(
            """
            SELECT conversation_id, user_id, acked_seq FROM ack_cursors
            WHERE device_id = \(PostgresCoding.uuid(device)) ORDER BY conversation_id
            """, "reading acknowledgement cursors"
        ) { row in AckCursor(deviceID: device, userID: try row.id(1), conversationID: try row.id(0), ackedSeq: try row.int64(2)) }
    }
}
