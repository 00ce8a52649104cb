import MessagingCore

extension AuthService {
    /// What one refresh transaction decided; revocations it made are published after commit.
    private enum RefreshOutcome: Sendable {
        case rotated(AuthSession, Set<ServerRole>)
        case unknown
        case revoked(SessionRevocation?)
        case expired(SessionRevocation?)
        case reused(SessionRevocation?)
        case conflict
    }

    /// Exchanges a refresh token for a new access token and a new refresh token.
    ///
    /// The presented token is spent. Presenting it again revokes the whole session
    /// (`refreshTokenReused`, RFC 9700), unless a ``AuthConfiguration/reuseGracePeriod`` is
    /// set and it was rotated moments ago (`refreshConflict`). Of two concurrent refreshes
    /// of one token exactly one succeeds. A session past its idle timeout or absolute
    /// lifetime is revoked and answered `tokenExpired`; a revoked one `sessionRevoked`; an
    /// unknown token `invalidToken`.
    ///
    /// - Parameters:
    ///   - presented: the refresh token the client holds.
    ///   - clientAddress: the client's address, recorded as the session's last seen one.
    public func refresh(_ presented: RefreshToken, clientAddress: String? = nil) async throws(AuthError) -> TokenPair {
        let now = clock.now()
        let presentedHash = presented.hash
        let next = RefreshToken.generate()
        let nextHash = next.hash
        let idle = configuration.sessionIdleTimeout.milliseconds
        let grace = configuration.reuseGracePeriod.milliseconds
        let address = try Self.checkedAddress(clientAddress)

        let outcome = try await write { transaction -> RefreshOutcome in
            guard let record = try transaction.refreshToken(hash: presentedHash),
                let session = try transaction.session(id: record.sessionID)
            else { return .unknown }
            func revoke(_ reason: RevocationReason) throws -> SessionRevocation? {
                guard try transaction.revokeSession(session.id, at: now, reason: reason) else { return nil }
                return SessionRevocation(sessionID: session.id, userID: session.userID, reason: reason, revokedAt: now)
            }
            if session.isRevoked { return .revoked(nil) }
            if case .rotated(let rotatedAt) = record.state {
                if grace > 0, record.generation == session.generation - 1,
                    now.millisecondsSince1970 - rotatedAt.millisecondsSince1970 < grace
                {
                    return .conflict
                }
                return .reused(try revoke(.refreshTokenReuse))
            }
            if now >= session.expiresAt || now.millisecondsSince1970 >= session.lastUsedAt.millisecondsSince1970 + idle {
                return .expired(try revoke(.expired))
            }
            guard let credential = try transaction.credential(of: session.userID), !credential.isDisabled else {
                return .revoked(try revoke(.accountDisabled))
            }
            guard try transaction.rotateRefreshToken(
                of: session.id, from: presentedHash, to: nextHash, at: now, clientAddress: address)
            else {
                // Only a store without serialized writes gets here: another refresh won the swap.
                return grace > 0 ? .conflict : .reused(try revoke(.refreshTokenReuse))
            }
            var rotated = session
            rotated.generation += 1
            rotated.lastUsedAt = now
            if let address { rotated.clientAddress = address }
            return .rotated(rotated, credential.roles)
        }

        switch outcome {
        case .rotated(let session, let roles):
            return try await tokenPair(for: session, roles: roles, refreshToken: next)
        case .unknown:
            throw AuthError.invalidToken("the refresh token is unknown")
        case .revoked(let revocation):
            await publish(revocation.map { [$0] } ?? [])
            throw AuthError.sessionRevoked
        case .conflict:
            throw AuthError(
                code: .refreshConflict,
                message: "This refresh token was just used by another request; use the tokens that request received.")
        case .expired(let revocation):
            await publish(revocation.map { [$0] } ?? [])
            throw AuthError(code: .tokenExpired, message: "The session has expired; log in again.")
        case .reused(let revocation):
            if let revocation {
                logger.warning(
                    "refresh token reuse detected; session revoked",
                    metadata: ["session": "\(revocation.sessionID)", "user": "\(revocation.userID)"])
                await publish([revocation])
            }
            throw AuthError(
                code: .refreshTokenReused,
                message: "This refresh token was already used, so the session was ended as a precaution. Log in again.")
        }
    }

    /// Parses an encoded refresh token and refreshes with it; `invalidToken` when it is malformed.
    public func refresh(encoded: String, clientAddress: String? = nil) async throws(AuthError) -> TokenPair {
        guard let token = RefreshToken(encoded: encoded) else { throw AuthError.invalidToken("the refresh token is malformed") }
        return try await refresh(token, clientAddress: clientAddress)
    }

    static func checkedAddress(_ address: String?) throws(AuthError) -> String? {
        guard let address else { return nil }
        do {
            return try ClientInfo(deviceName: "-", address: address).address
        } catch {
            throw AuthError.wrapping(error)
        }
    }
}
