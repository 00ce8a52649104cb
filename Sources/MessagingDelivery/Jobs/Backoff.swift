/// A source of random numbers for jitter; inject a fixed one in tests.
///
/// Implementations must be safe to call from any task.
public protocol RandomSource: Sendable {
    /// A uniformly distributed number in `0...upperBound`.
    func next(upTo upperBound: UInt64) -> UInt64
}

/// The system's random numbers.
///
/// Thread safety: stateless; safe to share across tasks.
public struct SystemRandomSource: RandomSource {
    /// Makes the source.
    public init() {}

    public func next(upTo upperBound: UInt64) -> UInt64 {
        UInt64.random(in: 0...upperBound)
    }
}

/// Exponential backoff with full jitter: the delay before retry `n` (1 for the first
/// retry) is uniform in `0...min(cap, base × 2^(n-1))`, in milliseconds.
///
/// Thread safety: a value type; safe to share across tasks.
public struct Backoff: Hashable, Sendable {
    /// The bound of the first delay.
    public var baseMilliseconds: Int64
    /// The largest bound.
    public var capMilliseconds: Int64

    /// Makes a policy; defaults 1 s base, 10 min cap.
    public init(baseMilliseconds: Int64 = 1_000, capMilliseconds: Int64 = 600_000) {
        self.baseMilliseconds = max(1, baseMilliseconds)
        self.capMilliseconds = max(self.baseMilliseconds, capMilliseconds)
    }

    /// The upper bound of the delay before retry `retry` (1-based).
    public func bound(forRetry retry: Int) -> Int64 {
        let shift = min(max(0, retry - 1), 62)
        let (scaled, overflow) = baseMilliseconds.multipliedReportingOverflow(by: Int64(1) << shift)
        return overflow ? capMilliseconds : min(capMilliseconds, scaled)
    }

    /// A delay for retry `retry` drawn from `random`.
    public func delay(forRetry retry: Int, using random: any RandomSource) -> Int64 {
        Int64(random.next(upTo: UInt64(bound(forRetry: retry))))
    }
}
