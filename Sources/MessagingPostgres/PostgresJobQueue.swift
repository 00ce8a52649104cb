import MessagingCore

/// The durable job queue on PostgreSQL, in the same database as the
/// ``PostgresMessagingStore`` whose outbox feeds it; several worker processes drain it.
///
/// A claim leases due jobs in one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
/// LOCKED)`: workers claiming at the same moment skip each other's rows instead of waiting,
/// and two of them never hold one job. A leased job's run time is its lease expiry, so a
/// crashed worker's jobs become claimable when the lease ends, and a job whose last
/// allowed attempt's lease expired moves to the dead-letter queue at the next claim.
/// Backoff is the caller's (`retry(_:error:at:now:)` takes the next run time).
///
/// Thread safety: safe to share across tasks and processes.
public final class PostgresJobQueue: JobQueue {
    private let store: PostgresMessagingStore

    /// A queue in the database of `store`.
    public init(store: PostgresMessagingStore) { self.store = store }

    @discardableResult
    public func enqueue(_ job: NewJob, at now: Timestamp) async throws -> Bool {
        try await store.transaction(readOnly: false) { try $0.enqueue(job, at: now) }.value
    }

    public func claim(from queues: [String], owner: String, limit: Int, leaseMilliseconds: Int64, now: Timestamp) async throws -> [ClaimedJob] {
        guard !queues.isEmpty, limit > 0 else { return [] }
        return try await store.transaction(readOnly: false) {
            try $0.claimJobs(from: queues, owner: owner, limit: limit, leaseMilliseconds: leaseMilliseconds, now: now)
        }.value
    }

    @discardableResult
    public func complete(_ lease: JobLease) async throws -> Bool {
        try await store.transaction(readOnly: false) { try $0.completeJob(lease) }.value
    }

    @discardableResult
    public func retry(_ lease: JobLease, error: String, at runAt: Timestamp, now: Timestamp) async throws -> Bool {
        try await store.transaction(readOnly: false) { try $0.retryJob(lease, error: error, at: runAt, now: now) }.value
    }

    @discardableResult
    public func deadLetter(_ lease: JobLease, error: String, now: Timestamp) async throws -> Bool {
        try await store.transaction(readOnly: false) { try $0.deadLetterJob(lease, error: error, now: now) }.value
    }

    @discardableResult
    public func release(_ lease: JobLease, now: Timestamp) async throws -> Bool {
        try await store.transaction(readOnly: false) { try $0.releaseJob(lease, now: now) }.value
    }

    public func deadJobs(in queue: String?, after: JobID?, limit: Int) async throws -> [DeadJob] {
        try await store.transaction(readOnly: true) { try $0.deadJobs(in: queue, after: after, limit: limit) }.value
    }

    public func deadJob(id: JobID) async throws -> DeadJob? {
        try await store.transaction(readOnly: true) { try $0.deadJob(id: id) }.value
    }

    public func replayDeadJob(id: JobID, now: Timestamp) async throws -> JobID {
        try await store.transaction(readOnly: false) { try $0.replayDeadJob(id: id, now: now) }.value
    }

    public func purgeDeadJobs(ids: [JobID]?, failedBefore: Timestamp?) async throws -> Int {
        try await store.transaction(readOnly: false) { try $0.purgeDeadJobs(ids: ids, failedBefore: failedBefore) }.value
    }

    public func counts() async throws -> [JobQueueCounts] {
        try await store.transaction(readOnly: true) { try $0.jobCounts() }.value
    }
}
