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

/// What a device reports with each heartbeat: whether its user is at the keyboard.
///
/// The client decides (input events, app in foreground); the server only merges: a user is
/// ``PresenceState/online`` when any device is active and ``PresenceState/away`` when all
/// of them are idle.
///
/// Thread safety: a value type; safe to share across tasks.
public enum DeviceActivity: String, Hashable, Sendable, Codable, CaseIterable {
    /// The user is using this device.
    case active
    /// The device is connected but its user has been idle.
    case idle
}
