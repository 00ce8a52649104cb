import MessagingCore

/// One device of one user: the key of a device entry.
///
/// Thread safety: a value type; safe to share across tasks.
public struct DeviceKey: Hashable, Sendable, Codable {
    /// The user the device belongs to.
    public var userID: UserID
    /// The device.
    public var deviceID: DeviceID

    /// Makes a key.
    public init(userID: UserID, deviceID: DeviceID) {
        self.userID = userID
        self.deviceID = deviceID
    }
}
