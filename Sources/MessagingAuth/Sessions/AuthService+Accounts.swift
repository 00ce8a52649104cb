import MessagingCore

extension AuthService {
    /// Changes the principal's password and revokes all of the user's sessions (the
    /// current one included: the client logs in again with the new password).
    ///
    /// The current password is checked like a login (`invalidCredentials`, throttled per
    /// account); the new one against the policy (`weakPassword`, `invalidInput`).
    public func changePassword(current: Password, to new: Password, for principal: AuthenticatedPrincipal)
        async throws(AuthError)
    {
        let found = try await read { transaction -> (User, AccountCredential)? in
            guard let user = try transaction.user(id: principal.userID), let credential = try transaction.credential(of: user.id)
            else { return nil }
            return (user, credential)
        }
        guard let (user, credential) = found else { throw AuthError(code: .notFound, message: "The account no longer exists.") }
        let now = clock.now()
        if let wait = await throttle.admit(account: user.handle.rawValue, address: nil, at: now) {
            throw AuthError(code: .rateLimited, message: "Too many failed attempts; wait before trying again.", retryAfter: wait)
        }
        let withinLimit = current.utf8.count <= PasswordPolicy.absoluteMaximumBytes
        guard withinLimit, await hasher.verify(current, against: credential.passwordHash) else {
            throw AuthError.invalidCredentials
        }
        await throttle.succeeded(account: user.handle.rawValue, address: nil, at: now)
        try configuration.passwordPolicy.check(new, handle: user.handle)
        let newHash = try await hasher.hash(new)
        let revoked = try await write { transaction -> [SessionID]? in
            guard try transaction.credential(of: user.id)?.passwordHash == credential.passwordHash else { return nil }
            try transaction.updatePasswordHash(of: user.id, to: newHash, changedAt: now)
            return try transaction.revokeSessions(of: user.id, at: now, reason: .passwordChanged)
        }
        guard let revoked else {
            throw AuthError(code: .invalidCredentials, message: "The password was changed by another request; log in again.")
        }
        logger.info("password changed", metadata: ["user": "\(user.id)"])
        await publish(revoked.map { SessionRevocation(sessionID: $0, userID: user.id, reason: .passwordChanged, revokedAt: now) })
    }

    /// Disables (and revokes every session of) or re-enables an account; requires
    /// ``ServerAction/manageAccounts``.
    ///
    /// An administrator cannot disable their own account (`forbidden`): another one must, so
    /// a server never loses its last administrator by mistake.
    public func setDisabled(_ disabled: Bool, account user: UserID, by principal: AuthenticatedPrincipal) async throws(AuthError) {
        try configuration.rolePolicy.require(principal, mayPerform: .manageAccounts)
        if disabled, user == principal.userID {
            throw AuthError(code: .forbidden, message: "You cannot disable your own account; ask another administrator.")
        }
        let now = clock.now()
        let revoked = try await write { transaction -> [SessionID]? in
            guard try transaction.credential(of: user) != nil else { return nil }
            try transaction.setDisabled(user, at: disabled ? now : nil)
            return disabled ? try transaction.revokeSessions(of: user, at: now, reason: .accountDisabled) : []
        }
        guard let revoked else { throw AuthError(code: .notFound, message: "No account has the id \(user).") }
        logger.notice(disabled ? "account disabled" : "account enabled", metadata: ["user": "\(user)", "by": "\(principal.userID)"])
        await publish(revoked.map { SessionRevocation(sessionID: $0, userID: user, reason: .accountDisabled, revokedAt: now) })
    }

    /// Replaces an account's server roles; requires ``ServerAction/manageAccounts``. Access
    /// tokens carry the new roles from the session's next refresh on.
    ///
    /// An administrator cannot take away their own right to manage accounts (`forbidden`).
    public func setRoles(_ roles: Set<ServerRole>, account user: UserID, by principal: AuthenticatedPrincipal) async throws(AuthError) {
        try configuration.rolePolicy.require(principal, mayPerform: .manageAccounts)
        if user == principal.userID {
            let after = AuthenticatedPrincipal(
                userID: principal.userID, sessionID: principal.sessionID, roles: roles, issuedAt: principal.issuedAt,
                expiresAt: principal.expiresAt)
            guard configuration.rolePolicy.allows(after, to: .manageAccounts) else {
                throw AuthError(
                    code: .forbidden, message: "You cannot remove your own right to manage accounts; ask another administrator.")
            }
        }
        let updated = try await write { transaction -> Bool in
            guard try transaction.credential(of: user) != nil else { return false }
            try transaction.setRoles(roles, of: user)
            return true
        }
        guard updated else { throw AuthError(code: .notFound, message: "No account has the id \(user).") }
        logger.notice("roles changed", metadata: ["user": "\(user)", "by": "\(principal.userID)"])
    }

    /// The account with `user` (no password hash) for `principal`: their own, or any with
    /// ``ServerAction/manageAccounts`` (`forbidden` otherwise); `notFound` when there is none.
    public func account(_ user: UserID, by principal: AuthenticatedPrincipal) async throws(AuthError) -> Account {
        if user != principal.userID { try configuration.rolePolicy.require(principal, mayPerform: .manageAccounts) }
        return try await account(user)
    }

    /// The account with `user` (no password hash); `notFound` when there is none.
    public func account(_ user: UserID) async throws(AuthError) -> Account {
        let found = try await read { transaction -> Account? in
            guard let record = try transaction.user(id: user), let credential = try transaction.credential(of: user) else {
                return nil
            }
            return Account(user: record, credential: credential)
        }
        guard let found else { throw AuthError(code: .notFound, message: "No account has the id \(user).") }
        return found
    }
}
