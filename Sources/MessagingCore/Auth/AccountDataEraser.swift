/// Erases what the messaging side holds of an account being deleted (devices and their key
/// envelopes, memberships, messages): the step `MessagingAuth.AuthService`'s `deleteAccount` runs after
/// it has disabled the account and revoked its sessions, and before it removes the
/// credential.
///
/// Implementers: make the erasure idempotent (a deletion that failed half-way is run again
/// from the start) and never ask for rights: the caller has checked them.
/// Implementations must be safe to call from any task.
public protocol AccountDataEraser: Sendable {
    /// Erases the messaging data of `user`.
    func eraseData(of user: UserID) async throws
}
