/// How repeated login failures for one key (an account or a client address) are slowed down.
///
/// After ``freeFailures`` failures, each further attempt must wait ``baseDelay`` after the
/// previous failure, doubling with every failure up to ``maximumDelay``. A key with no
/// failure for ``forgetAfter`` starts over. An attempt inside the wait is answered
/// `rateLimited` without checking the password, so waiting is the only way forward.
///
/// Thread safety: a value type; safe to share across tasks.
public struct LoginBackoff: Hashable, Sendable {
    /// Failures allowed before any wait.
    public var freeFailures: Int
    /// The first wait.
    public var baseDelay: Duration
    /// The longest wait.
    public var maximumDelay: Duration
    /// Quiet time after which a key's failures are forgotten.
    public var forgetAfter: Duration

    /// Makes a policy.
    public init(freeFailures: Int, baseDelay: Duration, maximumDelay: Duration, forgetAfter: Duration) {
        self.freeFailures = max(0, freeFailures)
        self.baseDelay = max(.milliseconds(1), baseDelay)
        self.maximumDelay = max(self.baseDelay, maximumDelay)
        self.forgetAfter = max(self.maximumDelay, forgetAfter)
    }

    /// Per account: 5 free failures, then 1 s doubling to 15 minutes; forgotten after an hour.
    public static let perAccount = LoginBackoff(
        freeFailures: 5, baseDelay: .seconds(1), maximumDelay: .seconds(15 * 60), forgetAfter: .seconds(3600))
    /// Per client address: 20 free failures (shared networks), then 1 s doubling to 15 minutes; forgotten after an hour.
    public static let perAddress = LoginBackoff(
        freeFailures: 20, baseDelay: .seconds(1), maximumDelay: .seconds(15 * 60), forgetAfter: .seconds(3600))

    /// The wait required after `failures` failures, in milliseconds; 0 while they are free.
    func delayMilliseconds(afterFailures failures: Int) -> Int64 {
        guard failures >= freeFailures else { return 0 }
        let doublings = min(failures - freeFailures, 40)
        let base = baseDelay.milliseconds
        let maximum = maximumDelay.milliseconds
        let (delay, overflow) = base.multipliedReportingOverflow(by: Int64(1) << doublings)
        return overflow ? maximum : min(delay, maximum)
    }
}
