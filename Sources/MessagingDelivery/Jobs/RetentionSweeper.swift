import Logging
import MessagingCore

/// Runs the retention sweep (`MessagingCore.RetentionService.sweep(batchSize:conversations:after:)`)
/// as a periodic job of the ``JobRunner``: one job on the ``queue`` queue at a time, which
/// sweeps once and schedules the next sweep (at once when the sweep left expired messages or
/// conversations for later, else after ``intervalMilliseconds``).
///
/// Each sweep handles at most `batchSize` messages per conversation, one transaction each, so
/// a huge backlog is worked off in short writes between other writers' transactions.
///
/// ```swift
/// let sweeper = RetentionSweeper(retention: messaging.retention, jobs: queue)
/// let runner = JobRunner(queue: queue, handlers: [RetentionSweeper.queue: sweeper.handler], configuration: config, logger: logger)
/// try await sweeper.schedule(now: clock.now())   // at start; coalesced with a waiting sweep
/// ```
///
/// Thread safety: immutable; safe to share across tasks.
public struct RetentionSweeper: Sendable {
    /// The queue sweep jobs use.
    public static let queue = "retention"
    /// The coalescing key that keeps one waiting sweep job, however many nodes schedule one.
    public static let coalescingKey = "retention:sweep"

    private let retention: RetentionService
    private let jobs: any JobQueue
    private let wallClock: any WallClock
    /// Milliseconds between sweeps when nothing was left for later.
    public let intervalMilliseconds: Int64
    /// Messages examined per conversation and sweep.
    public let batchSize: Int
    private let logger: Logger

    /// Makes a sweeper; `intervalMilliseconds` is clamped to 1 s…1 day, `batchSize` to 1…1,000.
    public init(
        retention: RetentionService, jobs: any JobQueue, intervalMilliseconds: Int64 = 3_600_000, batchSize: Int = 500,
        wallClock: any WallClock = SystemWallClock(), logger: Logger = Logger(label: "swift-messaging.retention")
    ) {
        self.retention = retention
        self.jobs = jobs
        self.wallClock = wallClock
        self.intervalMilliseconds = min(max(intervalMilliseconds, 1000), 86_400_000)
        self.batchSize = min(max(batchSize, 1), 1000)
        self.logger = logger
    }

    /// Enqueues a sweep `delayMilliseconds` from `now` unless one is already waiting (the
    /// waiting one keeps its run time).
    public func schedule(now: Timestamp, delayMilliseconds: Int64 = 0, resumeAfter: ConversationID? = nil) async throws {
        let payload = Array((resumeAfter?.description ?? "").utf8)
        _ = try await jobs.enqueue(
            NewJob(
                queue: Self.queue, payload: payload, coalescingKey: Self.coalescingKey, delayMilliseconds: delayMilliseconds,
                maxAttempts: 3),
            at: now)
    }

    /// The handler to register for ``queue``: one sweep, then the next one scheduled.
    public var handler: JobHandler {
        { job in
            let after = ConversationID(String(decoding: job.payload, as: UTF8.self))
            let sweep = try await retention.sweep(batchSize: batchSize, after: after)
            if sweep.deletedMessages > 0 {
                logger.info(
                    "retention sweep deleted messages",
                    metadata: ["deleted": "\(sweep.deletedMessages)", "conversations": "\(sweep.conversations)"])
            }
            try await schedule(
                now: wallClock.now(), delayMilliseconds: sweep.hasMore ? 0 : intervalMilliseconds,
                resumeAfter: sweep.resumeAfter)
        }
    }
}
