import Logging
import MessagingCore
import ServiceLifecycle
import Synchronization

/// Fixed-window request counters shared by every node of a cluster, cheap enough for each
/// request: ``admit(_:limit:at:)`` never touches the database; the service (``run()``)
/// flushes the node's counts every ``flushInterval`` in one statement and learns the
/// cluster's totals for the keys it counted.
///
/// A request is refused when the cluster's known total for its key in the current window
/// plus this node's unflushed count reaches the limit. The count is approximate in one
/// direction only: a key's traffic on other nodes since their last flush is not seen yet,
/// so the cluster may admit up to (nodes × requests per flush interval) beyond the limit;
/// it never refuses below it. Windows older than two windows are deleted as flushes go.
///
/// Thread safety: counters behind a `Mutex`; safe to share across tasks.
public final class PostgresRateWindows: SharedRateLimit, Service, Sendable {
    private struct Key: Hashable {
        let key: String
        let window: Int64
    }

    private struct State {
        var pending: [Key: Int64] = [:]
        var known: [Key: Int64] = [:]
    }

    private let store: PostgresMessagingStore
    private let state = Mutex(State())
    private let logger: Logger
    /// The window length.
    public let window: Duration
    /// How often counts are written and totals read.
    public let flushInterval: Duration

    /// Counters in the database of `store`, windows of `window` (at least 1 s), flushed
    /// every `flushInterval` (at least 10 ms).
    public init(
        store: PostgresMessagingStore, window: Duration = .seconds(10), flushInterval: Duration = .milliseconds(500), logger: Logger
    ) {
        self.store = store
        self.window = max(window, .seconds(1))
        self.flushInterval = max(flushInterval, .milliseconds(10))
        self.logger = logger
    }

    private var windowMilliseconds: Int64 { window.postgresMilliseconds }

    /// Counts one request for `key` unless the cluster's count in the current window
    /// reached `limit`; then returns how long until the window ends. Never suspends.
    public func admit(_ key: String, limit: Int, at now: Timestamp) -> Duration? {
        let length = windowMilliseconds
        let start = now.millisecondsSince1970 - now.millisecondsSince1970 % length
        // Bounded keys: a hostile client cannot grow a row past a few hundred bytes.
        let slot = Key(key: String(key.prefix(256)), window: start)
        return state.withLock { state -> Duration? in
            let total = (state.known[slot] ?? 0) + (state.pending[slot] ?? 0)
            guard total < Int64(max(0, limit)) else { return .milliseconds(start + length - now.millisecondsSince1970) }
            state.pending[slot, default: 0] += 1
            return nil
        }
    }

    /// Writes this node's counts and reads the cluster's totals of those keys (one
    /// statement); forgets windows that ended. Counts that could not be written are kept
    /// for the next flush.
    public func flush(at now: Timestamp) async throws {
        let current = now.millisecondsSince1970 - now.millisecondsSince1970 % windowMilliseconds
        let pending = state.withLock { state -> [Key: Int64] in
            defer { state.pending = [:] }
            state.known = state.known.filter { $0.key.window >= current }
            return state.pending
        }
        guard !pending.isEmpty else { return }
        let entries = Array(pending)
        do {
            let totals = try await store.transaction(readOnly: false) { transaction in
                let rows = try transaction.fetchAll(
                    """
                    INSERT INTO rate_windows (key, window_start, count)
                    SELECT * FROM unnest(\(entries.map(\.key.key))::text[], \(entries.map(\.key.window))::bigint[], \(entries.map(\.value))::bigint[])
                    ON CONFLICT (key, window_start) DO UPDATE SET count = rate_windows.count + excluded.count
                    RETURNING key, window_start, count
                    """, "counting requests"
                ) { (Key(key: try $0.string(0), window: try $0.int64(1)), try $0.int64(2)) }
                try transaction.execute(
                    """
                    DELETE FROM rate_windows WHERE (key, window_start) IN (
                        SELECT key, window_start FROM rate_windows WHERE window_start < \(current - 2 * self.windowMilliseconds)
                        LIMIT 1000 FOR UPDATE SKIP LOCKED)
                    """, "forgetting old rate windows")
                return rows
            }.value
            state.withLock { state in
                for (key, total) in totals where key.window >= current { state.known[key] = total }
            }
        } catch {
            state.withLock { state in
                for (key, count) in pending where key.window >= current { state.pending[key, default: 0] += count }
            }
            throw error
        }
    }

    /// Flushes every ``flushInterval`` until cancelled or graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.flushInterval)
                do {
                    try await self.flush(at: SystemWallClock().now())
                } catch {
                    self.logger.warning("could not share rate-limit counts; retrying", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
