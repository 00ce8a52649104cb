/// The storage port of the auth layer: serialized write transactions and snapshot reads
/// over users, credentials and sessions.
///
/// The auth use cases make every decision about a refresh token (current or rotated,
/// expired, revoked) and its rotation inside one `write` closure, so two concurrent
/// refreshes of the same token cannot both succeed.
///
/// Implementers: `write` must run the closure in one serializable transaction (SQLite:
/// `BEGIN IMMEDIATE`), commit when it returns and roll back when it throws, rethrowing the
/// error unchanged; engine errors are thrown as ``MessagingError`` with code `storage`
/// (`conflict` for a unique-constraint violation), and their messages must not contain
/// statement arguments (they hold password and token hashes). `read` must see one
/// consistent snapshot. Implementations must be safe to call from any task.
public protocol AuthStore: Sendable {
    /// Runs `body` in a read-only transaction that sees one committed snapshot.
    func read<Result: Sendable>(_ body: @Sendable (any AuthTransaction) throws -> Result) async throws -> Result

    /// Runs `body` in a write transaction; writes are serialized.
    func write<Result: Sendable>(_ body: @Sendable (any AuthTransaction) throws -> Result) async throws -> Result
}

/// Everything an auth use case can do inside one transaction.
///
/// A transaction value is valid only inside the closure it was handed to and must not
/// escape it or be used from another thread.
public protocol AuthTransaction: UserStore, CredentialStore, AuthSessionStore, AccountErasureStore {}

/// Password hashes, server roles and the disabled flag of accounts.
public protocol CredentialStore {
    /// The credential of `user`, if any.
    func credential(of user: UserID) throws -> AccountCredential?
    /// Inserts a credential; throws `conflict` when the user already has one.
    func insert(_ credential: AccountCredential) throws
    /// Replaces the password hash; sets `passwordChangedAt` when `changedAt` is given
    /// (a change by the owner), keeps it when `nil` (a rehash with new parameters).
    func updatePasswordHash(of user: UserID, to hash: PasswordHash, changedAt: Timestamp?) throws
    /// Disables (`at` given) or enables (`nil`) the account.
    func setDisabled(_ user: UserID, at time: Timestamp?) throws
    /// Replaces the server roles.
    func setRoles(_ roles: Set<ServerRole>, of user: UserID) throws
}

/// Login sessions and the hashes of their refresh tokens.
///
/// Implementers keep the current token hash of each session and the hashes of every
/// token rotated away (until the session itself is removed), so a rotated token can be
/// recognized as reused.
public protocol AuthSessionStore {
    /// Inserts a session whose current refresh token hash is `refreshTokenHash`.
    func insert(_ session: AuthSession, refreshTokenHash: RefreshTokenHash) throws
    /// The session with `id`, if any (revoked ones included).
    func session(id: SessionID) throws -> AuthSession?
    /// The sessions of `user`, revoked ones included, newest first.
    func sessions(of user: UserID) throws -> [AuthSession]
    /// What is known about a refresh token hash: the session it belongs to and whether it
    /// is that session's current token or a rotated one; `nil` when unknown.
    func refreshToken(hash: RefreshTokenHash) throws -> RefreshTokenRecord?
    /// Compare-and-swap: when `session` is not revoked and its current token hash is
    /// `current`, makes `next` the current hash, records `current` as rotated at `time`,
    /// increments the generation, sets `lastUsedAt` to `time` and, when given, the client
    /// address; returns `true`. Otherwise changes nothing and returns `false`.
    func rotateRefreshToken(
        of session: SessionID, from current: RefreshTokenHash, to next: RefreshTokenHash, at time: Timestamp,
        clientAddress: String?
    ) throws -> Bool
    /// Revokes one session that is not yet revoked; returns `false` when it was already
    /// revoked or does not exist.
    func revokeSession(_ id: SessionID, at time: Timestamp, reason: RevocationReason) throws -> Bool
    /// Revokes every session of `user` that is not yet revoked; returns their ids.
    func revokeSessions(of user: UserID, at time: Timestamp, reason: RevocationReason) throws -> [SessionID]
}

/// The auth side of deleting an account.
public protocol AccountErasureStore {
    /// Deletes the credential of `user`, every session of it and the hashes of their refresh
    /// tokens, and replaces the user's display name with `displayName`. The user row (id and
    /// handle) stays: messages, events and tombstones refer to it, and the handle stays taken.
    func eraseCredentialAndSessions(of user: UserID, displayName: String) throws
}
