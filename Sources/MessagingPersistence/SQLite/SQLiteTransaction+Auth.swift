import Foundation
import GRDB
import MessagingCore

extension SQLiteTransaction: AuthTransaction {}

// MARK: - CredentialStore

extension SQLiteTransaction {
    func credential(of user: UserID) throws -> AccountCredential? {
        try fetchOne(
            """
            SELECT user_id, password_hash, roles, created_at, password_changed_at, disabled_at
            FROM credentials WHERE user_id = ?
            """,
            [RowCoding.blob(user)]
        ) { row in
            AccountCredential(
                userID: try RowCoding.id(row, 0), passwordHash: PasswordHash(encoded: row[1]),
                roles: try Self.decodeRoles(row[2]), createdAt: RowCoding.timestamp(row, 3),
                passwordChangedAt: RowCoding.timestamp(row, 4), disabledAt: RowCoding.optionalTimestamp(row, 5))
        }
    }

    func insert(_ credential: AccountCredential) throws {
        try execute(
            """
            INSERT INTO credentials (user_id, password_hash, roles, created_at, password_changed_at, disabled_at)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            [
                RowCoding.blob(credential.userID), credential.passwordHash.encoded, Self.encodeRoles(credential.roles),
                credential.createdAt.millisecondsSince1970, credential.passwordChangedAt.millisecondsSince1970,
                credential.disabledAt?.millisecondsSince1970,
            ])
    }

    func updatePasswordHash(of user: UserID, to hash: PasswordHash, changedAt: Timestamp?) throws {
        try execute(
            """
            UPDATE credentials SET password_hash = ?, password_changed_at = coalesce(?, password_changed_at)
            WHERE user_id = ?
            """,
            [hash.encoded, changedAt?.millisecondsSince1970, RowCoding.blob(user)])
    }

    func setDisabled(_ user: UserID, at time: Timestamp?) throws {
        try execute(
            "UPDATE credentials SET disabled_at = ? WHERE user_id = ?", [time?.millisecondsSince1970, RowCoding.blob(user)])
    }

    func setRoles(_ roles: Set<ServerRole>, of user: UserID) throws {
        try execute("UPDATE credentials SET roles = ? WHERE user_id = ?", [Self.encodeRoles(roles), RowCoding.blob(user)])
    }

    /// Roles are stored sorted and space-separated (role names contain no spaces).
    static func encodeRoles(_ roles: Set<ServerRole>) -> String {
        roles.sorted().map(\.rawValue).joined(separator: " ")
    }

    static func decodeRoles(_ text: String) throws -> Set<ServerRole> {
        var roles = Set<ServerRole>()
        for name in text.split(separator: " ") {
            guard let role = try? ServerRole(String(name)) else {
                throw RowCoding.corrupt("a credentials row holds an invalid server role")
            }
            roles.insert(role)
        }
        return roles
    }
}

// MARK: - AuthSessionStore

extension SQLiteTransaction {
    private static let sessionColumns = """
        id, user_id, device_name, client_address, created_at, last_used_at, expires_at, generation, \
        revoked_at, revocation_reason
        """

    private func decodeSession(_ row: Row) throws -> AuthSession {
        AuthSession(
            id: try RowCoding.id(row, 0), userID: try RowCoding.id(row, 1), deviceName: row[2], clientAddress: row[3],
            createdAt: RowCoding.timestamp(row, 4), lastUsedAt: RowCoding.timestamp(row, 5),
            expiresAt: RowCoding.timestamp(row, 6), generation: row[7], revokedAt: RowCoding.optionalTimestamp(row, 8),
            revocationReason: (row[9] as String?).map(RevocationReason.init(rawValue:)))
    }

    func insert(_ session: AuthSession, refreshTokenHash: RefreshTokenHash) throws {
        try execute(
            """
            INSERT INTO auth_sessions (id, user_id, device_name, client_address, created_at, last_used_at, expires_at,
                                       refresh_hash, generation, revoked_at, revocation_reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                RowCoding.blob(session.id), RowCoding.blob(session.userID), session.deviceName, session.clientAddress,
                session.createdAt.millisecondsSince1970, session.lastUsedAt.millisecondsSince1970,
                session.expiresAt.millisecondsSince1970, Data(refreshTokenHash.bytes), session.generation,
                session.revokedAt?.millisecondsSince1970, session.revocationReason?.rawValue,
            ])
    }

    func session(id: SessionID) throws -> AuthSession? {
        try fetchOne("SELECT \(Self.sessionColumns) FROM auth_sessions WHERE id = ?", [RowCoding.blob(id)], decodeSession)
    }

    func sessions(of user: UserID) throws -> [AuthSession] {
        try fetchAll(
            "SELECT \(Self.sessionColumns) FROM auth_sessions WHERE user_id = ? ORDER BY created_at DESC, id DESC",
            [RowCoding.blob(user)], decodeSession)
    }

    func refreshToken(hash: RefreshTokenHash) throws -> RefreshTokenRecord? {
        let digest = Data(hash.bytes)
        if let current = try fetchOne(
            "SELECT id, generation FROM auth_sessions WHERE refresh_hash = ?", [digest],
            { row in RefreshTokenRecord(sessionID: try RowCoding.id(row, 0), generation: row[1], state: .current) })
        {
            return current
        }
        return try fetchOne(
            "SELECT session_id, generation, rotated_at FROM refresh_token_history WHERE token_hash = ?", [digest]
        ) { row in
            RefreshTokenRecord(
                sessionID: try RowCoding.id(row, 0), generation: row[1], state: .rotated(at: RowCoding.timestamp(row, 2)))
        }
    }

    func rotateRefreshToken(
        of session: SessionID, from current: RefreshTokenHash, to next: RefreshTokenHash, at time: Timestamp,
        clientAddress: String?
    ) throws -> Bool {
        // The compare-and-swap: only the transaction that still sees `current` as the
        // session's token moves it; the history row records the old hash for reuse detection.
        let previousGeneration = try Int64.fetchOne(
            statement(
                """
                UPDATE auth_sessions
                SET refresh_hash = ?, generation = generation + 1, last_used_at = ?,
                    client_address = coalesce(?, client_address)
                WHERE id = ? AND refresh_hash = ? AND revoked_at IS NULL
                RETURNING generation - 1
                """),
            arguments: [
                Data(next.bytes), time.millisecondsSince1970, clientAddress, RowCoding.blob(session), Data(current.bytes),
            ])
        guard let previousGeneration else { return false }
        try execute(
            "INSERT INTO refresh_token_history (token_hash, session_id, generation, rotated_at) VALUES (?, ?, ?, ?)",
            [Data(current.bytes), RowCoding.blob(session), previousGeneration, time.millisecondsSince1970])
        return true
    }

    func revokeSession(_ id: SessionID, at time: Timestamp, reason: RevocationReason) throws -> Bool {
        try execute(
            "UPDATE auth_sessions SET revoked_at = ?, revocation_reason = ? WHERE id = ? AND revoked_at IS NULL",
            [time.millisecondsSince1970, reason.rawValue, RowCoding.blob(id)])
        return db.changesCount == 1
    }

    func revokeSessions(of user: UserID, at time: Timestamp, reason: RevocationReason) throws -> [SessionID] {
        try fetchAll(
            """
            UPDATE auth_sessions SET revoked_at = ?, revocation_reason = ?
            WHERE user_id = ? AND revoked_at IS NULL RETURNING id
            """,
            [time.millisecondsSince1970, reason.rawValue, RowCoding.blob(user)]
        ) { row in try RowCoding.id(row, 0) }
    }
}
