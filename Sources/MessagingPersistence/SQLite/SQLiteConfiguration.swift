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
    /// connections, when one is idle, instead of on a GRDB reader queue. Saves the hop there
    /// and back (an empty read costs ~7 µs instead of ~110, a keyset page of 50 1.2× the raw C
    /// statements instead of ~3.2× in `make bench`); a read never waits for a lock there (no
    /// busy timeout; `SQLITE_BUSY` retries it on the pool). But a page SQLite must read from
    /// the disk is read on that thread: a parallel test run started right after a large
    /// build (the disk busy writing it back) timed out realtime tests this way. Default
    /// `false`; turn it on where the database stays in the page cache and latency matters.
    public var readsOnCallerThread: Bool = false
    /// Run a commit on the committing task's own thread when SQLite's write lock is free at
    /// once, instead of on GRDB's writer queue. Saves the hop there and back (a lone send
    /// cost 2.1× the raw C statements instead of about 4× in `make bench`), but a `COMMIT`
    /// that checkpoints the WAL `fsync`s on that thread: on a cooperative thread, a slow disk
    /// then stalls the other tasks (a parallel test run right after a large build timed out
    /// this way). Default `false`; turn it on where the disk is fast and latency matters.
    public var commitsOnCallerThread: Bool = false
    /// Create the database's parent directory when it is missing. Default `true`.
    public var createsParentDirectory: Bool = true

    /// The defaults listed on each property.
    public init() {}
}
