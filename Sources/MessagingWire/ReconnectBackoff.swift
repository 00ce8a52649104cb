/// The client reconnect rule of protocol v1 (Documentation/Protocol.md §10): full-jitter
/// exponential backoff whose attempt count resets as soon as a connection was **ready and
/// caught up** (its `subscribe`s answered), not after it stayed up for some time.
///
/// Resetting on "ready and caught up" keeps a client online through a server restart loop:
/// every successful connection returns the next wait to the base delay, while a server that
/// refuses or drops connections before they are useful still gets exponentially fewer
/// attempts.
///
/// ```swift
/// var backoff = ReconnectBackoff()
/// while true {
///     let caughtUp = await connectAndFollow()      // true once ready + subscribes answered
///     if caughtUp { backoff.reset() }
///     try await Task.sleep(for: backoff.nextDelay(closeCode: close?.code, retryAfterMilliseconds: retry))
/// }
/// ```
///
/// Thread safety: a value type; give each reconnect loop its own.
public struct ReconnectBackoff: Sendable {
    /// The first delay bound (§10: 250 ms).
    public static let defaultBase: Duration = .milliseconds(250)
    /// The largest delay bound (§10: 15 s).
    public static let defaultCap: Duration = .seconds(15)

    /// The first delay bound.
    public let base: Duration
    /// The largest delay bound.
    public let cap: Duration
    /// Failed connections since the last one that was ready and caught up.
    public private(set) var attempt = 0
    private var random: any RandomNumberGenerator & Sendable

    /// Makes the rule with the documented bounds (or others), drawing jitter from `random`.
    public init(
        base: Duration = ReconnectBackoff.defaultBase, cap: Duration = ReconnectBackoff.defaultCap,
        random: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) {
        self.base = max(.milliseconds(1), base)
        self.cap = max(self.base, cap)
        self.random = random
    }

    /// A connection reached `ready` and every `subscribe` was answered: the next wait starts
    /// from the base again.
    public mutating func reset() { attempt = 0 }

    /// The bound of the next delay: `min(cap, base × 2^attempt)`.
    public var currentBound: Duration {
        let shift = min(attempt, 30)
        let bound = base * (1 << shift)
        return bound < cap ? bound : cap
    }

    /// How long to wait before the next connection attempt after one ended: a uniform draw
    /// from `0...currentBound` (full jitter), at least `retryAfterMilliseconds` (4429), and
    /// zero for the first 4410 (resync) after a caught-up connection. Counts the attempt.
    public mutating func nextDelay(closeCode: CloseCode? = nil, retryAfterMilliseconds: Int64? = nil) -> Duration {
        defer { attempt += 1 }
        if closeCode == .resyncRequired, attempt == 0 { return .zero }
        let boundMilliseconds = max(1, Int64(currentBound / .milliseconds(1)))
        var jitter = Duration.milliseconds(Int64.random(in: 0...boundMilliseconds, using: &random))
        if let retryAfterMilliseconds, retryAfterMilliseconds > 0 {
            jitter = max(jitter, .milliseconds(min(retryAfterMilliseconds, 3_600_000)))
        }
        return jitter
    }
}
