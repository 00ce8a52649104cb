import MessagingTransport
import Synchronization

/// Token buckets for the HTTP API, keyed by scope (`u:<user>` or `a:<address>`) and action,
/// with the same rules (``MessagingTransport/RateLimits``) the realtime gateway applies.
///
/// Buckets that have refilled completely are dropped once the table passes `pruneThreshold`
/// keys, so memory stays bounded by the number of recently active clients.
///
/// Thread safety: buckets behind a `Mutex`; safe to share across tasks.
final class HTTPRateLimiter<C: Clock>: Sendable where C.Duration == Duration {
    private struct Key: Hashable {
        let scope: String
        let action: RateLimitedAction
    }

    private struct Bucket {
        var tokens: Double
        var updated: C.Instant
        let rule: TokenBucketRule
    }

    /// A cluster-wide check of a per-user rule: the key (`u:<user>:<action>`) and the
    /// requests a rule allows per 10-second window; returns the wait when the cluster used
    /// them up. `nil` on a single node.
    typealias SharedCheck = @Sendable (_ key: String, _ limit: Int) -> Duration?

    private let buckets = Mutex<[Key: Bucket]>([:])
    private let limits: RateLimits
    private let clock: C
    private let pruneThreshold: Int
    private let shared: SharedCheck?

    init(limits: RateLimits, clock: C, pruneThreshold: Int = 10_000, shared: SharedCheck? = nil) {
        self.limits = limits
        self.clock = clock
        self.pruneThreshold = pruneThreshold
        self.shared = shared
    }

    /// Takes one token from the user's and the address's bucket of `action`; returns how long
    /// to wait when either is empty (then neither is charged).
    func admit(_ action: RateLimitedAction, user: String?, address: String) -> Duration? {
        var keys: [(Key, TokenBucketRule)] = []
        if let user, let rule = limits.perUser[action] { keys.append((Key(scope: "u:" + user, action: action), rule)) }
        if let rule = limits.perAddress[action] { keys.append((Key(scope: "a:" + address, action: action), rule)) }
        guard !keys.isEmpty else { return nil }
        let now = clock.now
        return buckets.withLock { buckets -> Duration? in
            if buckets.count > pruneThreshold { Self.prune(&buckets, now: now) }
            var refilled: [(Key, Bucket)] = []
            var wait: Double = 0
            for (key, rule) in keys {
                var bucket = buckets[key] ?? Bucket(tokens: rule.burst, updated: now, rule: rule)
                bucket.tokens = min(rule.burst, bucket.tokens + Self.seconds(bucket.updated.duration(to: now)) * rule.perSecond)
                bucket.updated = now
                if bucket.tokens < 1 { wait = max(wait, (1 - bucket.tokens) / rule.perSecond) }
                refilled.append((key, bucket))
            }
            // This node's buckets allow it: then the cluster's count of the user's rule
            // (which counts only what it admits, so refusals here cost nothing there).
            if wait == 0, let shared, let user, let rule = limits.perUser[action],
                let sharedWait = shared("u:\(user):\(action)", Int(rule.burst + rule.perSecond * 10))
            {
                for (key, bucket) in refilled { buckets[key] = bucket }
                return sharedWait
            }
            for (key, var bucket) in refilled {
                if wait == 0 { bucket.tokens -= 1 }
                buckets[key] = bucket
            }
            return wait == 0 ? nil : .milliseconds(Int64((wait * 1000).rounded(.up)))
        }
    }

    private static func prune(_ buckets: inout [Key: Bucket], now: C.Instant) {
        buckets = buckets.filter { _, bucket in
            bucket.tokens + seconds(bucket.updated.duration(to: now)) * bucket.rule.perSecond < bucket.rule.burst
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        max(0, Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
