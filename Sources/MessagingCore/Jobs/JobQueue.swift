/// A durable job queue with leases, persisted attempts, retries and a dead-letter queue
/// (the role BullMQ plays in the seed).
///
/// A worker ``claim(from:owner:limit:leaseMilliseconds:now:)``s jobs; each claimed ``ClaimedJob``
/// carries a ``JobLease`` that ends with exactly one of ``complete(_:)``,
/// ``retry(_:error:at:now:)``, ``deadLetter(_:error:now:)`` or ``release(_:now:)``.
/// A worker that crashes leaves its lease to expire; the job then becomes claimable again
/// (or dead, when its last attempt was the one that crashed).
///
/// Implementers: a claim must be atomic (two workers never hold leases on the same job at
/// once) and must persist the incremented attempt count with the lease. The calls that
/// take a lease must change nothing and return `false` when the lease is no longer the
/// job's current one (it expired and was claimed again, or the job is gone). Engine
/// errors are thrown as ``MessagingError`` with code `storage`; an unknown dead job is
/// `notFound`, a second replay `conflict`. Implementations must be safe to call from any task.
public protocol JobQueue: Sendable {
    /// Adds a job outside any domain transaction; returns `false` when a waiting job with
    /// the same coalescing key absorbed it.
    @discardableResult
    func enqueue(_ job: NewJob, at now: Timestamp) async throws -> Bool

    /// Leases up to `limit` jobs of `queues` whose run time has come, oldest first,
    /// incrementing each one's attempt count. First moves to the dead-letter queue every
    /// job of those queues whose last allowed attempt's lease expired (its worker crashed).
    func claim(from queues: [String], owner: String, limit: Int, leaseMilliseconds: Int64, now: Timestamp) async throws -> [ClaimedJob]

    /// Deletes a job whose attempt succeeded.
    @discardableResult
    func complete(_ lease: JobLease) async throws -> Bool

    /// Records a failed attempt and schedules the next one at `runAt`.
    @discardableResult
    func retry(_ lease: JobLease, error: String, at runAt: Timestamp, now: Timestamp) async throws -> Bool

    /// Moves a job to the dead-letter queue with its last error.
    @discardableResult
    func deadLetter(_ lease: JobLease, error: String, now: Timestamp) async throws -> Bool

    /// Gives a lease back without counting the attempt (graceful shutdown): the job may run
    /// again at once.
    @discardableResult
    func release(_ lease: JobLease, now: Timestamp) async throws -> Bool

    /// Dead jobs (of `queue` when given) with ids after `after`, ascending, at most `limit`.
    func deadJobs(in queue: String?, after: JobID?, limit: Int) async throws -> [DeadJob]

    /// One dead job, if there is one with that id.
    func deadJob(id: JobID) async throws -> DeadJob?

    /// Re-enqueues a dead job as a new job with fresh attempts; a dead job can be replayed
    /// once (`conflict` on the second time). Returns the new job's id.
    func replayDeadJob(id: JobID, now: Timestamp) async throws -> JobID

    /// Deletes dead jobs: the given ids, or every one that failed before `failedBefore`
    /// (all of them when both are `nil`). Returns how many.
    func purgeDeadJobs(ids: [JobID]?, failedBefore: Timestamp?) async throws -> Int

    /// Per-queue counts of waiting, leased and dead jobs.
    func counts() async throws -> [JobQueueCounts]
}
