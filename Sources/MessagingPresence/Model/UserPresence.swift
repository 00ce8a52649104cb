import MessagingCore

/// One user's presence as an observer sees it.
///
/// Thread safety: a value type; safe to share across tasks.
public struct UserPresence: Hashable, Sendable, Codable {
    /// The user.
    public var userID: UserID
    /// Online, away or offline.
    public var state: PresenceState
    /// The status text the user set, while the user is online or away; `nil` when offline.
    public var statusText: StatusText?
    /// When the user was last seen (its last heartbeat or disconnect), for an offline
    /// user; `nil` while the user is online or away, and for a user never seen.
    public var lastSeen: Timestamp?

    /// Makes a presence value.
    public init(userID: UserID, state: PresenceState, statusText: StatusText? = nil, lastSeen: Timestamp? = nil) {
        self.userID = userID
        self.state = state
        self.statusText = statusText
        self.lastSeen = lastSeen
    }

    /// An offline user, last seen at `lastSeen`.
    public static func offline(_ userID: UserID, lastSeen: Timestamp?) -> UserPresence {
        UserPresence(userID: userID, state: .offline, statusText: nil, lastSeen: lastSeen)
    }
}
