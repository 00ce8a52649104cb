/// Request counters that every node of a deployment shares, so a per-user rate limit holds
/// however the user's connections and requests are spread over the nodes.
///
/// Each node keeps its own token buckets as the fast path; a request they allow is then
/// counted here, and refused when the deployment has used up the key's limit in the current
/// window. A single node needs none (`nil` wherever one is taken).
/// `MessagingPostgres.PostgresRateWindows` is the adapter on PostgreSQL.
///
/// Thread safety: implementations are safe to call from any task.
public protocol SharedRateLimit: Sendable {
    /// Counts one request of `key` unless the deployment's count in the current window
    /// reached `limit`; then returns how long until the window ends. Called on every
    /// rate-limited request: it must not block or wait for the network.
    func admit(_ key: String, limit: Int, at now: Timestamp) -> Duration?
}
