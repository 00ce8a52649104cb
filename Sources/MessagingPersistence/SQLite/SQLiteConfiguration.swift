/// How ``SQLiteMessagingStore`` opens its database.
///
/// Thread safety: a value type; safe to share across tasks.
public struct SQLiteConfiguration: Hashable, Sendable {
    /// SQLite's `synchronous` setting in WAL mode.
    public enum Synchronous: String, Hashable, Sendable {
        /// Commits survive a crash of the process; the last commits may be lost on power
        /// loss or an OS crash. The default, and SQLite's recommendation for WAL.
        case normal = "NORMAL"
        /// Every commit is fsynced before it returns: commits also survive power loss, at
        /// the price of one fsync per write transaction.
        case full = "FULL"
    }

    /// Durability of commits. Default ``Synchronous/normal``.
    public var synchronous: Synchronous = .normal
    /// How long a write waits for a lock held by another process before failing with a
    /// `storage` error (the wait happens on GRDB's writer queue, never on a caller's thread).
    /// Default 5 seconds.
    public var busyTimeout: Duration = .seconds(5)
    /// Concurrent read connections: this many read-only connections of the store's own (reads
    /// on the calling thread), and as many more in GRDB's pool (reads while they are all busy).
    /// Default 4.
    public var maximumReaderCount: Int = 4
    /// Run a read on the reading task's own thread, on one of the store's own read-only
    /// connections, when one is idle and a lane is free (``maximumCallerThreadOperations``),
    /// instead of on a GRDB reader queue. Saves the hop there and back (an empty read costs
    /// ~7 µs instead of ~110, a keyset page of 50 about 1.2× the raw C statements instead of
    /// ~3.2× in `make bench`). A read there never waits for a lock (no busy timeout;
    /// `SQLITE_BUSY` retries it on the pool), but it holds the thread while SQLite reads the
    /// pages it needs. Default `true`; `false` sends every read to GRDB's pool.
    public var readsOnCallerThread: Bool = true
    /// Run a group commit on the committing task's own thread when SQLite's write lock is
    /// free at once and a lane is free, instead of on GRDB's writer queue. Saves the hop
    /// there and back (a lone send about 2× the raw C statements instead of about 4× in
    /// `make bench`), but a `COMMIT` that checkpoints the WAL `fsync`s on that thread.
    /// Default `true`; `false` sends every commit to the writer's queue.
    public var commitsOnCallerThread: Bool = true
    /// How many reads and commits of this store may run on callers' threads at once (the
    /// rest take GRDB's threads). Swift's cooperative pool has one thread per core, and a
    /// slow disk or a long read holds its thread, so the default leaves one core's thread
    /// free of SQLite: the number of active cores minus one, at least 1. (With no limit, a
    /// parallel test run started right after a large build, the disk busy writing it back,
    /// timed out realtime tests.) 0 turns both options off.
    public var maximumCallerThreadOperations: Int = CallerThreadLanes.defaultLimit
    /// Create the database's parent directory when it is missing. Default `true`.
    public var createsParentDirectory: Bool = true

    /// The defaults listed on each property.
    public init() {}
}
