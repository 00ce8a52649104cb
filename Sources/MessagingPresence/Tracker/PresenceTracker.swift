import Logging
import MessagingCore
import ServiceLifecycle
import Synchronization

/// Tracks which users are online, away or offline from their devices' heartbeats, keeps
/// typing indicators, and tells each observer about the users it may see.
///
/// ```swift
/// let tracker = try PresenceTracker(audience: StoreMembershipAudience(store: store))
/// // in the host's ServiceGroup: tracker.run() drives expiry
/// try tracker.heartbeat(user: alice, device: phone)              // on every client heartbeat
/// let subscription = tracker.subscribe(as: bob)
/// _ = try await subscription.watch(conversation: room)           // current state, then changes
/// ```
///
/// **Model.** Each device heartbeats (every ``HeartbeatSchedule/interval``, which the
/// transport tells clients) and stays online for its TTL after the last one. A user is
/// online while any device is active, away while all its devices are idle, and goes offline
/// ``PresenceConfiguration/offlineGracePeriod`` after its last device went away — a device
/// that comes back within the grace period causes no change at all.
///
/// **Cost.** A heartbeat is O(1): one dictionary probe under a lock; the expiry timer is
/// re-armed lazily when it fires, not moved per heartbeat. Expiry runs once per
/// ``PresenceConfiguration/expiryStep`` and touches only the timers that are due. The
/// ``PresenceStore`` is written behind, once per step, and only for changes (a device
/// came or went, activity or status changed, a user went offline) — never per heartbeat.
///
/// **Visibility.** Observers see a user only if they share a conversation with it (checked
/// through the ``PresenceAudience`` when they start watching), and typing only in
/// conversations they are members of. Call ``membershipChanged(of:in:isMember:)`` when a
/// member joins or leaves so running watches follow.
///
/// Thread safety: safe to share across tasks; state lives behind a `Mutex`, and no lock is
/// held across a suspension point.
public final class PresenceTracker<C: Clock>: Service, Sendable where C.Duration == Duration {
    /// The configuration the tracker runs with.
    public let configuration: PresenceConfiguration
    let clock: C
    let origin: C.Instant
    let wallClock: any WallClock
    let audience: any PresenceAudience
    let store: any PresenceStore
    let logger: Logger
    let state: Mutex<TrackerState>
    let nextLeaseRenewal = Mutex<Int64>(0)

    /// Makes a tracker; nothing runs until ``run()`` (expiry) is started.
    ///
    /// - Parameters:
    ///   - configuration: timings and limits; validated here.
    ///   - audience: who may see whom (``StoreMembershipAudience`` over the message store).
    ///   - store: where presence is written behind; ``InMemoryPresenceStore`` for one node.
    ///   - clock: the clock expiry runs on; inject a manual one in tests.
    ///   - wallClock: turns last-seen times into `MessagingCore.Timestamp`s.
    ///   - logger: where store failures are reported.
    /// - Throws: ``PresenceError`` `invalidConfiguration` when the configuration is invalid.
    public init(
        configuration: PresenceConfiguration = .init(), audience: any PresenceAudience,
        store: any PresenceStore = InMemoryPresenceStore(), clock: C, wallClock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "swift-messaging.presence")
    ) throws(PresenceError) {
        try configuration.validate()
        self.configuration = configuration
        self.clock = clock
        origin = clock.now
        self.wallClock = wallClock
        self.audience = audience
        self.store = store
        self.logger = logger
        let settings = TrackerState.Settings(configuration)
        state = Mutex(TrackerState(
            settings: settings, horizon: Milliseconds(configuration.timerHorizon), now: 0,
            wallOffset: wallClock.now().millisecondsSince1970))
    }

    /// What to tell clients about heartbeats.
    public var heartbeatSchedule: HeartbeatSchedule { configuration.heartbeatSchedule }

    func now() -> Int64 { Milliseconds(origin.duration(to: clock.now)) }

    // MARK: Devices

    /// Records a heartbeat of `device` of `user` (authenticated by the transport) and
    /// returns the TTL it was granted: `ttl` cut to ``PresenceConfiguration/maximumDeviceTTL``,
    /// or the default TTL when `ttl` is `nil`. O(1); never touches the store.
    ///
    /// The device stays online until that TTL after this heartbeat; more heartbeats move
    /// the deadline, never add to it.
    ///
    /// - Throws: ``PresenceError`` `limitExceeded` for a new device beyond
    ///   ``PresenceConfiguration/maximumDevicesPerUser``.
    @discardableResult
    public func heartbeat(
        user: UserID, device: DeviceID, activity: DeviceActivity = .active, ttl: Duration? = nil
    ) throws(PresenceError) -> Duration {
        let time = now()
        return try state.withLock { (state) throws(PresenceError) -> Duration in
            let granted = state.grantedTTL(ttl.map(Milliseconds))
            try state.heartbeat(DeviceKey(userID: user, deviceID: device), activity: activity, ttl: granted, now: time)
            return .milliseconds(granted)
        }
    }

    /// A device's connection closed. The device is gone at once; if it was the user's last,
    /// the user goes offline after the grace period unless a device heartbeats before.
    public func disconnect(device: DeviceID, of user: UserID) {
        let time = now()
        state.withLock { $0.removeDevice(DeviceKey(userID: user, deviceID: device), lastActive: time, now: time) }
    }

    /// Sets or clears (`nil`) the status text of a user who has a device online; it is
    /// cleared when the user goes offline.
    ///
    /// - Throws: ``PresenceError`` `invalidInput` when the user has no device online.
    public func setStatus(_ text: StatusText?, for user: UserID) throws(PresenceError) {
        guard state.withLock({ $0.setStatus(text, of: user) }) else {
            throw .invalidInput("The user has no device online; send a heartbeat before setting a status.")
        }
    }

    /// The devices of `user` online on this node, for server-side decisions (such as
    /// whether to send a push notification). Not visibility-checked: never expose it to clients.
    public func connectedDevices(of user: UserID) -> [DeviceID] {
        state.withLock { $0.users[user]?.devices ?? [] }
    }

    /// How many devices this node tracks.
    public var trackedDeviceCount: Int { state.withLock { $0.devices.count } }

    // MARK: Typing

    /// A member started (`true`) or stopped (`false`) typing. A start is rate-limited per
    /// user and conversation and checked against membership; the indicator ends after
    /// ``PresenceConfiguration/typingTimeout`` unless started again. Typing is never stored.
    /// Call it with `false` when the member sends its message.
    ///
    /// - Returns: ``TypingOutcome/throttled`` when a start came too soon after the last one.
    /// - Throws: ``PresenceError`` `notFound` when `user` is not a member of `conversation`
    ///   (or it does not exist), `unavailable` when membership cannot be checked.
    @discardableResult
    public func typing(
        _ isTyping: Bool, by user: UserID, in conversation: ConversationID
    ) async throws(PresenceError) -> TypingOutcome {
        let key = TypingKey(userID: user, conversationID: conversation)
        guard isTyping else {
            state.withLock { $0.stopTyping(key) }
            return .accepted
        }
        let reservedAt = now()
        guard state.withLock({ $0.reserveTyping(key, now: reservedAt) }) else { return .throttled }
        let member: Bool
        do {
            member = try await audience.isMember(user, of: conversation)
        } catch {
            throw .audienceFailed(error)
        }
        guard member else { throw .conversationNotFound }
        let time = now()
        state.withLock { $0.startTyping(key, now: time) }
        return .accepted
    }
}

extension PresenceTracker where C == ContinuousClock {
    /// Makes a tracker on the continuous clock; see ``init(configuration:audience:store:clock:wallClock:logger:)``.
    public convenience init(
        configuration: PresenceConfiguration = .init(), audience: any PresenceAudience,
        store: any PresenceStore = InMemoryPresenceStore(), wallClock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "swift-messaging.presence")
    ) throws(PresenceError) {
        try self.init(
            configuration: configuration, audience: audience, store: store, clock: ContinuousClock(), wallClock: wallClock,
            logger: logger)
    }
}
