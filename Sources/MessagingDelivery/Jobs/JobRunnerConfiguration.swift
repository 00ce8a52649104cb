import MessagingCore

/// Handles one attempt of a job; throwing fails the attempt (the runner retries it with
/// backoff, or dead-letters it after its last attempt). Error descriptions are stored:
/// they must not contain payloads or secrets.
public typealias JobHandler = @Sendable (ClaimedJob) async throws -> Void

/// Settings of a ``JobRunner``.
///
/// Thread safety: a value type; safe to share across tasks.
public struct JobRunnerConfiguration: Hashable, Sendable {
    /// The lease owner name; make it unique per process (host name and pid).
    public var workerName: String
    /// Jobs run at once at most. Default 4.
    public var concurrency: Int
    /// How long a claim lasts before another worker may take the job (the visibility
    /// timeout). Make it longer than a handler's longest run. Default 60 s.
    public var leaseMilliseconds: Int64
    /// How long to wait before looking again when no job is due. Default 1 s.
    public var pollInterval: Duration
    /// Delays between attempts. Default 1 s base, 10 min cap, full jitter.
    public var backoff: Backoff
    /// On graceful shutdown, how long running jobs may finish before they are cancelled and
    /// their leases released. Default 10 s.
    public var shutdownGracePeriod: Duration

    /// Makes settings; every value has the default listed on its property.
    public init(
        workerName: String, concurrency: Int = 4, leaseMilliseconds: Int64 = 60_000, pollInterval: Duration = .seconds(1),
        backoff: Backoff = .init(), shutdownGracePeriod: Duration = .seconds(10)
    ) {
        self.workerName = workerName
        self.concurrency = max(1, concurrency)
        self.leaseMilliseconds = max(1, leaseMilliseconds)
        self.pollInterval = pollInterval
        self.backoff = backoff
        self.shutdownGracePeriod = shutdownGracePeriod
    }
}
