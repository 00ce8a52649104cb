import Logging
import MessagingCore

/// Deletes uploads nobody attached once their slot expired
/// (`MessagingCore.AttachmentService.purgeExpiredUploads(limit:)`), as a periodic job of the
/// ``JobRunner``: one job on the ``queue`` queue at a time, which purges one batch and
/// schedules the next run (at once when the batch was full, else after
/// ``intervalMilliseconds``).
///
/// ```swift
/// let purger = AttachmentPurger(attachments: messaging.attachments, jobs: queue)
/// let runner = JobRunner(queue: queue, handlers: [AttachmentPurger.queue: purger.handler], configuration: config, logger: logger)
/// try await purger.schedule(now: clock.now())   // at start; coalesced with a waiting run
/// ```
///
/// Thread safety: immutable; safe to share across tasks.
public struct AttachmentPurger: Sendable {
    /// The queue purge jobs use.
    public static let queue = "attachments"
    /// The coalescing key that keeps one waiting purge job, however many nodes schedule one.
    public static let coalescingKey = "attachments:purge"

    private let attachments: AttachmentService
    private let jobs: any JobQueue
    private let wallClock: any WallClock
    /// Milliseconds between runs when the last one found less than a batch.
    public let intervalMilliseconds: Int64
    /// Uploads deleted per run.
    public let batchSize: Int
    private let logger: Logger

    /// Makes a purger; `intervalMilliseconds` is clamped to 1 s…1 day, `batchSize` to 1…1,000.
    ///
    /// - Parameters:
    ///   - attachments: the use case that deletes expired uploads.
    ///   - jobs: the queue the runs are scheduled on.
    ///   - intervalMilliseconds: the pause between runs that found less than a batch.
    ///   - batchSize: uploads per run.
    ///   - wallClock: the time runs are scheduled from.
    ///   - logger: where deletions are reported.
    public init(
        attachments: AttachmentService, jobs: any JobQueue, intervalMilliseconds: Int64 = 600_000, batchSize: Int = 200,
        wallClock: any WallClock = SystemWallClock(), logger: Logger = Logger(label: "swift-messaging.attachments")
    ) {
        self.attachments = attachments
        self.jobs = jobs
        self.wallClock = wallClock
        self.intervalMilliseconds = min(max(intervalMilliseconds, 1000), 86_400_000)
        self.batchSize = min(max(batchSize, 1), 1000)
        self.logger = logger
    }

    /// Enqueues a run `delayMilliseconds` from `now` unless one is already waiting.
    ///
    /// - Parameters:
    ///   - now: the current time.
    ///   - delayMilliseconds: how long from `now` the run waits.
    public func schedule(now: Timestamp, delayMilliseconds: Int64 = 0) async throws {
        _ = try await jobs.enqueue(
            NewJob(
                queue: Self.queue, payload: [], coalescingKey: Self.coalescingKey, delayMilliseconds: delayMilliseconds,
                maxAttempts: 3),
            at: now)
    }

    /// The handler to register for ``queue``: one batch, then the next run scheduled.
    public var handler: JobHandler {
        { _ in
            let deleted = try await attachments.purgeExpiredUploads(limit: batchSize)
            if deleted > 0 { logger.info("deleted expired uploads", metadata: ["deleted": "\(deleted)"]) }
            try await schedule(now: wallClock.now(), delayMilliseconds: deleted >= batchSize ? 0 : intervalMilliseconds)
        }
    }
}
