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
