/// Registration and lookup of users.
///
/// Thread safety: immutable; safe to share across tasks.
public struct UserService: Sendable {
    let context: ServiceContext

    /// Registers a user; throws `conflict` when the handle is taken, `invalidInput` for a bad handle or name.
    public func register(handle: String, displayName: String) async throws -> User {
        let user = try User(
            id: context.ids.next(), handle: try Handle(handle), displayName: displayName, createdAt: context.clock.now())
        return try await context.write { transaction in
            if try transaction.user(handle: user.handle) != nil {
                throw MessagingError.conflict("The handle '\(user.handle)' is taken; choose another.")
            }
            try transaction.insert(user)
            return user
        }
    }

    /// The user with `id`; `notFound` when there is none.
    public func user(id: UserID) async throws -> User {
        try await context.store.read { transaction in
            guard let user = try transaction.user(id: id) else {
                throw MessagingError.notFound("No user has the id \(id).")
            }
            return user
        }
    }

    /// The user with `handle` (normalized first); `notFound` when there is none.
    public func user(handle: String) async throws -> User {
        let handle = try Handle(handle)
        return try await context.store.read { transaction in
            guard let user = try transaction.user(handle: handle) else {
                throw MessagingError.notFound("No user has the handle '\(handle)'.")
            }
            return user
        }
    }

    /// The user's own settings; `notFound` for an unknown user.
    public func settings(of user: UserID) async throws -> UserSettings {
        try await context.store.read { transaction in
            guard try transaction.user(id: user) != nil else { throw MessagingError.notFound("No user has the id \(user).") }
            return try transaction.settings(of: user)
        }
    }

    /// Replaces the user's own settings and returns them; `notFound` for an unknown user.
    @discardableResult
    public func updateSettings(_ settings: UserSettings, of user: UserID) async throws -> UserSettings {
        try await context.write { transaction in
            guard try transaction.user(id: user) != nil else { throw MessagingError.notFound("No user has the id \(user).") }
            try transaction.save(settings, of: user)
            return settings
        }
    }

    /// Of `users`, those who hide their read receipts (what a broadcast of read positions leaves out).
    public func hidingReadReceipts(among users: [UserID]) async throws -> Set<UserID> {
        guard !users.isEmpty else { return [] }
        return try await context.store.read { try $0.usersHidingReadReceipts(among: users) }
    }
}
