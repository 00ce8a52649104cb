/// The actions the gateway rate-limits, each with its own token buckets.
///
/// Thread safety: a value type; safe to share across tasks.
public enum RateLimitedAction: String, Hashable, Sendable, CaseIterable {
    /// `auth` attempts (per client address only: the user is not known yet).
    case auth
    /// `send`, `edit`, `delete`.
    case message
    /// `react`, `unreact`.
    case reaction
    /// `read`. (`ack` is not rate-limited: an acknowledgement only moves an in-memory
    /// cursor, and cursors reach storage in batches, so acks are coalesced instead.)
    case read
    /// `typing`.
    case typing
    /// `presence`.
    case presence
    /// `subscribe`, `unsubscribe`, `history`, `replies`, `watch`, `unwatch`, `devices`, `envelopes`,
    /// `feed.subscribe`, `feed.unsubscribe`, `receipts`.
    case query
    /// `ping`, `pong`.
    case keepalive
}

/// A token bucket: `burst` tokens, refilled at `perSecond`; each request takes one.
///
/// Thread safety: a value type; safe to share across tasks.
public struct TokenBucketRule: Hashable, Sendable {
    /// The bucket's capacity (the largest burst).
    public var burst: Double
    /// Tokens added per second.
    public var perSecond: Double

    /// Makes a rule.
    public init(burst: Double, perSecond: Double) {
        self.burst = max(1, burst)
        self.perSecond = max(0.001, perSecond)
    }
}

/// Per-action token-bucket rules, per user and per client address.
///
/// Thread safety: a value type; safe to share across tasks.
public struct RateLimits: Hashable, Sendable {
    /// The rules keyed by user (all the user's connections share one bucket per action).
    public var perUser: [RateLimitedAction: TokenBucketRule]
    /// The rules keyed by client address (every connection from the address shares them).
    public var perAddress: [RateLimitedAction: TokenBucketRule]
    /// Rejections in a row after which the gateway closes the connection with 4429. Default 20.
    public var closeAfterConsecutiveRejections: Int

    /// Makes rules; actions without a rule are not limited.
    public init(
        perUser: [RateLimitedAction: TokenBucketRule], perAddress: [RateLimitedAction: TokenBucketRule],
        closeAfterConsecutiveRejections: Int = 20
    ) {
        self.perUser = perUser
        self.perAddress = perAddress
        self.closeAfterConsecutiveRejections = max(1, closeAfterConsecutiveRejections)
    }

    /// The defaults: per user, 30 messages in a burst then 10 a second; reactions 20/5;
    /// reads 100/50; typing 10/2; presence 10/1; queries 50/20; keepalives 20/2.
    /// Per address (shared by every user behind it): auth 10 then 1 a second, and five
    /// times the per-user rates for the rest.
    public static let `default`: RateLimits = {
        let user: [RateLimitedAction: TokenBucketRule] = [
            .message: .init(burst: 30, perSecond: 10), .reaction: .init(burst: 20, perSecond: 5),
            .read: .init(burst: 100, perSecond: 50), .typing: .init(burst: 10, perSecond: 2),
            .presence: .init(burst: 10, perSecond: 1), .query: .init(burst: 50, perSecond: 20),
            .keepalive: .init(burst: 20, perSecond: 2),
        ]
        var address = user.mapValues { TokenBucketRule(burst: $0.burst * 5, perSecond: $0.perSecond * 5) }
        address[.auth] = .init(burst: 10, perSecond: 1)
        return RateLimits(perUser: user, perAddress: address)
    }()

    /// No limits at all (benchmarks).
    public static let unlimited = RateLimits(perUser: [:], perAddress: [:])
}
