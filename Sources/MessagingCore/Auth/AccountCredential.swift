/// The authentication record of a user: password hash, server roles and disabled state.
///
/// The user's profile (handle, display name) stays in ``User``; this is the row a
/// ``CredentialStore`` keeps beside it.
///
/// Thread safety: a value type; safe to share across tasks.
public struct AccountCredential: Hashable, Sendable {
    /// The user the credential belongs to.
    public let userID: UserID
    /// The encoded password hash.
    public var passwordHash: PasswordHash
    /// Server-level roles.
    public var roles: Set<ServerRole>
    /// When the account was created.
    public let createdAt: Timestamp
    /// When the password was last set by its owner (registration or a change; a rehash does not count).
    public var passwordChangedAt: Timestamp
    /// When the account was disabled; `nil` while it is enabled.
    public var disabledAt: Timestamp?

    /// Makes a credential record.
    public init(
        userID: UserID, passwordHash: PasswordHash, roles: Set<ServerRole>, createdAt: Timestamp,
        passwordChangedAt: Timestamp, disabledAt: Timestamp? = nil
    ) {
        self.userID = userID
        self.passwordHash = passwordHash
        self.roles = roles
        self.createdAt = createdAt
        self.passwordChangedAt = passwordChangedAt
        self.disabledAt = disabledAt
    }

    /// Whether the account is disabled.
    public var isDisabled: Bool { disabledAt != nil }
}
