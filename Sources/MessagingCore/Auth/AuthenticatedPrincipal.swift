/// Who a verified access token speaks for: the user, the session and the server roles.
///
/// Transports and the gateway receive this from an ``AccessTokenVerifier`` and never see
/// the token's format.
///
/// Thread safety: a value type; safe to share across tasks.
public struct AuthenticatedPrincipal: Hashable, Sendable {
    /// The user (`sub`).
    public let userID: UserID
    /// The session (`sid`); its revocation is published on ``SessionEvents``.
    public let sessionID: SessionID
    /// The server-level roles (`roles`).
    public let roles: Set<ServerRole>
    /// When the token was issued (`iat`).
    public let issuedAt: Timestamp
    /// When the token expires (`exp`).
    public let expiresAt: Timestamp

    /// Makes a principal.
    public init(userID: UserID, sessionID: SessionID, roles: Set<ServerRole>, issuedAt: Timestamp, expiresAt: Timestamp) {
        self.userID = userID
        self.sessionID = sessionID
        self.roles = roles
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }

    /// Whether the principal holds `role`.
    public func has(_ role: ServerRole) -> Bool { roles.contains(role) }
}

/// Verifies access tokens for transports and the gateway, without tying them to a token
/// format or library.
///
/// Implementers: verify the signature with a configured key only (never a key named by
/// the token itself), the algorithm, the expiry and the intended issuer and audience;
/// throw an error with a stable code for every rejected token and never include the token
/// in it. Implementations must be safe to call from any task.
public protocol AccessTokenVerifier: Sendable {
    /// Verifies a compact access token and returns whom it speaks for.
    func verify(_ token: String) async throws -> AuthenticatedPrincipal
}
