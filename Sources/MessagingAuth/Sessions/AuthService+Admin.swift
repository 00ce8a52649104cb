import MessagingCore

extension AuthService {
    /// Sets a new password on another account (an administrator's reset: the user forgot
    /// theirs) and revokes every session of it; requires ``ServerAction/manageAccounts``.
    ///
    /// The new password is checked against the policy (`weakPassword`, `invalidInput`); the
    /// old one is not asked for. The user logs in with the new password. An administrator
    /// changes their own password with ``changePassword(current:to:for:)`` (`forbidden` here).
    public func resetPassword(of user: UserID, to new: Password, by principal: AuthenticatedPrincipal)
        async throws(AuthError)
    {
        try configuration.rolePolicy.require(principal, mayPerform: .manageAccounts)
        guard user != principal.userID else {
            throw AuthError(
                code: .forbidden, message: "Change your own password with your current one (POST /v1/account/password).")
        }
        let target = try await read { transaction in try transaction.user(id: user) }
        guard let target, try await read({ transaction in try transaction.credential(of: user) }) != nil else {
            throw AuthError(code: .notFound, message: "No account has the id \(user).")
        }
        try configuration.passwordPolicy.check(new, handle: target.handle)
        let newHash = try await hasher.hash(new)
        let now = clock.now()
        let revoked = try await write { transaction -> [SessionID]? in
            guard try transaction.credential(of: user) != nil else { return nil }
            try transaction.updatePasswordHash(of: user, to: newHash, changedAt: now)
            return try transaction.revokeSessions(of: user, at: now, reason: .passwordReset)
        }
        guard let revoked else { throw AuthError(code: .notFound, message: "No account has the id \(user).") }
        logger.notice("password reset by an administrator", metadata: ["user": "\(user)", "by": "\(principal.userID)"])
        await publish(revoked.map { SessionRevocation(sessionID: $0, userID: user, reason: .passwordReset, revokedAt: now) })
    }

    /// Deletes an account: the user themselves (confirming with their `password`) or a
    /// principal with ``ServerAction/manageAccounts`` (no password asked; `forbidden` for
    /// anyone else, `notFound` for an account that does not exist or is already deleted).
    ///
    /// In order, each step committed before the next:
    /// 1. the account is disabled and every session revoked (published at once, so live
    ///    connections close): from here on nothing can act as the user;
    /// 2. `eraser` erases the messaging data (devices, key envelopes, memberships, messages);
    /// 3. the credential, the sessions and the refresh-token hashes are deleted and the display
    ///    name becomes `MessagingCore.AccountService.deletedDisplayName`. The user row stays with its id and
    ///    handle: the handle is not freed (nobody can take the name of a deleted user).
    ///
    /// When step 2 fails, the account stays disabled with its credential, so an administrator
    /// can run the deletion again (every step is idempotent).
    public func deleteAccount(
        _ user: UserID, by principal: AuthenticatedPrincipal, password: Password?, eraser: any AccountDataEraser
    ) async throws(AuthError) {
        if user == principal.userID {
            guard let password else {
                throw AuthError(code: .invalidInput, message: "Confirm the deletion of your account with your password.")
            }
            try await verifyPassword(password, of: user)
        } else {
            try configuration.rolePolicy.require(principal, mayPerform: .manageAccounts)
        }
        let now = clock.now()
        let revoked = try await write { transaction -> [SessionID]? in
            guard let credential = try transaction.credential(of: user) else { return nil }
            if !credential.isDisabled { try transaction.setDisabled(user, at: now) }
            return try transaction.revokeSessions(of: user, at: now, reason: .accountDeleted)
        }
        guard let revoked else { throw AuthError(code: .notFound, message: "No account has the id \(user).") }
        await publish(revoked.map { SessionRevocation(sessionID: $0, userID: user, reason: .accountDeleted, revokedAt: now) })
        do {
            try await eraser.eraseData(of: user)
        } catch {
            logger.error("deleting an account's data failed; it stays disabled", metadata: ["user": "\(user)", "error": "\(error)"])
            throw AuthError.wrapping(error)
        }
        try await write { transaction in
            try transaction.eraseCredentialAndSessions(of: user, displayName: AccountService.deletedDisplayName)
        }
        logger.notice("account deleted", metadata: ["user": "\(user)", "by": "\(principal.userID)"])
    }

    /// Checks the password of `user` like a login (throttled per account; `invalidCredentials`).
    private func verifyPassword(_ password: Password, of user: UserID) async throws(AuthError) {
        let found = try await read { transaction -> (User, AccountCredential)? in
            guard let record = try transaction.user(id: user), let credential = try transaction.credential(of: user)
            else { return nil }
            return (record, credential)
        }
        guard let (record, credential) = found else { throw AuthError(code: .notFound, message: "The account no longer exists.") }
        let now = clock.now()
        if let wait = await throttle.admit(account: record.handle.rawValue, address: nil, at: now) {
            throw AuthError(code: .rateLimited, message: "Too many failed attempts; wait before trying again.", retryAfter: wait)
        }
        let withinLimit = password.utf8.count <= PasswordPolicy.absoluteMaximumBytes
        guard withinLimit, await hasher.verify(password, against: credential.passwordHash) else {
            throw AuthError.invalidCredentials
        }
        await throttle.succeeded(account: record.handle.rawValue, address: nil, at: now)
    }
}
