import MessagingCore

/// A job queue that records, at each claim, how long the oldest claimed job had waited
/// since it was created (the `chat_job_queue_lag_seconds` gauge; 0 when nothing was due).
/// The wait includes deliberate delays such as the notification batching window.
///
/// Thread safety: immutable; safe to share across tasks.
struct MeasuredJobQueue: JobQueue {
    let wrapped: any JobQueue
    let clock: any WallClock
    let metrics: ServerMetrics

    init(wrapping wrapped: any JobQueue, clock: any WallClock, metrics: ServerMetrics) {
        self.wrapped = wrapped
        self.clock = clock
        self.metrics = metrics
    }

    func enqueue(_ job: NewJob, at now: Timestamp) async throws -> Bool { try await wrapped.enqueue(job, at: now) }

    func claim(from queues: [String], owner: String, limit: Int, leaseMilliseconds: Int64, now: Timestamp) async throws -> [ClaimedJob] {
        let jobs = try await wrapped.claim(from: queues, owner: owner, limit: limit, leaseMilliseconds: leaseMilliseconds, now: now)
        let oldest = jobs.map(\.createdAt.millisecondsSince1970).min()
        let lag = oldest.map { max(0, now.millisecondsSince1970 - $0) } ?? 0
        metrics.jobQueueLag.record(Double(lag) / 1000)
        return jobs
    }

    func complete(_ lease: JobLease) async throws -> Bool { try await wrapped.complete(lease) }
    func retry(_ lease: JobLease, error: String, at runAt: Timestamp, now: Timestamp) async throws -> Bool {
        try await wrapped.retry(lease, error: error, at: runAt, now: now)
    }
    func deadLetter(_ lease: JobLease, error: String, now: Timestamp) async throws -> Bool {
        try await wrapped.deadLetter(lease, error: error, now: now)
    }
    func release(_ lease: JobLease, now: Timestamp) async throws -> Bool { try await wrapped.release(lease, now: now) }
    func deadJobs(in queue: String?, after: JobID?, limit: Int) async throws -> [DeadJob] {
        try await wrapped.deadJobs(in: queue, after: after, limit: limit)
    }
    func deadJob(id: JobID) async throws -> DeadJob? { try await wrapped.deadJob(id: id) }
    func replayDeadJob(id: JobID, now: Timestamp) async throws -> JobID { try await wrapped.replayDeadJob(id: id, now: now) }
    func purgeDeadJobs(ids: [JobID]?, failedBefore: Timestamp?) async throws -> Int {
        try await wrapped.purgeDeadJobs(ids: ids, failedBefore: failedBefore)
    }
    func counts() async throws -> [JobQueueCounts] { try await wrapped.counts() }
}
