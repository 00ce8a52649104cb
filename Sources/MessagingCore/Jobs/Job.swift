/// Identifies a job in a ``JobQueue``; ids are never reused, and a dead job keeps its id.
///
/// Thread safety: a value type; safe to share across tasks.
public struct JobID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// The store's id.
    public let rawValue: Int64

    /// Wraps a store id.
    public init(_ rawValue: Int64) { self.rawValue = rawValue }

    /// Parses a decimal id.
    public init?(_ description: String) {
        guard let value = Int64(description), value > 0 else { return nil }
        rawValue = value
    }

    public var description: String { String(rawValue) }

    public static func < (lhs: JobID, rhs: JobID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A job to add to a queue, directly (``JobQueue/enqueue(_:at:)``) or in the same
/// transaction as the domain change that causes it (``JobOutbox/enqueue(_:at:)``).
///
/// Thread safety: a value type; safe to share across tasks.
public struct NewJob: Hashable, Sendable {
    /// The queue (handlers are registered by queue name), 1–64 characters.
    public var queue: String
    /// Opaque bytes for the handler (usually JSON).
    public var payload: [UInt8]
    /// When set, a job with the same key that has not started yet absorbs this one: its
    /// payload is replaced by this payload, its coalesced count goes up by one and its run
    /// time stays (so a batch window starts at the first record). A job that has started
    /// no longer absorbs: the next record makes a new job.
    public var coalescingKey: String?
    /// How long after enqueueing the job may first run, in milliseconds (the batch window).
    public var delayMilliseconds: Int64
    /// Attempts before the job moves to the dead-letter queue; at least 1.
    public var maxAttempts: Int

    /// Makes a job description.
    public init(
        queue: String, payload: [UInt8], coalescingKey: String? = nil, delayMilliseconds: Int64 = 0, maxAttempts: Int = 8
    ) {
        self.queue = queue
        self.payload = payload
        self.coalescingKey = coalescingKey
        self.delayMilliseconds = max(0, delayMilliseconds)
        self.maxAttempts = max(1, maxAttempts)
    }
}

/// A claimed job: the right to run one attempt until ``JobLease/expiresAt``.
///
/// Thread safety: a value type; safe to share across tasks.
public struct JobLease: Hashable, Sendable {
    /// The job.
    public let jobID: JobID
    /// Who holds the lease (a worker name).
    public let owner: String
    /// Distinguishes this claim from every other claim of the same job: a worker whose
    /// lease expired and was claimed again can no longer complete or fail the job.
    public let token: Int64
    /// When another worker may claim the job again.
    public let expiresAt: Timestamp

    /// Makes a lease value (stores make these; tests may too).
    public init(jobID: JobID, owner: String, token: Int64, expiresAt: Timestamp) {
        self.jobID = jobID
        self.owner = owner
        self.token = token
        self.expiresAt = expiresAt
    }
}

/// One attempt of a job, handed to its handler.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ClaimedJob: Hashable, Sendable {
    /// The job.
    public let id: JobID
    /// Its queue.
    public let queue: String
    /// Its payload (for a coalesced job, the latest record's payload).
    public let payload: [UInt8]
    /// This attempt's number, 1 for the first; persisted, so a crash never resets it.
    public let attempt: Int
    /// The attempt after which a failure moves the job to the dead-letter queue.
    public let maxAttempts: Int
    /// How many later records this job absorbed (see ``NewJob/coalescingKey``).
    public let coalescedCount: Int
    /// When the job was enqueued.
    public let createdAt: Timestamp
    /// The lease of this attempt.
    public let lease: JobLease

    /// Makes a job value (stores make these; tests may too).
    public init(
        id: JobID, queue: String, payload: [UInt8], attempt: Int, maxAttempts: Int, coalescedCount: Int,
        createdAt: Timestamp, lease: JobLease
    ) {
        self.id = id
        self.queue = queue
        self.payload = payload
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.coalescedCount = coalescedCount
        self.createdAt = createdAt
        self.lease = lease
    }

    /// `true` when a failure of this attempt moves the job to the dead-letter queue.
    public var isLastAttempt: Bool { attempt >= maxAttempts }
}

/// A job in the dead-letter queue.
///
/// Thread safety: a value type; safe to share across tasks.
public struct DeadJob: Hashable, Sendable {
    /// The job's id (unchanged from the live job).
    public let id: JobID
    /// Its queue.
    public let queue: String
    /// Its payload.
    public let payload: [UInt8]
    /// How many attempts were made.
    public let attempts: Int
    /// The maximum it was allowed.
    public let maxAttempts: Int
    /// The last attempt's error (never a payload).
    public let lastError: String
    /// When the job was enqueued.
    public let createdAt: Timestamp
    /// When its last attempt started, if any.
    public let lastAttemptAt: Timestamp?
    /// When it was moved to the dead-letter queue.
    public let failedAt: Timestamp
    /// When it was replayed, if it was (a dead job is replayed at most once).
    public let replayedAt: Timestamp?
    /// The job the replay created.
    public let replayJobID: JobID?

    /// Makes a dead-job value (stores make these).
    public init(
        id: JobID, queue: String, payload: [UInt8], attempts: Int, maxAttempts: Int, lastError: String,
        createdAt: Timestamp, lastAttemptAt: Timestamp?, failedAt: Timestamp, replayedAt: Timestamp?, replayJobID: JobID?
    ) {
        self.id = id
        self.queue = queue
        self.payload = payload
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.lastError = lastError
        self.createdAt = createdAt
        self.lastAttemptAt = lastAttemptAt
        self.failedAt = failedAt
        self.replayedAt = replayedAt
        self.replayJobID = replayJobID
    }
}

/// How many jobs a queue holds.
///
/// Thread safety: a value type; safe to share across tasks.
public struct JobQueueCounts: Hashable, Sendable {
    /// The queue.
    public let queue: String
    /// Jobs waiting to run (now or later).
    public let waiting: Int
    /// Jobs under a lease (running, or held by a worker that crashed until the lease expires).
    public let leased: Int
    /// Jobs in the dead-letter queue (including replayed ones until purged).
    public let dead: Int

    /// Makes a counts value.
    public init(queue: String, waiting: Int, leased: Int, dead: Int) {
        self.queue = queue
        self.waiting = waiting
        self.leased = leased
        self.dead = dead
    }
}
