@testable import MessagingTransport
import Synchronization
import Testing

/// A clock tests move by hand.
final class ManualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let current = Mutex(Instant(offset: .zero))
    var now: Instant { current.withLock { $0 } }
    var minimumResolution: Duration { .nanoseconds(1) }
    func advance(_ duration: Duration) { current.withLock { $0 = $0.advanced(by: duration) } }
    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        while now < deadline { try await Task.sleep(for: .milliseconds(1)) }
    }
}

@Suite("Token buckets")
struct RateLimiterTests {
    @Test("a burst, then one token per 1/rate; the wait is exact; buckets refill to the burst only")
    func buckets() {
        let clock = ManualClock()
        let limiter = RateLimiter(clock: clock)
        let rule = TokenBucketRule(burst: 3, perSecond: 2)
        let key = RateLimiter<ManualClock>.Key(scope: "u:alice", action: .message)
        for _ in 0..<3 { #expect(limiter.take(key, rule: rule) == nil) }
        #expect(limiter.take(key, rule: rule) == .milliseconds(500))
        clock.advance(.milliseconds(250))
        #expect(limiter.take(key, rule: rule) == .milliseconds(250))
        clock.advance(.milliseconds(250))
        #expect(limiter.take(key, rule: rule) == nil)
        // Another scope or action has its own bucket.
        #expect(limiter.take(.init(scope: "u:bob", action: .message), rule: rule) == nil)
        #expect(limiter.take(.init(scope: "u:alice", action: .typing), rule: rule) == nil)
        // A long pause refills to the burst, not beyond.
        clock.advance(.seconds(3600))
        for _ in 0..<3 { #expect(limiter.take(key, rule: rule) == nil) }
        #expect(limiter.take(key, rule: rule) != nil)
        // Pruning drops full buckets only.
        clock.advance(.seconds(10))
        limiter.prune { _ in rule }
        #expect(limiter.count == 0)
    }
}
