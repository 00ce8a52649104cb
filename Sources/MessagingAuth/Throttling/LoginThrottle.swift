import MessagingCore

/// Counts login failures per account and per client address and says when an attempt
/// must wait.
///
/// Implementers: `admit` must check and record atomically, and must count an admitted
/// attempt as a failure right away (taking it back in `succeeded`), so a burst of parallel
/// guesses is throttled as if the guesses had come one by one. The account key is the
/// normalized handle as typed, whether or not such an account exists, so throttling
/// reveals nothing about which handles exist. Implementations must be safe to call from
/// any task; a multi-node adapter shares the counts between nodes.
public protocol LoginThrottle: Sendable {
    /// Admits an attempt, or returns how long the caller must wait (and records nothing).
    func admit(account: String, address: String?, at now: Timestamp) async -> Duration?

    /// The admitted attempt succeeded: forgets the account's failures and takes back the
    /// address's provisional failure.
    func succeeded(account: String, address: String?, at now: Timestamp) async
}
