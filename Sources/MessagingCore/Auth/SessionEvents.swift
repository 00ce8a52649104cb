/// A session that was revoked, as published on ``SessionEvents``.
///
/// Thread safety: a value type; safe to share across tasks.
public struct SessionRevocation: Hashable, Sendable {
    /// The revoked session.
    public let sessionID: SessionID
    /// Its user.
    public let userID: UserID
    /// Why it was revoked.
    public let reason: RevocationReason
    /// When it was revoked.
    public let revokedAt: Timestamp

    /// Makes a revocation event.
    public init(sessionID: SessionID, userID: UserID, reason: RevocationReason, revokedAt: Timestamp) {
        self.sessionID = sessionID
        self.userID = userID
        self.reason = reason
        self.revokedAt = revokedAt
    }
}

/// The feed of session revocations that transports subscribe to, so they can close the
/// open connections of a revoked session (access tokens stay valid until they expire, so
/// this feed is what ends a live connection early).
///
/// Subscribe before authenticating a connection, then drop the connection when its
/// session id is published; a revocation that happens between the two steps is then
/// never missed.
///
/// Implementers: deliver every revocation published after `revocations()` was called to
/// that stream, in publication order, without dropping any (revocations are rare, so an
/// unbounded buffer is acceptable); finish no stream on your own. A multi-node adapter
/// (PostgreSQL LISTEN/NOTIFY, say) delivers revocations published on other nodes too.
/// Implementations must be safe to call from any task.
public protocol SessionEvents: Sendable {
    /// Publishes a revocation to every current subscriber.
    func publish(_ revocation: SessionRevocation) async

    /// A new subscription: every revocation published from now on. Dropping or cancelling
    /// the iteration ends the subscription.
    func revocations() -> AsyncStream<SessionRevocation>
}
