import Foundation
import MessagingCore
import PostgresNIO

// MARK: - CredentialStore

extension PostgresTransaction {
    func credential(of user: UserID) throws -> AccountCredential? {
        try fetchOne(
            """
            SELECT user_id, password_hash, roles, created_at, password_changed_at, disabled_at
            FROM credentials WHERE user_id = \(PostgresCoding.uuid(user))
            """, "reading a credential"
        ) { row in
            AccountCredential(
                userID: try row.id(0), passwordHash: PasswordHash(encoded: try row.string(1)),
                roles: try Self.decodeRoles(try row.string(2)), createdAt: try row.timestamp(3),
                passwordChangedAt: try row.timestamp(4), disabledAt: try row.optionalTimestamp(5))
        }
    }

    func insert(_ credential: AccountCredential) throws {
        try execute(
            """
            INSERT INTO credentials (user_id, password_hash, roles, created_at, password_changed_at, disabled_at)
            VALUES (\(PostgresCoding.uuid(credential.userID)), \(credential.passwordHash.encoded), \(Self.encodeRoles(credential.roles)),
                \(credential.createdAt.millisecondsSince1970), \(credential.passwordChangedAt.millisecondsSince1970),
                \(credential.disabledAt?.millisecondsSince1970))
            """, "inserting a credential")
    }

    func updatePasswordHash(of user: UserID, to hash: PasswordHash, changedAt: Timestamp?) throws {
        try execute(
            """
            UPDATE credentials SET password_hash = \(hash.encoded),
                password_changed_at = coalesce(\(changedAt?.millisecondsSince1970)::bigint, password_changed_at)
            WHERE user_id = \(PostgresCoding.uuid(user))
            """, "updating a password hash")
    }

    func setDisabled(_ user: UserID, at time: Timestamp?) throws {
        try execute(
            "UPDATE credentials SET disabled_at = \(time?.millisecondsSince1970) WHERE user_id = \(PostgresCoding.uuid(user))",
            "disabling an account")
    }

    func setRoles(_ roles: Set<ServerRole>, of user: UserID) throws {
        try execute(
            "UPDATE credentials SET roles = \(Self.encodeRoles(roles)) WHERE user_id = \(PostgresCoding.uuid(user))",
            "changing server roles")
    }

    static func encodeRoles(_ roles: Set<ServerRole>) -> String {
        roles.sorted().map(\.rawValue).joined(separator: " ")
    }

    static func decodeRoles(_ text: String) throws -> Set<ServerRole> {
        var roles = Set<ServerRole>()
        for name in text.split(separator: " ") {
            guard let role = try? ServerRole(String(name)) else {
                throw PostgresCoding.corrupt("a credentials row holds an invalid server role")
            }
            roles.insert(role)
        }
        return roles
    }
}

// MARK: - AuthSessionStore

extension PostgresTransaction {
    private static let sessionColumns = """
        id, user_id, device_name, client_address, created_at, last_used_at, expires_at, generation, \
        revoked_at, revocation_reason
        """

    private func decodeSession(_ row: Cells) throws -> AuthSession {
        AuthSession(
            id: try row.id(0), userID: try row.id(1), deviceName: try row.string(2), clientAddress: try row.optionalString(3),
            createdAt: try row.timestamp(4), lastUsedAt: try row.timestamp(5), expiresAt: try row.timestamp(6),
            generation: try row.int64(7), revokedAt: try row.optionalTimestamp(8),
            revocationReason: try row.optionalString(9).map(RevocationReason.init(rawValue:)))
    }

    func insert(_ session: AuthSession, refreshTokenHash: RefreshTokenHash) throws {
        try execute(
            """
            INSERT INTO auth_sessions (id, user_id, device_name, client_address, created_at, last_used_at, expires_at,
                                       refresh_hash, generation, revoked_at, revocation_reason)
            VALUES (\(PostgresCoding.uuid(session.id)), \(PostgresCoding.uuid(session.userID)), \(session.deviceName),
                \(session.clientAddress), \(session.createdAt.millisecondsSince1970), \(session.lastUsedAt.millisecondsSince1970),
                \(session.expiresAt.millisecondsSince1970), \(Data(refreshTokenHash.bytes)), \(session.generation),
                \(session.revokedAt?.millisecondsSince1970), \(session.revocationReason?.rawValue))
            """, "inserting a session")
    }

    func session(id: SessionID) throws -> AuthSession? {
        try fetchOne(
            "SELECT \(unescaped: Self.sessionColumns) FROM auth_sessions WHERE id = \(PostgresCoding.uuid(id))", "reading a session",
            decodeSession)
    }

    func sessions(of user: UserID) throws -> [AuthSession] {
        try fetchAll(
            """
            SELECT \(unescaped: Self.sessionColumns) FROM auth_sessions WHERE user_id = \(PostgresCoding.uuid(user))
            ORDER BY created_at DESC, id DESC
            """, "listing sessions", decodeSession)
    }

    func refreshToken(hash: RefreshTokenHash) throws -> RefreshTokenRecord? {
        let digest = Data(hash.bytes)
        if let current = try fetchOne(
            "SELECT id, generation FROM auth_sessions WHERE refresh_hash = \(digest)", "looking up a refresh token",
            { row in RefreshTokenRecord(sessionID: try row.id(0), generation: try row.int64(1), state: .current) })
        {
            return current
        }
        return try fetchOne(
            "SELECT session_id, generation, rotated_at FROM refresh_token_history WHERE token_hash = \(digest)",
            "looking up a refresh token"
        ) { row in
            RefreshTokenRecord(sessionID: try row.id(0), generation: try row.int64(1), state: .rotated(at: try row.timestamp(2)))
        }
    }

    func rotateRefreshToken(
        of session: SessionID, from current: RefreshTokenHash, to next: RefreshTokenHash, at time: Timestamp,
        clientAddress: String?
    ) throws -> Bool {
        // The compare-and-swap: a concurrent rotation waits for this row's lock, then finds
        // the hash changed and updates nothing.
        let previousGeneration = try fetchOne(
            """
            UPDATE auth_sessions
            SET refresh_hash = \(Data(next.bytes)), generation = generation + 1, last_used_at = \(time.millisecondsSince1970),
                client_address = coalesce(\(clientAddress)::text, client_address)
            WHERE id = \(PostgresCoding.uuid(session)) AND refresh_hash = \(Data(current.bytes)) AND revoked_at IS NULL
            RETURNING generation - 1
            """, "rotating a refresh token") { try $0.int64(0) }
        guard let previousGeneration else { return false }
        try execute(
            """
            INSERT INTO refresh_token_history (token_hash, session_id, generation, rotated_at)
            VALUES (\(Data(current.bytes)), \(PostgresCoding.uuid(session)), \(previousGeneration), \(time.millisecondsSince1970))
            """, "recording a rotated refresh token")
        return true
    }

    func revokeSession(_ id: SessionID, at time: Timestamp, reason: RevocationReason) throws -> Bool {
        let user: UserID? = try fetchOne(
            """
            UPDATE auth_sessions SET revoked_at = \(time.millisecondsSince1970), revocation_reason = \(reason.rawValue)
            WHERE id = \(PostgresCoding.uuid(id)) AND revoked_at IS NULL RETURNING user_id
            """, "revoking a session") { try $0.id(0) }
        guard let user else { return false }
        // Announced to every node before the transaction commits (PostgresSessionEvents).
        record.revocations.append(SessionRevocation(sessionID: id, userID: user, reason: reason, revokedAt: time))
        return true
    }

    func revokeSessions(of user: UserID, at time: Timestamp, reason: RevocationReason) throws -> [SessionID] {
        let revoked: [SessionID] = try fetchAll(
            """
            UPDATE auth_sessions SET revoked_at = \(time.millisecondsSince1970), revocation_reason = \(reason.rawValue)
            WHERE user_id = \(PostgresCoding.uuid(user)) AND revoked_at IS NULL RETURNING id
            """, "revoking sessions") { try $0.id(0) }
        record.revocations += revoked.map { SessionRevocation(sessionID: $0, userID: user, reason: reason, revokedAt: time) }
        return revoked
    }
}
