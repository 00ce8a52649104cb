import Synchronization

/// Token buckets keyed by (scope, action), on an injected clock.
///
/// Thread safety: buckets behind a `Mutex`; safe to share across tasks.
final class RateLimiter<C: Clock>: Sendable where C.Duration == Duration {
    struct Key: Hashable, Sendable {
        let scope: String
        let action: RateLimitedAction
    }

    private struct Bucket {
        var tokens: Double
        var updated: C.Instant
    }

    private let buckets = Mutex<[Key: Bucket]>([:])
    private let clock: C

    init(clock: C) { self.clock = clock }

    /// Takes one token, or returns how long until one is available.
    func take(_ key: Key, rule: TokenBucketRule) -> Duration? {
        let now = clock.now
        return buckets.withLock { buckets -> Duration? in
            var bucket = buckets[key] ?? Bucket(tokens: rule.burst, updated: now)
            let elapsed = Self.seconds(bucket.updated.duration(to: now))
            bucket.tokens = min(rule.burst, bucket.tokens + max(0, elapsed) * rule.perSecond)
            bucket.updated = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            let wait = (1 - bucket.tokens) / rule.perSecond
            return .milliseconds(Int64((wait * 1000).rounded(.up)))
        }
    }

    /// Gives back a token ``take(_:rule:)`` took (the request was refused elsewhere).
    func refund(_ key: Key, rule: TokenBucketRule) {
        buckets.withLock { buckets in
            guard var bucket = buckets[key] else { return }
            bucket.tokens = min(rule.burst, bucket.tokens + 1)
            buckets[key] = bucket
        }
    }

    /// Drops buckets that have refilled completely (they behave exactly like absent ones).
    func prune(rules: (Key) -> TokenBucketRule?) {
        let now = clock.now
        buckets.withLock { buckets in
            buckets = buckets.filter { key, bucket in
                guard let rule = rules(key) else { return false }
                let tokens = bucket.tokens + Self.seconds(bucket.updated.duration(to: now)) * rule.perSecond
                return tokens < rule.burst
            }
        }
    }

    var count: Int { buckets.withLock { $0.count } }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
