import MessagingCore

/// A device that is online on some node, as a ``PresenceStore`` keeps it.
///
/// Thread safety: a value type; safe to share across tasks.
public struct DeviceEntry: Hashable, Sendable, Codable {
    /// The user and device.
    public var key: DeviceKey
    /// The node the device is connected to; the entry lives as long as that node's lease.
    public var nodeID: PresenceNodeID
    /// What the device last reported.
    public var activity: DeviceActivity
    /// When the device came online.
    public var connectedAt: Timestamp
    /// When the entry expires unless its node renews its lease.
    public var expiresAt: Timestamp

    /// Makes an entry.
    public init(key: DeviceKey, nodeID: PresenceNodeID, activity: DeviceActivity, connectedAt: Timestamp, expiresAt: Timestamp) {
        self.key = key
        self.nodeID = nodeID
        self.activity = activity
        self.connectedAt = connectedAt
        self.expiresAt = expiresAt
    }
}
