@testable import MessagingTransport
import MessagingTesting
import Synchronization
import Testing

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
        clock.advance(by: .milliseconds(250))
        #expect(limiter.take(key, rule: rule) == .milliseconds(250))
        clock.advance(by: .milliseconds(250))
        #expect(limiter.take(key, rule: rule) == nil)
        // Another scope or action has its own bucket.
        #expect(limiter.take(.init(scope: "u:bob", action: .message), rule: rule) == nil)
        #expect(limiter.take(.init(scope: "u:alice", action: .typing), rule: rule) == nil)
        // A long pause refills to the burst, not beyond.
        clock.advance(by: .seconds(3600))
        for _ in 0..<3 { #expect(limiter.take(key, rule: rule) == nil) }
        #expect(limiter.take(key, rule: rule) != nil)
        // Pruning drops full buckets only.
        clock.advance(by: .seconds(10))
        limiter.prune { _ in rule }
        #expect(limiter.count == 0)
    }
}
