import Logging
import MessagingCore
import ServiceLifecycle
import Synchronization

/// Runs jobs from a `MessagingCore.JobQueue` with handlers registered by queue name:
/// bounded concurrency, retries with exponential backoff and full jitter, dead-lettering
/// after the last attempt, and graceful shutdown. Run it in the host's `ServiceGroup`.
///
/// Persisted times (run-at, lease expiry) come from the injected `MessagingCore.WallClock`
/// because they must mean the same after a restart; waiting uses the injected monotonic
/// `Clock`.
///
/// Thread safety: immutable; safe to share across tasks. Run one `run()` per runner.
public final class JobRunner: Service, Sendable {
    private let queue: any JobQueue
    private let handlers: [String: JobHandler]
    private let configuration: JobRunnerConfiguration
    private let wallClock: any WallClock
    private let clock: any Clock<Duration>
    private let random: any RandomSource
    private let logger: Logger

    /// Makes a runner; it claims only from the queues in `handlers`.
    public init(
        queue: any JobQueue, handlers: [String: JobHandler], configuration: JobRunnerConfiguration,
        wallClock: any WallClock = SystemWallClock(), clock: any Clock<Duration> = ContinuousClock(),
        random: any RandomSource = SystemRandomSource(), logger: Logger
    ) {
        self.queue = queue
        self.handlers = handlers
        self.configuration = configuration
        self.wallClock = wallClock
        self.clock = clock
        self.random = random
        self.logger = logger
    }

    private var queueNames: [String] { handlers.keys.sorted() }

    /// Claims up to `concurrency` due jobs, runs them concurrently to the end, and returns
    /// how many ran (for tests and one-shot runs).
    @discardableResult
    public func runOnce() async throws -> Int {
        let jobs = try await claim(limit: configuration.concurrency)
        await withTaskGroup(of: Void.self) { group in
            for job in jobs { group.addTask { await self.execute(job) } }
        }
        return jobs.count
    }

    /// Runs until graceful shutdown or cancellation: stops claiming, lets running jobs
    /// finish for ``JobRunnerConfiguration/shutdownGracePeriod``, then cancels them and
    /// releases their leases.
    public func run() async throws {
        let stopping = StopFlag()
        try await withGracefulShutdownHandler {
            try await self.loop(stopping: stopping)
        } onGracefulShutdown: {
            stopping.stop()
        }
    }

    private enum Event: Sendable { case finished, timer, grace }

    private func loop(stopping: StopFlag) async throws {
        logger.info("job runner started", metadata: [
            "worker": "\(configuration.workerName)", "queues": "\(queueNames.joined(separator: ","))",
            "concurrency": "\(configuration.concurrency)",
        ])
        let isStopping: @Sendable () -> Bool = { stopping.isStopped }
        await withTaskGroup(of: Event.self) { group in
            var running = 0
            var timerPending = false
            while !isStopping(), !Task.isCancelled {
                let free = configuration.concurrency - running
                var claimed = 0
                if free > 0 {
                    do {
                        let jobs = try await claim(limit: free)
                        for job in jobs { group.addTask { await self.execute(job); return .finished } }
                        claimed = jobs.count
                        running += claimed
                    } catch {
                        logger.warning("claiming jobs failed; retrying after the poll interval", metadata: ["error": "\(error)"])
                    }
                }
                if claimed > 0, running < configuration.concurrency { continue }  // more may be due
                // Keep a timer even when saturated: it also ends early on shutdown, so a
                // runner whose jobs are all stuck still reaches its grace period.
                if !timerPending {
                    timerPending = true
                    let interval = configuration.pollInterval
                    group.addTask { [clock] in
                        await Self.sleep(interval, clock: clock, unless: isStopping)
                        return .timer
                    }
                }
                switch await group.next() {
                case .finished: running -= 1
                case .timer: timerPending = false
                case .grace, nil: break
                }
            }
            // Graceful shutdown: let running jobs finish within the grace period.
            if running > 0 {
                logger.info("job runner stopping; waiting for running jobs", metadata: ["running": "\(running)"])
                let grace = configuration.shutdownGracePeriod
                group.addTask { [clock] in
                    try? await clock.sleep(for: grace)
                    return .grace
                }
                while running > 0, let event = await group.next() {
                    switch event {
                    case .finished: running -= 1
                    case .timer: break
                    case .grace:
                        logger.warning("grace period over; cancelling running jobs and releasing their leases")
                        group.cancelAll()
                    }
                }
            }
            group.cancelAll()
        }
        logger.info("job runner stopped", metadata: ["worker": "\(configuration.workerName)"])
    }

    /// Sleeps in short slices so a shutdown is noticed quickly.
    private static func sleep(_ interval: Duration, clock: any Clock<Duration>, unless stopping: @Sendable () -> Bool) async {
        var remaining = interval
        let slice = Duration.milliseconds(50)
        while remaining > .zero, !stopping(), !Task.isCancelled {
            let step = min(slice, remaining)
            try? await clock.sleep(for: step)
            remaining -= step
        }
    }

    private func claim(limit: Int) async throws -> [ClaimedJob] {
        try await queue.claim(
            from: queueNames, owner: configuration.workerName, limit: limit,
            leaseMilliseconds: configuration.leaseMilliseconds, now: wallClock.now())
    }

    /// One attempt: handler, then complete; or retry/dead-letter; or release when cancelled.
    func execute(_ job: ClaimedJob) async {
        failpoint(.cp8)
        let metadata: Logger.Metadata = ["job": "\(job.id)", "queue": "\(job.queue)", "attempt": "\(job.attempt)"]
        guard let handler = handlers[job.queue] else {
            await settle { try await self.queue.deadLetter(job.lease, error: "no handler for queue \(job.queue)", now: self.wallClock.now()) }
            return
        }
        do {
            try await handler(job)
        } catch {
            if Task.isCancelled {
                logger.info("job cancelled by shutdown; releasing its lease", metadata: metadata)
                await settle { try await self.queue.release(job.lease, now: self.wallClock.now()) }
                return
            }
            let now = wallClock.now()
            let description = String(describing: error)
            if job.isLastAttempt {
                logger.error("job failed its last attempt; moved to the dead-letter queue", metadata: metadata.merging(["error": "\(description)"]) { $1 })
                await settle { try await self.queue.deadLetter(job.lease, error: description, now: now) }
            } else {
                let delay = configuration.backoff.delay(forRetry: job.attempt, using: random)
                logger.warning("job failed; retrying", metadata: metadata.merging(["error": "\(description)", "delay_ms": "\(delay)"]) { $1 })
                await settle { try await self.queue.retry(job.lease, error: description, at: now.adding(milliseconds: delay), now: now) }
            }
            return
        }
        failpoint(.cp7)
        await settle { try await self.queue.complete(job.lease) }
    }

    /// Writes a lease outcome outside the caller's cancellation (a cancelled attempt must
    /// still release its lease). A lost lease or a failed write leaves the lease to expire.
    private func settle(_ write: @escaping @Sendable () async throws -> Bool) async {
        let logger = self.logger
        await Task.detached {
            do {
                if try await write() == false {
                    logger.warning("the job's lease was no longer held (it expired and was claimed again)")
                }
            } catch {
                logger.error("recording a job outcome failed; the lease will expire and the job run again", metadata: ["error": "\(error)"])
            }
        }.value
    }
}
