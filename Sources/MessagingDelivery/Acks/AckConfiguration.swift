/// Settings of an ``AckTracker``.
///
/// Thread safety: a value type; safe to share across tasks.
public struct AckConfiguration: Hashable, Sendable {
    /// How long a delivered event may stay unacknowledged before it is resent. Default 5 s.
    public var ackTimeout: Duration
    /// Extra delay after each resend: full jitter in `0...min(cap, base × 2^(n-1))`
    /// milliseconds for resend `n`. Default 1 s base, 30 s cap.
    public var redeliveryBackoff: Backoff
    /// Resends before the device is treated as offline for the conversation (and a
    /// notification job is enqueued). Default 5.
    public var maxRedeliveries: Int
    /// How often the tracker checks deadlines. Default 250 ms.
    public var tickInterval: Duration
    /// How often the fan-out hub's ordering gaps are checked; a gap still open at two
    /// consecutive checks (an event whose publisher died after commit) is skipped and the
    /// affected sessions resync. Default 1 s: shorter values skip gaps that a loaded machine
    /// would still have filled.
    public var gapSweepInterval: Duration
    /// Cursors are persisted at least this often when some changed. Default 1 s.
    public var cursorFlushInterval: Duration
    /// ...or as soon as this many changed. Default 500.
    public var cursorBatchSize: Int
    /// Events per store page when resending. Default 200.
    public var redeliveryPageSize: Int
    /// Batch window of the offline notifications the tracker enqueues. Default 30 s.
    public var notificationWindowMilliseconds: Int64

    /// Makes settings; every value has the default listed on its property.
    public init(
        ackTimeout: Duration = .seconds(5), redeliveryBackoff: Backoff = Backoff(baseMilliseconds: 1_000, capMilliseconds: 30_000),
        maxRedeliveries: Int = 5, tickInterval: Duration = .milliseconds(250), cursorFlushInterval: Duration = .seconds(1),
        cursorBatchSize: Int = 500, redeliveryPageSize: Int = 200, notificationWindowMilliseconds: Int64 = 30_000,
        gapSweepInterval: Duration = .seconds(1)
    ) {
        self.gapSweepInterval = gapSweepInterval
        self.ackTimeout = ackTimeout
        self.redeliveryBackoff = redeliveryBackoff
        self.maxRedeliveries = max(0, maxRedeliveries)
        self.tickInterval = tickInterval
        self.cursorFlushInterval = cursorFlushInterval
        self.cursorBatchSize = max(1, cursorBatchSize)
        self.redeliveryPageSize = max(1, redeliveryPageSize)
        self.notificationWindowMilliseconds = max(0, notificationWindowMilliseconds)
    }
}

/// What an acknowledgement did.
public enum AckOutcome: Hashable, Sendable {
    /// The cursor moved forward to this `seq`.
    case advanced(to: Int64)
    /// The `seq` was at or below the cursor (a duplicate or stale acknowledgement): nothing changed.
    case unchanged(cursor: Int64)
}
