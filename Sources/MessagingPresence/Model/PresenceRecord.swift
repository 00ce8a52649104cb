import MessagingCore

/// What a ``PresenceStore`` keeps of a user beyond its devices: when it was last seen and
/// the status text it set.
///
/// Thread safety: a value type; safe to share across tasks.
public struct PresenceRecord: Hashable, Sendable, Codable {
    /// The user.
    public var userID: UserID
    /// When the user was last seen online; stores only ever move it forward.
    public var lastSeen: Timestamp?
    /// The user's status text; `nil` when none is set.
    public var statusText: StatusText?

    /// Makes a record.
    public init(userID: UserID, lastSeen: Timestamp?, statusText: StatusText?) {
        self.userID = userID
        self.lastSeen = lastSeen
        self.statusText = statusText
    }
}
