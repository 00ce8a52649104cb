import MessagingCore
import Synchronization

/// The in-process ``LoginThrottle``: counts per account and per address in memory, bounded
/// in size. Counts are per process; a cluster needs a shared adapter.
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks.
public final class InMemoryLoginThrottle: LoginThrottle {
    private let state: Mutex<ThrottleState>

    /// Makes a throttle with the given policies, keeping at most `maximumEntries` keys
    /// (beyond that, the keys idle longest are dropped first).
    public init(
        account: LoginBackoff = .perAccount, address: LoginBackoff = .perAddress, maximumEntries: Int = 100_000
    ) {
        state = Mutex(ThrottleState(account: account, address: address, maximumEntries: max(16, maximumEntries)))
    }

    public func admit(account: String, address: String?, at now: Timestamp) async -> Duration? {
        state.withLock { $0.admit(account: account, address: address, now: now.millisecondsSince1970) }
            .map { .milliseconds($0) }
    }

    public func succeeded(account: String, address: String?, at now: Timestamp) async {
        state.withLock { $0.succeeded(account: account, address: address) }
    }
}

/// The throttle's state and its transitions, as a plain value (unit-testable synchronously).
struct ThrottleState {
    struct Entry {
        var failures: Int
        var lastFailure: Int64
    }

    enum Key: Hashable {
        case account(String)
        case address(String)
    }

    let account: LoginBackoff
    let address: LoginBackoff
    let maximumEntries: Int
    var entries: [Key: Entry] = [:]

    init(account: LoginBackoff, address: LoginBackoff, maximumEntries: Int) {
        self.account = account
        self.address = address
        self.maximumEntries = maximumEntries
    }

    private func policy(_ key: Key) -> LoginBackoff {
        switch key {
        case .account: account
        case .address: address
        }
    }

    private func keys(account: String, address: String?) -> [Key] {
        [.account(account)] + (address.map { [.address($0)] } ?? [])
    }

    /// The live entry of `key` at `now` (forgotten ones read as none).
    private func entry(_ key: Key, now: Int64) -> Entry? {
        guard let entry = entries[key], now - entry.lastFailure < policy(key).forgetAfter.milliseconds else { return nil }
        return entry
    }

    /// Returns the wait in milliseconds, or `nil` after recording the attempt as a failure.
    mutating func admit(account: String, address: String?, now: Int64) -> Int64? {
        let keys = keys(account: account, address: address)
        var wait: Int64 = 0
        for key in keys {
            guard let entry = entry(key, now: now) else { continue }
            let until = entry.lastFailure + policy(key).delayMilliseconds(afterFailures: entry.failures)
            wait = max(wait, until - now)
        }
        if wait > 0 { return wait }
        for key in keys {
            var entry = entry(key, now: now) ?? Entry(failures: 0, lastFailure: now)
            entry.failures += 1
            entry.lastFailure = now
            entries[key] = entry
        }
        if entries.count > maximumEntries { evict(now: now) }
        return nil
    }

    mutating func succeeded(account: String, address: String?) {
        entries[.account(account)] = nil
        if let address, var entry = entries[.address(address)] {
            entry.failures -= 1
            entries[.address(address)] = entry.failures > 0 ? entry : nil
        }
    }

    private mutating func evict(now: Int64) {
        entries = entries.filter { now - $0.value.lastFailure < policy($0.key).forgetAfter.milliseconds }
        guard entries.count > maximumEntries else { return }
        let excess = entries.count - maximumEntries * 9 / 10
        for key in entries.sorted(by: { $0.value.lastFailure < $1.value.lastFailure }).prefix(excess).map(\.key) {
            entries[key] = nil
        }
    }
}
