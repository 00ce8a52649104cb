/// Why a session was revoked. Stored with the session and published with its revocation.
///
/// A string-backed struct rather than an enum, so reasons can be added (and rows written
/// by a newer release still read) without breaking exhaustive switches.
///
/// Thread safety: a value type; safe to share across tasks.
public struct RevocationReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The stored name of the reason.
    public let rawValue: String

    /// Wraps a stored reason name.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The owner logged out of this session.
    public static let logout = RevocationReason(rawValue: "logout")
    /// The owner revoked this session from another one.
    public static let revokedByOwner = RevocationReason(rawValue: "revokedByOwner")
    /// The owner logged out everywhere.
    public static let logoutEverywhere = RevocationReason(rawValue: "logoutEverywhere")
    /// The password was changed.
    public static let passwordChanged = RevocationReason(rawValue: "passwordChanged")
    /// The account was disabled.
    public static let accountDisabled = RevocationReason(rawValue: "accountDisabled")
    /// An administrator reset the password.
    public static let passwordReset = RevocationReason(rawValue: "passwordReset")
    /// The account was deleted (by its owner or an administrator).
    public static let accountDeleted = RevocationReason(rawValue: "accountDeleted")
    /// An administrator revoked the session.
    public static let revokedByAdmin = RevocationReason(rawValue: "revokedByAdmin")
    /// A refresh token of this session was presented after it had been rotated (RFC 9700 reuse detection).
    public static let refreshTokenReuse = RevocationReason(rawValue: "refreshTokenReuse")
    /// The session passed its inactivity or absolute lifetime.
    public static let expired = RevocationReason(rawValue: "expired")

    /// Not a revocation: the user's block list changed (``BlockService``). Published on the
    /// ``SessionEvents`` feed (under a session id of its own that names no session) so every
    /// node's transport re-reads the list for the user's open connections; a transport must
    /// close nothing for it.
    public static let blockListChanged = RevocationReason(rawValue: "blockListChanged")

    public var description: String { rawValue }
}
