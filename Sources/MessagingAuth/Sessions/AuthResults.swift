import MessagingCore

/// An account: the user and its auth record, without the password hash.
///
/// Thread safety: a value type; safe to share across tasks.
public struct Account: Hashable, Sendable {
    /// The user (id, handle, display name).
    public let user: User
    /// Server roles.
    public let roles: Set<ServerRole>
    /// When the account was disabled; `nil` while enabled.
    public let disabledAt: Timestamp?

    init(user: User, credential: AccountCredential) {
        self.user = user
        roles = credential.roles
        disabledAt = credential.disabledAt
    }
}

/// The tokens a login or refresh hands to the client.
///
/// Its description never shows the tokens.
///
/// Thread safety: a value type; safe to share across tasks.
public struct TokenPair: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The short-lived access token.
    public let accessToken: AccessToken
    /// The new refresh token; the one presented (if any) is now spent.
    public let refreshToken: RefreshToken
    /// The session both belong to.
    public let session: AuthSession
    /// When the refresh token stops working if unused (the earlier of the idle timeout and
    /// the session's absolute end): the `Max-Age` for a refresh cookie.
    public let refreshTokenExpiresAt: Timestamp

    public var description: String {
        "TokenPair(session: \(session.id), access: redacted, refresh: redacted, refresh expires: \(refreshTokenExpiresAt.millisecondsSince1970))"
    }
    public var debugDescription: String { description }
}

/// The result of a successful login.
///
/// Thread safety: a value type; safe to share across tasks.
public struct LoginResult: Sendable, CustomStringConvertible {
    /// The account that logged in.
    public let account: Account
    /// The tokens and the new session.
    public let tokens: TokenPair

    public var description: String { "LoginResult(user: \(account.user.id), \(tokens))" }
}
