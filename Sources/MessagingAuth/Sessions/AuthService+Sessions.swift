import MessagingCore

extension AuthService {
    /// Verifies an access token and checks that its session is still open: what a transport
    /// calls when a connection starts (subscribe to ``events`` first).
    ///
    /// Throws like ``JWTAccessTokens/verify(_:)``, and `sessionRevoked` when the session was
    /// revoked or has ended.
    public func authenticate(_ accessToken: String) async throws(AuthError) -> AuthenticatedPrincipal {
        let principal = try await tokens.verify(accessToken)
        let now = clock.now()
        let open = try await read { transaction -> Bool in
            guard let session = try transaction.session(id: principal.sessionID) else { return false }
            return session.userID == principal.userID && !session.isRevoked && now < session.expiresAt
        }
        guard open else { throw AuthError.sessionRevoked }
        return principal
    }

    /// The open sessions of the principal's user (or, with `includeEnded`, all kept ones), newest first.
    public func sessions(of principal: AuthenticatedPrincipal, includeEnded: Bool = false) async throws(AuthError)
        -> [AuthSession]
    {
        try await sessions(ofUser: principal.userID, includeEnded: includeEnded)
    }

    /// The sessions of any user; requires ``ServerAction/manageAnySession``.
    public func sessions(of user: UserID, by principal: AuthenticatedPrincipal, includeEnded: Bool = false)
        async throws(AuthError) -> [AuthSession]
    {
        if user != principal.userID { try configuration.rolePolicy.require(principal, mayPerform: .manageAnySession) }
        return try await sessions(ofUser: user, includeEnded: includeEnded)
    }

    private func sessions(ofUser user: UserID, includeEnded: Bool) async throws(AuthError) -> [AuthSession] {
        let now = clock.now()
        let idle = configuration.sessionIdleTimeout.milliseconds
        let all = try await read { transaction in try transaction.sessions(of: user) }
        guard !includeEnded else { return all }
        return all.filter { session in
            !session.isRevoked && now < session.expiresAt
                && now.millisecondsSince1970 < session.lastUsedAt.millisecondsSince1970 + idle
        }
    }

    /// Revokes one session. The principal's own sessions: its current one is a logout, another
    /// one "revoked by owner". Another user's session needs ``ServerAction/manageAnySession``;
    /// without it the answer is `notFound`, as for a session that does not exist.
    public func revokeSession(_ id: SessionID, by principal: AuthenticatedPrincipal) async throws(AuthError) {
        let isAdmin = configuration.rolePolicy.allows(principal, to: .manageAnySession)
        let now = clock.now()
        let revocation = try await write { transaction -> SessionRevocation?? in
            guard let session = try transaction.session(id: id), session.userID == principal.userID || isAdmin else {
                return .none
            }
            let reason: RevocationReason =
                session.userID != principal.userID ? .revokedByAdmin : id == principal.sessionID ? .logout : .revokedByOwner
            guard try transaction.revokeSession(id, at: now, reason: reason) else { return .some(nil) }
            return SessionRevocation(sessionID: id, userID: session.userID, reason: reason, revokedAt: now)
        }
        guard let revocation else { throw AuthError(code: .notFound, message: "No such session of yours; list your sessions.") }
        await publish(revocation.map { [$0] } ?? [])
    }

    /// Logs out the session a refresh token belongs to (a browser's logout, which has the
    /// cookie but perhaps no valid access token). Unknown tokens are ignored; a rotated
    /// token revokes its session too, as at refresh.
    public func logout(_ refreshToken: RefreshToken) async throws(AuthError) {
        let hash = refreshToken.hash
        let now = clock.now()
        let revocation = try await write { transaction -> SessionRevocation? in
            guard let record = try transaction.refreshToken(hash: hash), let session = try transaction.session(id: record.sessionID)
            else { return nil }
            let reason: RevocationReason = record.state == .current ? .logout : .refreshTokenReuse
            guard try transaction.revokeSession(session.id, at: now, reason: reason) else { return nil }
            return SessionRevocation(sessionID: session.id, userID: session.userID, reason: reason, revokedAt: now)
        }
        await publish(revocation.map { [$0] } ?? [])
    }

    /// Logs out everywhere: revokes every session of the principal's user (except the
    /// current one when `keepingCurrent`). Returns how many were revoked.
    @discardableResult
    public func revokeAllSessions(of principal: AuthenticatedPrincipal, keepingCurrent: Bool = false) async throws(AuthError)
        -> Int
    {
        let now = clock.now()
        let current = principal.sessionID
        let revoked = try await write { transaction -> [SessionID] in
            guard keepingCurrent else {
                return try transaction.revokeSessions(of: principal.userID, at: now, reason: .logoutEverywhere)
            }
            var ids: [SessionID] = []
            for session in try transaction.sessions(of: principal.userID) where !session.isRevoked && session.id != current {
                if try transaction.revokeSession(session.id, at: now, reason: .logoutEverywhere) { ids.append(session.id) }
            }
            return ids
        }
        await publish(revoked.map {
            SessionRevocation(sessionID: $0, userID: principal.userID, reason: .logoutEverywhere, revokedAt: now)
        })
        return revoked.count
    }
}
