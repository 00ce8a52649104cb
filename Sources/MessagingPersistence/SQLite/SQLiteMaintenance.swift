import Logging
import MessagingCore
import ServiceLifecycle

/// Periodically removes expired rows (idempotency records, and login sessions past their
/// absolute lifetime with their rotated refresh-token hashes) in bounded batches, so no
/// sweep holds the write lock for long. Run it in the host's `ServiceGroup`.
///
/// Thread safety: immutable; safe to share across tasks.
public struct SQLiteMaintenance: Service {
    private let store: SQLiteMessagingStore
    private let clock: any WallClock
    private let interval: Duration
    private let batchSize: Int
    private let maxBatchesPerRun: Int
    private let logger: Logger

    /// Sweeps every `interval`, at most `maxBatchesPerRun` batches of `batchSize` rows each time.
    public init(
        store: SQLiteMessagingStore, clock: any WallClock = SystemWallClock(), interval: Duration = .seconds(60),
        batchSize: Int = 500, maxBatchesPerRun: Int = 20, logger: Logger = Logger(label: "swift-messaging.sqlite.maintenance")
    ) {
        self.store = store
        self.clock = clock
        self.interval = interval
        self.batchSize = max(1, batchSize)
        self.maxBatchesPerRun = max(1, maxBatchesPerRun)
        self.logger = logger
    }

    /// Runs until the task is cancelled or graceful shutdown begins.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
                do {
                    _ = try await sweepOnce()
                } catch {
                    logger.warning("expiry sweep failed; retrying next interval", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// One bounded sweep; returns the number of rows removed (idempotency records plus sessions).
    public func sweepOnce() async throws -> Int {
        var removed = 0
        for _ in 0..<maxBatchesPerRun {
            let count = try await store.deleteExpiredRecords(before: clock.now(), batchSize: batchSize)
            removed += count
            if count < batchSize { break }
        }
        let authStore = store.authStore
        for _ in 0..<maxBatchesPerRun {
            let count = try await authStore.deleteExpiredSessions(before: clock.now(), batchSize: batchSize)
            removed += count
            if count < batchSize { break }
        }
        if removed > 0 { logger.debug("removed expired rows", metadata: ["count": "\(removed)"]) }
        return removed
    }
}
