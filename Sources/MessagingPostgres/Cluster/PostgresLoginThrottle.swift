import Logging
import MessagingAuth
import MessagingCore

/// The `MessagingAuth.LoginThrottle` of several nodes on one PostgreSQL database: login
/// failures per account and per client address are counted in the `login_throttle` table,
/// so guesses spread over the nodes are slowed down as if they hit one.
///
/// Each ``admit(account:address:at:)`` is one transaction that locks the (at most two)
/// counter rows, checks the waits of `MessagingAuth.LoginBackoff` and records the attempt
/// as a failure, so parallel guesses on several nodes are counted one by one. Keys are
/// stored as given (the normalized handle, the address), never a password. Rows idle past
/// their policy's `forgetAfter` are removed a hundred at a time as attempts come in.
///
/// When the database cannot be reached, attempts are refused with a one-second wait (the
/// login could not check the password either).
///
/// Thread safety: safe to share across tasks and processes.
public struct PostgresLoginThrottle: LoginThrottle {
    private let store: PostgresMessagingStore
    private let account: LoginBackoff
    private let address: LoginBackoff
    private let logger: Logger

    /// A throttle over the database of `store` with the given policies.
    public init(
        _ store: PostgresMessagingStore, account: LoginBackoff = .perAccount, address: LoginBackoff = .perAddress,
        logger: Logger = Logger(label: "swift-messaging.postgres")
    ) {
        self.store = store
        self.account = account
        self.address = address
        self.logger = logger
    }

    private func keys(account name: String, address ip: String?) -> [(String, LoginBackoff)] {
        // Bounded keys: a hostile client cannot grow a row past a few hundred bytes.
        [("a:" + String(name.prefix(256)), account)] + (ip.map { [("d:" + String($0.prefix(64)), address)] } ?? [])
    }

    public func admit(account name: String, address ip: String?, at now: Timestamp) async -> Duration? {
        let keys = keys(account: name, address: ip)
        let time = now.millisecondsSince1970
        do {
            let wait = try await store.transaction(readOnly: false) { transaction -> Int64 in
                var rows: [String: (failures: Int64, last: Int64)] = [:]
                // Keys in one order ("a:" before "d:") on every node: no deadlock between two admits.
                for (key, _) in keys {
                    try transaction.execute(
                        "INSERT INTO login_throttle (key, failures, last_failure) VALUES (\(key), 0, \(time)) ON CONFLICT (key) DO NOTHING",
                        "creating a login counter")
                    if let row = try transaction.fetchOne(
                        "SELECT failures, last_failure FROM login_throttle WHERE key = \(key) FOR UPDATE", "locking a login counter",
                        { (try $0.int64(0), try $0.int64(1)) })
                    {
                        rows[key] = row
                    }
                }
                var wait: Int64 = 0
                for (key, policy) in keys {
                    guard let row = rows[key], row.failures > 0, time - row.last < policy.forgetAfter.postgresMilliseconds else { continue }
                    wait = max(wait, row.last + policy.postgresDelay(afterFailures: row.failures) - time)
                }
                if wait > 0 { return wait }
                for (key, policy) in keys {
                    let live = rows[key].map { $0.failures > 0 && time - $0.last < policy.forgetAfter.postgresMilliseconds } ?? false
                    try transaction.execute(
                        """
                        UPDATE login_throttle SET failures = \(live ? (rows[key]?.failures ?? 0) + 1 : 1), last_failure = \(time)
                        WHERE key = \(key)
                        """, "counting a login attempt")
                }
                let oldest = time - max(account.forgetAfter.postgresMilliseconds, address.forgetAfter.postgresMilliseconds)
                try transaction.execute(
                    """
                    DELETE FROM login_throttle WHERE key IN (
                        SELECT key FROM login_throttle WHERE last_failure < \(oldest) LIMIT 100 FOR UPDATE SKIP LOCKED)
                    """, "forgetting idle login counters")
                return 0
            }.value
            return wait > 0 ? .milliseconds(wait) : nil
        } catch {
            logger.warning("login throttle unavailable; refusing the attempt", metadata: ["error": "\(error)"])
            return .seconds(1)
        }
    }

    public func succeeded(account name: String, address ip: String?, at now: Timestamp) async {
        let keys = keys(account: name, address: ip)
        do {
            try await store.transaction(readOnly: false) { transaction in
                try transaction.execute("DELETE FROM login_throttle WHERE key = \(keys[0].0)", "forgetting login failures")
                if keys.count > 1 {
                    try transaction.execute(
                        "UPDATE login_throttle SET failures = failures - 1 WHERE key = \(keys[1].0) AND failures > 0",
                        "taking back a login attempt")
                    try transaction.execute(
                        "DELETE FROM login_throttle WHERE key = \(keys[1].0) AND failures <= 0", "forgetting login failures")
                }
            }
        } catch {
            logger.warning("could not record a successful login in the throttle", metadata: ["error": "\(error)"])
        }
    }
}

extension Duration {
    var postgresMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

extension LoginBackoff {
    /// The wait after `failures` failures in milliseconds (as `LoginBackoff` computes it in memory).
    func postgresDelay(afterFailures failures: Int64) -> Int64 {
        guard failures >= Int64(freeFailures) else { return 0 }
        let doublings = min(failures - Int64(freeFailures), 40)
        let base = baseDelay.postgresMilliseconds
        let maximum = maximumDelay.postgresMilliseconds
        let (delay, overflow) = base.multipliedReportingOverflow(by: Int64(1) << doublings)
        return overflow ? maximum : min(delay, maximum)
    }
}
