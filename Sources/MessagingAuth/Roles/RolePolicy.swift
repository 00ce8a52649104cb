import MessagingCore

/// A server-wide action guarded by server roles.
///
/// A string-backed struct, so hosts can define their own actions beside the built-in ones.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ServerAction: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The action's name.
    public let rawValue: String

    /// Wraps an action name.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Disable or enable accounts and change their server roles.
    public static let manageAccounts = ServerAction(rawValue: "manageAccounts")
    /// List and revoke the sessions of any user.
    public static let manageAnySession = ServerAction(rawValue: "manageAnySession")

    public var description: String { rawValue }
}

/// Which server roles may take which server actions: the small policy API the auth use
/// cases (and hosts, for their own actions) check principals against.
///
/// Conversation roles (owner, admin, member) are a different concept and stay in
/// `MessagingCore`'s `PermissionTable`.
///
/// Thread safety: a value type; safe to share across tasks.
public struct RolePolicy: Hashable, Sendable {
    /// The roles granted each action; an action not listed is allowed to no one.
    public var grants: [ServerAction: Set<ServerRole>]

    /// Makes a policy from explicit grants.
    public init(grants: [ServerAction: Set<ServerRole>]) { self.grants = grants }

    /// `admin` may manage accounts and any session; `moderator` may manage any session.
    public static let standard = RolePolicy(grants: [
        .manageAccounts: [.admin],
        .manageAnySession: [.admin, .moderator],
    ])

    /// Whether `principal` may take `action`.
    public func allows(_ principal: AuthenticatedPrincipal, to action: ServerAction) -> Bool {
        guard let roles = grants[action] else { return false }
        return !roles.isDisjoint(with: principal.roles)
    }

    /// Throws `forbidden` unless `principal` may take `action`.
    public func require(_ principal: AuthenticatedPrincipal, mayPerform action: ServerAction) throws(AuthError) {
        guard allows(principal, to: action) else {
            throw AuthError(
                code: .forbidden, message: "Your server roles do not allow \(action); ask an administrator.")
        }
    }
}
