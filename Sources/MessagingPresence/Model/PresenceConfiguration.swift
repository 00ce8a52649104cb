import Foundation

/// The timings and limits of a ``PresenceTracker``.
///
/// The defaults: a device expires 60 s after its last heartbeat; clients heartbeat every
/// 20–25 s (25 s minus up to 5 s of jitter), so two heartbeats may be lost before a device
/// expires; a user goes offline 10 s after its last device is gone; expiry runs in steps of
/// 1 s; typing expires after 6 s and is accepted at most every 2 s per user and
/// conversation; conversations of more than 100 members report occupancy.
///
/// Thread safety: a value type; safe to share across tasks.
public struct PresenceConfiguration: Hashable, Sendable {
    /// How long a device stays online after a heartbeat that asks for no TTL of its own.
    public var deviceTTL: Duration
    /// The longest TTL a heartbeat may ask for; longer requests are cut to this. However
    /// many heartbeats a device sends, it expires at most this long after the last one.
    public var maximumDeviceTTL: Duration
    /// How often clients should heartbeat; tell clients this (see ``HeartbeatSchedule``).
    public var heartbeatInterval: Duration
    /// How much earlier than ``heartbeatInterval`` a client may heartbeat, chosen at random
    /// each time, so reconnecting clients do not heartbeat in lockstep.
    public var heartbeatJitter: Duration
    /// How long a user whose last device went away stays online before observers are told
    /// it is offline; a device that comes back within it causes no change at all.
    public var offlineGracePeriod: Duration
    /// The granularity of expiry: ``PresenceTracker/run()`` expires due entries once per
    /// step, so an entry ends at most one step after its deadline.
    public var expiryStep: Duration
    /// How long a typing indicator lasts without being refreshed.
    public var typingTimeout: Duration
    /// The least time between two accepted "started typing" calls of one user in one
    /// conversation; calls in between are throttled.
    public var typingMinimumInterval: Duration
    /// Conversations with more members than this report ``ConversationOccupancy`` instead of
    /// per-member presence, and carry no typing indicators.
    public var largeRoomThreshold: Int
    /// The most devices one user may have online at once on this node.
    public var maximumDevicesPerUser: Int
    /// The most users one subscription may watch directly.
    public var maximumWatchedUsers: Int
    /// This node's name in a shared ``PresenceStore``; unique per process.
    public var nodeID: PresenceNodeID
    /// How often this node renews its lease in the ``PresenceStore``; the lease lasts
    /// ``maximumDeviceTTL``, so a crashed node's entries disappear within that.
    public var leaseRenewalInterval: Duration

    /// Makes a configuration; see the type's summary for the defaults.
    public init(
        deviceTTL: Duration = .seconds(60), maximumDeviceTTL: Duration = .seconds(120),
        heartbeatInterval: Duration = .seconds(25), heartbeatJitter: Duration = .seconds(5),
        offlineGracePeriod: Duration = .seconds(10), expiryStep: Duration = .seconds(1),
        typingTimeout: Duration = .seconds(6), typingMinimumInterval: Duration = .seconds(2),
        largeRoomThreshold: Int = 100, maximumDevicesPerUser: Int = 16, maximumWatchedUsers: Int = 5_000,
        nodeID: PresenceNodeID = PresenceNodeID(UUID().uuidString.lowercased()),
        leaseRenewalInterval: Duration = .seconds(20)
    ) {
        self.deviceTTL = deviceTTL
        self.maximumDeviceTTL = maximumDeviceTTL
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatJitter = heartbeatJitter
        self.offlineGracePeriod = offlineGracePeriod
        self.expiryStep = expiryStep
        self.typingTimeout = typingTimeout
        self.typingMinimumInterval = typingMinimumInterval
        self.largeRoomThreshold = largeRoomThreshold
        self.maximumDevicesPerUser = maximumDevicesPerUser
        self.maximumWatchedUsers = maximumWatchedUsers
        self.nodeID = nodeID
        self.leaseRenewalInterval = leaseRenewalInterval
    }

    /// The schedule to tell clients.
    public var heartbeatSchedule: HeartbeatSchedule {
        HeartbeatSchedule(interval: heartbeatInterval, jitter: heartbeatJitter, deviceTTL: deviceTTL)
    }

    /// Throws ``PresenceError`` with code `invalidConfiguration` naming the first broken relation.
    public func validate() throws(PresenceError) {
        func require(_ condition: Bool, _ message: String) throws(PresenceError) {
            if !condition { throw .invalidConfiguration(message) }
        }
        try require(expiryStep >= .milliseconds(1), "expiryStep must be at least 1 ms.")
        try require(heartbeatInterval > .zero, "heartbeatInterval must be positive.")
        try require(
            heartbeatJitter >= .zero && heartbeatJitter < heartbeatInterval,
            "heartbeatJitter must be at least zero and less than heartbeatInterval.")
        try require(
            deviceTTL > heartbeatInterval,
            "deviceTTL must be longer than heartbeatInterval, or every device expires between two heartbeats; make it about 2.4 × the interval.")
        try require(maximumDeviceTTL >= deviceTTL, "maximumDeviceTTL must be at least deviceTTL.")
        try require(maximumDeviceTTL <= .seconds(3600), "maximumDeviceTTL must be at most one hour.")
        try require(offlineGracePeriod >= .zero && offlineGracePeriod <= .seconds(600), "offlineGracePeriod must be between 0 and 10 minutes.")
        try require(typingMinimumInterval >= .zero, "typingMinimumInterval must not be negative.")
        try require(
            typingTimeout > .zero && typingTimeout >= typingMinimumInterval && typingTimeout <= .seconds(60),
            "typingTimeout must be positive, at least typingMinimumInterval, and at most 60 s.")
        try require(largeRoomThreshold >= 1, "largeRoomThreshold must be at least 1.")
        try require(maximumDevicesPerUser >= 1, "maximumDevicesPerUser must be at least 1.")
        try require(maximumWatchedUsers >= 1, "maximumWatchedUsers must be at least 1.")
        try require(
            leaseRenewalInterval > .zero && leaseRenewalInterval < maximumDeviceTTL,
            "leaseRenewalInterval must be positive and shorter than maximumDeviceTTL, or the node's lease lapses between renewals.")
        try require(!nodeID.rawValue.isEmpty && nodeID.rawValue.utf8.count <= 200, "nodeID must be 1 to 200 bytes.")
    }

    /// The longest time any timer is set ahead: the timing wheel's horizon.
    var timerHorizon: Duration {
        max(maximumDeviceTTL, offlineGracePeriod, typingTimeout, typingMinimumInterval)
    }
}
