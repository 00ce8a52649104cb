import MessagingCore

/// Names one node (process) of a deployment in a shared ``PresenceStore``.
///
/// Thread safety: a value type; safe to share across tasks.
public struct PresenceNodeID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The name.
    public let rawValue: String

    /// Makes a node id.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
}

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
