/// What observers see of a user: online, away (every device idle) or offline.
///
/// Thread safety: a value type; safe to share across tasks.
public enum PresenceState: String, Hashable, Sendable, Codable, CaseIterable {
    /// At least one device heartbeats and reports the user active.
    case online
    /// Every heartbeating device reports the user idle.
    case away
    /// No device has heartbeated within its TTL, and the grace period has passed.
    case offline
}
