/// What a server tells its clients about heartbeats: how often to send them and how long
/// a device stays online without one.
///
/// A client waits a random delay from ``delayRange`` after each heartbeat, so clients that
/// reconnected together do not heartbeat in lockstep.
///
/// Thread safety: a value type; safe to share across tasks.
public struct HeartbeatSchedule: Hashable, Sendable {
    /// The longest a client should wait between two heartbeats.
    public var interval: Duration
    /// How much earlier than ``interval`` a client may heartbeat.
    public var jitter: Duration
    /// How long after its last heartbeat a device goes offline.
    public var deviceTTL: Duration

    /// Makes a schedule.
    public init(interval: Duration, jitter: Duration, deviceTTL: Duration) {
        self.interval = interval
        self.jitter = jitter
        self.deviceTTL = deviceTTL
    }

    /// The delays a client chooses from: `interval - jitter ... interval`.
    public var delayRange: ClosedRange<Duration> { (interval - jitter)...interval }

    /// A random delay from ``delayRange``, to the millisecond.
    public func nextDelay<Generator: RandomNumberGenerator>(using generator: inout Generator) -> Duration {
        let jitterMilliseconds = Milliseconds(jitter)
        guard jitterMilliseconds > 0 else { return interval }
        return interval - .milliseconds(Int64.random(in: 0...jitterMilliseconds, using: &generator))
    }

    /// A random delay from ``delayRange`` using the system's generator.
    public func nextDelay() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return nextDelay(using: &generator)
    }
}
