/// A member's role in a conversation, ordered `member < admin < owner`.
///
/// Thread safety: a value type; safe to share across tasks.
public enum Role: String, Hashable, Comparable, Sendable, Codable, CaseIterable {
    /// Reads, posts (except in channels), reacts, edits and deletes its own messages.
    case member
    /// Moderates: by default adds and removes members, edits the conversation, deletes others' messages, posts in channels.
    case admin
    /// Everything an admin does, plus acting on other admins and owners and granting ownership.
    case owner

    private var rank: Int {
        switch self {
        case .member: 0
        case .admin: 1
        case .owner: 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// An action on a conversation that needs a role.
public enum ConversationAction: String, Hashable, Sendable, CaseIterable {
    /// Add a member.
    case addMember
    /// Remove another member.
    case removeMember
    /// Change another member's role (never above the actor's own).
    case changeRole
    /// Change the title or topic.
    case editConversation
    /// Delete a message someone else sent.
    case deleteOthersMessages
    /// Post in a channel.
    case postInChannel
    /// Ban and unban users, and list the bans.
    case banMember
    /// Pin and unpin messages (in a direct conversation both members may).
    case pinMessage
}

/// The one permission table: the lowest role allowed to take each action.
///
/// On top of the table two rules always hold: an actor acts on another member's role or
/// membership only when it outranks that member (owners may act on owners), and nobody
/// grants a role above their own.
///
/// Thread safety: a value type; safe to share across tasks.
public struct PermissionTable: Hashable, Sendable {
    private var minimumRoles: [ConversationAction: Role]

    /// The standard table: every action needs at least `admin`.
    public static let standard = PermissionTable(minimumRoles: [
        .addMember: .admin,
        .removeMember: .admin,
        .changeRole: .admin,
        .editConversation: .admin,
        .deleteOthersMessages: .admin,
        .postInChannel: .admin,
        .banMember: .admin,
        .pinMessage: .admin,
    ])

    /// Makes a table; actions left out need `owner`.
    public init(minimumRoles: [ConversationAction: Role]) {
        self.minimumRoles = minimumRoles
    }

    /// The lowest role allowed to take `action`.
    public func minimumRole(for action: ConversationAction) -> Role {
        minimumRoles[action] ?? .owner
    }

    /// Whether `role` may take `action`.
    public func allows(_ role: Role, to action: ConversationAction) -> Bool {
        role >= minimumRole(for: action)
    }
}
