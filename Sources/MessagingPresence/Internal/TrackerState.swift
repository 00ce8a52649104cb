import MessagingCore

/// Everything a ``PresenceTracker`` knows, as a plain value whose transitions are
/// synchronous and take the current time as an argument: devices, users, typing, watched
/// conversations, subscriptions, the expiry wheel and the write-behind outbox.
///
/// Times are integer milliseconds since the tracker started, on its injected clock;
/// `wallOffset` turns them into wall-clock ``Timestamp``s for last-seen values.
///
/// Thread safety: a value type; the tracker keeps it behind a `Mutex`.
struct TrackerState {
    /// The configuration in milliseconds.
    struct Settings {
        var deviceTTL: Int64
        var maximumDeviceTTL: Int64
        var grace: Int64
        var step: Int64
        var typingTimeout: Int64
        var typingMinimumInterval: Int64
        var largeRoomThreshold: Int
        var maximumDevicesPerUser: Int
        var maximumWatchedUsers: Int
        var nodeID: PresenceNodeID

        init(_ configuration: PresenceConfiguration) {
            deviceTTL = Milliseconds(configuration.deviceTTL)
            maximumDeviceTTL = Milliseconds(configuration.maximumDeviceTTL)
            grace = Milliseconds(configuration.offlineGracePeriod)
            step = max(1, Milliseconds(configuration.expiryStep))
            typingTimeout = Milliseconds(configuration.typingTimeout)
            typingMinimumInterval = Milliseconds(configuration.typingMinimumInterval)
            largeRoomThreshold = configuration.largeRoomThreshold
            maximumDevicesPerUser = configuration.maximumDevicesPerUser
            maximumWatchedUsers = configuration.maximumWatchedUsers
            nodeID = configuration.nodeID
        }
    }

    enum TimerKey {
        case device(DeviceKey)
        case grace(UserID)
        case typing(TypingKey)
    }

    struct DeviceRecord {
        var activity: DeviceActivity
        var connectedAt: Int64
        var lastHeartbeat: Int64
        /// When the device expires: its last heartbeat plus the TTL that heartbeat got.
        var deadline: Int64
        /// The wheel tick of the device's live expiry timer; at or before ``deadline``'s
        /// tick (timers are re-armed lazily, see ``TrackerState/expire(now:)``).
        var tick: Int64
    }

    struct UserRecord {
        var devices: [DeviceID] = []
        var activeDevices = 0
        var statusText: StatusText?
        /// The latest heartbeat or disconnect of a device that is gone.
        var lastActive: Int64
        /// The tick of the pending offline timer while no device is left.
        var graceTick: Int64?
        /// What observers were last told (online or away).
        var published: PresenceState

        var mergedState: PresenceState { activeDevices > 0 ? .online : .away }
    }

    let settings: Settings
    var wallOffset: Int64
    var wheel: TimingWheel<TimerKey>
    var devices: [DeviceKey: DeviceRecord] = [:]
    var users: [UserID: UserRecord] = [:]
    var typing: [TypingKey: TypingRecord] = [:]
    var typingInConversation: [ConversationID: Set<UserID>] = [:]
    var typingByUser: [UserID: Set<ConversationID>] = [:]
    var rooms: [ConversationID: Room] = [:]
    var roomsOfUser: [UserID: [ConversationID]] = [:]
    var directWatchers: [UserID: Set<Int>] = [:]
    var subscriptions: [Int: SubscriptionRecord] = [:]
    var subscriptionsOfObserver: [UserID: Set<Int>] = [:]
    var nextSubscriptionID = 0
    var outbox = Outbox()
    var isShutDown = false
    /// What other nodes of a shared store hold for users watched here who have devices
    /// there (see `TrackerState+Remote.swift`); empty on a single node.
    var remote: [UserID: RemotePresence] = [:]

    init(settings: Settings, horizon: Int64, now: Int64, wallOffset: Int64) {
        self.settings = settings
        self.wallOffset = wallOffset
        wheel = TimingWheel(tickMilliseconds: settings.step, horizonMilliseconds: horizon, startMilliseconds: now)
    }

    func wall(_ time: Int64) -> Timestamp { Timestamp(millisecondsSince1970: time + wallOffset) }

    /// The TTL a heartbeat gets: the default, or the requested one cut to [step, maximum].
    func grantedTTL(_ requested: Int64?) -> Int64 {
        guard let requested else { return settings.deviceTTL }
        return min(max(requested, settings.step), settings.maximumDeviceTTL)
    }

    // MARK: Devices

    /// Records a heartbeat. O(1): one dictionary probe and two stores. The expiry timer is
    /// not moved: when it fires and finds a later deadline it re-arms itself (lazy
    /// re-arming), so a device costs one wheel operation per TTL, not one per heartbeat.
    /// Only a heartbeat that *shortens* the deadline below the armed tick adds a timer.
    /// Returns the device's deadline.
    @discardableResult
    mutating func heartbeat(_ key: DeviceKey, activity: DeviceActivity, ttl: Int64, now: Int64) throws(PresenceError) -> Int64 {
        let deadline = now + ttl
        if let index = devices.index(forKey: key) {
            devices.values[index].lastHeartbeat = now
            devices.values[index].deadline = deadline
            let tick = wheel.tick(for: deadline)
            if tick < devices.values[index].tick {
                devices.values[index].tick = tick
                wheel.schedule(.device(key), onTick: tick)
            }
            if devices.values[index].activity != activity {
                devices.values[index].activity = activity
                let connectedAt = devices.values[index].connectedAt
                users[key.userID]?.activeDevices += activity == .active ? 1 : -1
                outbox.save(key, activity: activity, connectedAt: wall(connectedAt))
                refreshUser(key.userID)
            }
            return deadline
        }
        // A new device.
        var user = users[key.userID]
        if let user, user.devices.count >= settings.maximumDevicesPerUser {
            throw .limitExceeded(
                "This user already has \(user.devices.count) devices online, the limit; disconnect one before connecting another.")
        }
        let tick = wheel.tick(for: deadline)
        devices[key] = DeviceRecord(activity: activity, connectedAt: now, lastHeartbeat: now, deadline: deadline, tick: tick)
        wheel.schedule(.device(key), onTick: tick)
        outbox.save(key, activity: activity, connectedAt: wall(now))
        if user == nil {
            user = UserRecord(lastActive: now, published: activity == .active ? .online : .away)
            user!.devices.append(key.deviceID)
            user!.activeDevices = activity == .active ? 1 : 0
            users[key.userID] = user
            publish(key.userID, wasOnline: remote[key.userID] != nil)
        } else {
            users[key.userID]!.devices.append(key.deviceID)
            users[key.userID]!.activeDevices += activity == .active ? 1 : 0
            users[key.userID]!.graceTick = nil  // back within the grace period: no change
            refreshUser(key.userID)
        }
        return deadline
    }

    /// A device went away (closed connection, or expired at `lastActive + TTL`).
    mutating func removeDevice(_ key: DeviceKey, lastActive: Int64, now: Int64) {
        guard let device = devices.removeValue(forKey: key), let index = users.index(forKey: key.userID) else { return }
        // In place: no copy of the record or its device list.
        if let position = users.values[index].devices.firstIndex(of: key.deviceID) {
            users.values[index].devices.remove(at: position)
        }
        if device.activity == .active { users.values[index].activeDevices -= 1 }
        users.values[index].lastActive = max(users.values[index].lastActive, lastActive)
        outbox.remove(key)
        guard users.values[index].devices.isEmpty else {
            refreshUser(key.userID)
            return
        }
        if settings.grace == 0 {
            goOffline(key.userID)
            return
        }
        let tick = wheel.tick(for: now + settings.grace)
        users.values[index].graceTick = tick
        wheel.schedule(.grace(key.userID), onTick: tick)
    }

    /// Re-merges a user's devices and tells observers when the merged state changed.
    mutating func refreshUser(_ userID: UserID) {
        guard let user = users[userID], !user.devices.isEmpty, user.mergedState != user.published else { return }
        users[userID]!.published = user.mergedState
        publish(userID, wasOnline: true)
    }

    mutating func setStatus(_ text: StatusText?, of userID: UserID) -> Bool {
        guard let user = users[userID] else { return false }
        guard user.statusText != text else { return true }
        users[userID]!.statusText = text
        outbox.records[userID] = PresenceRecord(userID: userID, lastSeen: nil, statusText: text)
        publish(userID, wasOnline: true)
        return true
    }

    /// The last device is gone and the grace period over: the user is offline.
    mutating func goOffline(_ userID: UserID) {
        guard let user = users.removeValue(forKey: userID) else { return }
        for conversation in typingByUser[userID] ?? [] {
            stopTyping(TypingKey(userID: userID, conversationID: conversation))
        }
        let lastSeen = wall(user.lastActive)
        outbox.records[userID] = PresenceRecord(userID: userID, lastSeen: lastSeen, statusText: nil)
        // Still online on another node: watchers see that presence instead.
        publish(userID, wasOnline: true, presence: remote[userID] == nil ? .offline(userID, lastSeen: lastSeen) : nil)
    }

    // MARK: Expiry

    /// Fires every timer due at `now`; returns how many devices expired.
    mutating func expire(now: Int64) -> Int {
        var expired = 0
        for (timer, tick) in wheel.advance(to: now) {
            switch timer {
            case .device(let key):
                guard let index = devices.index(forKey: key), devices.values[index].tick == tick else { continue }
                let device = devices.values[index]
                if device.deadline > now {
                    // Heartbeats moved the deadline since the timer was armed: re-arm it there.
                    let next = wheel.tick(for: device.deadline)
                    devices.values[index].tick = next
                    wheel.schedule(.device(key), onTick: next)
                    continue
                }
                removeDevice(key, lastActive: device.lastHeartbeat, now: now)
                expired += 1
            case .grace(let userID):
                guard let user = users[userID], user.graceTick == tick, user.devices.isEmpty else { continue }
                goOffline(userID)
            case .typing(let key):
                typingTimerFired(key, tick: tick, now: now)
            }
        }
        return expired
    }

    // MARK: Reading

    /// This node's view of the user; other nodes' devices count only while it has none.
    func presence(of userID: UserID) -> UserPresence {
        guard let user = users[userID] else {
            guard let other = remote[userID] else { return .offline(userID, lastSeen: nil) }
            return UserPresence(userID: userID, state: other.isActive ? .online : .away, statusText: other.statusText)
        }
        return UserPresence(userID: userID, state: user.published, statusText: user.statusText)
    }

    /// Online or away, here or (as far as this node knows) on another node.
    func isOnline(_ userID: UserID) -> Bool { users[userID] != nil || remote[userID] != nil }

    // MARK: Fanout

    /// Tells everyone watching `userID` (directly or through a conversation) its presence.
    mutating func publish(_ userID: UserID, wasOnline: Bool, presence: UserPresence? = nil) {
        let presence = presence ?? self.presence(of: userID)
        let isOnline = presence.state != .offline
        let change = PresenceChange.presence(presence)
        for id in directWatchers[userID] ?? [] {
            subscriptions[id]?.sink.enqueue(change, for: .user(userID))
        }
        for conversation in roomsOfUser[userID] ?? [] {
            guard let index = rooms.index(forKey: conversation) else { continue }
            if wasOnline != isOnline { rooms.values[index].onlineCount += isOnline ? 1 : -1 }
            let room = rooms.values[index]
            if room.isOccupancy(threshold: settings.largeRoomThreshold) {
                guard wasOnline != isOnline else { continue }
                deliver(.occupancy(room.occupancy(conversation)), key: .conversation(conversation), to: room.watchers)
            } else {
                deliver(change, key: .user(userID), to: room.watchers)
            }
        }
    }

    func deliver(_ change: PresenceChange, key: ChangeSink.Key, to watchers: Set<Int>, except observer: UserID? = nil) {
        for id in watchers {
            guard let subscription = subscriptions[id], subscription.observer != observer else { continue }
            subscription.sink.enqueue(change, for: key)
        }
    }
}

/// Store writes waiting for the next step, coalesced per device and per user.
///
/// Thread safety: a value type; the owner serializes access.
struct Outbox {
    struct PendingDevice {
        var activity: DeviceActivity
        var connectedAt: Timestamp
    }

    /// `nil` means remove.
    var devices: [DeviceKey: PendingDevice?] = [:]
    var records: [UserID: PresenceRecord] = [:]

    var isEmpty: Bool { devices.isEmpty && records.isEmpty }

    mutating func save(_ key: DeviceKey, activity: DeviceActivity, connectedAt: Timestamp) {
        devices[key] = .some(PendingDevice(activity: activity, connectedAt: connectedAt))
    }

    mutating func remove(_ key: DeviceKey) {
        devices[key] = .some(nil)
    }

    /// Puts back what a failed flush took, unless something newer replaced it meanwhile.
    mutating func restore(_ failed: Outbox) {
        for (key, value) in failed.devices where devices[key] == nil { devices[key] = value }
        for (key, value) in failed.records where records[key] == nil { records[key] = value }
    }
}
