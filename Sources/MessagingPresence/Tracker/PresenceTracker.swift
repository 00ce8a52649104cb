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
/// **Cost.** A heartbeat is O(1): one dictionary probe under a lock, and a timing-wheel
/// append when its deadline moves to another tick. Expiry runs once per
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
    private let clock: C
    private let origin: C.Instant
    private let wallClock: any WallClock
    private let audience: any PresenceAudience
    private let store: any PresenceStore
    private let logger: Logger
    private let state: Mutex<TrackerState>
    private let nextLeaseRenewal = Mutex<Int64>(0)

    /// Makes a tracker; nothing runs until ``run()`` (expiry) is started.
    ///
    /// - Parameters:
    ///   - configuration: timings and limits; validated here.
    ///   - audience: who may see whom (``StoreMembershipAudience`` over the message store).
    ///   - store: where presence is written behind; ``InMemoryPresenceStore`` for one node.
    ///   - clock: the clock expiry runs on; inject a manual one in tests.
    ///   - wallClock: turns last-seen times into ``Timestamp``s.
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

    private func now() -> Int64 { Milliseconds(origin.duration(to: clock.now)) }

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

    // MARK: Observing

    /// Starts a subscription for `observer`; add users and conversations with its `watch` methods.
    public func subscribe(as observer: UserID) -> PresenceSubscription {
        let sink = ChangeSink()
        let id = state.withLock { $0.addSubscription(observer: observer, sink: sink) }
        return PresenceSubscription(observer: observer, id: id, sink: sink, hub: self)
    }

    /// The presence of `user` as `observer` sees it, once.
    ///
    /// - Throws: ``PresenceError`` `notFound` when they share no conversation, `unavailable`
    ///   when membership or the store cannot be read.
    public func presence(of user: UserID, as observer: UserID) async throws(PresenceError) -> UserPresence {
        if user != observer {
            let visible: Bool
            do {
                visible = try await audience.sharesConversation(observer, user)
            } catch {
                throw .audienceFailed(error)
            }
            guard visible else {
                throw PresenceError(
                    code: .notFound, message: "No such user among the people you share a conversation with. Check the user id.")
            }
        }
        let presence = state.withLock { $0.presence(of: user) }
        return try await fillLastSeen([presence])[0]
    }

    /// Tells the tracker that `user` joined (`isMember: true`) or left a conversation, so
    /// running watches follow: a conversation's member list and occupancy are updated (and
    /// its mode switches at the large-room threshold), a user who left stops watching it,
    /// and direct watches that no longer share a conversation end with
    /// ``PresenceChange/hidden(_:)``. Wire it to the conversation's member events.
    ///
    /// - Throws: ``PresenceError`` `unavailable` when visibility cannot be re-checked; the
    ///   conversation-level changes are applied regardless.
    public func membershipChanged(of user: UserID, in conversation: ConversationID, isMember: Bool) async throws(PresenceError) {
        let pairs = state.withLock { $0.membershipChanged(of: user, in: conversation, isMember: isMember) }
        guard !pairs.isEmpty else { return }
        var revoked: [(subscription: Int, user: UserID)] = []
        let byObserver = Dictionary(grouping: pairs, by: \.observer)
        for (observer, group) in byObserver {
            let visible: Set<UserID>
            do {
                visible = try await audience.users(among: group.map(\.user), sharingAConversationWith: observer)
            } catch {
                throw .audienceFailed(error)
            }
            revoked += group.filter { !visible.contains($0.user) }.map { ($0.subscription, $0.user) }
        }
        let hidden = revoked
        state.withLock { $0.hide(hidden) }
    }

    /// Fills in last-seen times of offline users from the outbox or the store.
    func fillLastSeen(_ presences: [UserPresence]) async throws(PresenceError) -> [UserPresence] {
        let missing = presences.filter { $0.state == .offline && $0.lastSeen == nil }.map(\.userID)
        guard !missing.isEmpty else { return presences }
        var known = state.withLock { state in
            var pending: [UserID: Timestamp] = [:]
            for user in missing {
                if let lastSeen = state.outbox.records[user]?.lastSeen { pending[user] = lastSeen }
            }
            return pending
        }
        let unknown = missing.filter { known[$0] == nil }
        if !unknown.isEmpty {
            do {
                for (user, record) in try await store.records(of: unknown) {
                    if let lastSeen = record.lastSeen { known[user] = lastSeen }
                }
            } catch {
                throw PresenceError(
                    code: .unavailable, message: "Could not read last-seen times from the presence store; retry.", cause: error)
            }
        }
        return presences.map { presence in
            guard presence.state == .offline, presence.lastSeen == nil else { return presence }
            var filled = presence
            filled.lastSeen = known[presence.userID]
            return filled
        }
    }

    // MARK: Expiry and lifecycle

    /// Runs one expiry step at the clock's current time: expires due devices, ends grace
    /// periods and typing indicators, then writes the step's changes to the store and
    /// renews this node's lease when due. ``run()`` calls it once per
    /// ``PresenceConfiguration/expiryStep``; call it directly only in tests or when driving
    /// expiry yourself. Returns how many devices expired.
    @discardableResult
    public func step() async -> Int {
        let time = now()
        let wallNow = wallClock.now()
        let (expired, outbox) = state.withLock { state in
            state.wallOffset = wallNow.millisecondsSince1970 - time
            let expired = state.expire(now: time)
            let outbox = state.outbox
            state.outbox = Outbox()
            return (expired, outbox)
        }
        let renewLease = nextLeaseRenewal.withLock { next in
            guard time >= next else { return false }
            next = time + Milliseconds(configuration.leaseRenewalInterval)
            return true
        }
        await write(outbox, renewLease: renewLease, at: wallNow)
        return expired
    }

    /// The first instant after now that is a whole number of steps after the tracker started.
    private func nextTickBoundary() -> C.Instant {
        let step = max(1, Milliseconds(configuration.expiryStep))
        let elapsed = now()
        return origin.advanced(by: .milliseconds((elapsed / step + 1) * step))
    }

    /// Writes the outbox behind; on failure puts it back for the next step.
    private func write(_ outbox: Outbox, renewLease: Bool, at wallNow: Timestamp) async {
        let leaseEnd = wallNow.adding(milliseconds: Milliseconds(configuration.maximumDeviceTTL))
        let node = configuration.nodeID
        if !outbox.isEmpty {
            var saves: [DeviceEntry] = []
            var removals: [DeviceKey] = []
            for (key, pending) in outbox.devices {
                if let pending {
                    saves.append(DeviceEntry(
                        key: key, nodeID: node, activity: pending.activity, connectedAt: pending.connectedAt, expiresAt: leaseEnd))
                } else {
                    removals.append(key)
                }
            }
            do {
                if !saves.isEmpty { try await store.save(saves) }
                if !removals.isEmpty { try await store.remove(removals) }
                if !outbox.records.isEmpty { try await store.save(Array(outbox.records.values)) }
            } catch {
                logger.warning("presence store write failed; retrying at the next step", metadata: ["error": "\(error)"])
                state.withLock { $0.outbox.restore(outbox) }
            }
        }
        do {
            if renewLease { try await store.renewLease(of: node, until: leaseEnd) }
            let reaped = try await store.removeExpired(at: wallNow, limit: 1_000)
            if !reaped.isEmpty {
                logger.info("removed devices of nodes whose lease lapsed", metadata: ["count": "\(reaped.count)"])
            }
        } catch {
            logger.warning("presence store lease upkeep failed; retrying at the next step", metadata: ["error": "\(error)"])
        }
    }

    /// Drives expiry: one ``step()`` per ``PresenceConfiguration/expiryStep`` on the
    /// injected clock, until the task is cancelled or graceful shutdown begins. Then it
    /// ends every subscription, removes this node's devices from the store and writes the
    /// last changes.
    public func run() async throws {
        let interval = configuration.expiryStep
        await cancelWhenGracefulShutdown {
            // Steps fall on tick boundaries, so a deadline is processed less than one step after it passes.
            var next = self.nextTickBoundary()
            while !Task.isCancelled {
                do {
                    try await self.clock.sleep(until: next, tolerance: nil)
                } catch {
                    break
                }
                await self.step()
                next = next.advanced(by: interval)
                if next <= self.clock.now { next = self.nextTickBoundary() }  // fell behind: no burst of steps
            }
        }
        state.withLock { state in
            for key in state.devices.keys { state.outbox.remove(key) }
            state.shutDown()
        }
        let wallNow = wallClock.now()
        let outbox = state.withLock { state in
            let outbox = state.outbox
            state.outbox = Outbox()
            return outbox
        }
        await write(outbox, renewLease: false, at: wallNow)
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

// MARK: - PresenceHub

extension PresenceTracker: PresenceHub {
    func watch(users: [UserID], subscription: Int, observer: UserID) async throws(PresenceError) -> [UserPresence] {
        var seen: Set<UserID> = []
        let unique = users.filter { seen.insert($0).inserted }
        let others = unique.filter { $0 != observer }
        var visible: Set<UserID> = []
        if !others.isEmpty {
            do {
                visible = try await audience.users(among: others, sharingAConversationWith: observer)
            } catch {
                throw .audienceFailed(error)
            }
        }
        let allowed = unique.filter { $0 == observer || visible.contains($0) }
        let presences = try state.withLock { (state) throws(PresenceError) -> [UserPresence] in
            try state.watch(users: allowed, subscription: subscription)
        }
        return try await fillLastSeen(presences)
    }

    func unwatch(users: [UserID], subscription: Int) {
        state.withLock { $0.unwatch(users: users, subscription: subscription) }
    }

    func watch(conversation: ConversationID, subscription: Int, observer: UserID) async throws(PresenceError) -> ConversationPresence {
        let member: Bool
        do {
            member = try await audience.isMember(observer, of: conversation)
        } catch {
            throw .audienceFailed(error)
        }
        guard member else { throw .conversationNotFound }
        var snapshot = state.withLock { $0.watch(conversation: conversation, subscription: subscription) }
        if snapshot == nil {
            let members: [UserID]
            do {
                members = try await audience.members(of: conversation)
            } catch {
                throw .audienceFailed(error)
            }
            snapshot = state.withLock { state in
                guard state.subscriptions[subscription] != nil else { return nil }
                state.activate(conversation, members: members)
                return state.watch(conversation: conversation, subscription: subscription)
            }
        }
        switch snapshot {
        case .members(let presences, let typing):
            return .members(try await fillLastSeen(presences), typing: typing)
        case .occupancy(let occupancy):
            return .occupancy(occupancy)
        case nil:
            // The subscription ended meanwhile.
            return .members([], typing: [])
        }
    }

    func unwatch(conversation: ConversationID, subscription: Int) {
        state.withLock { $0.unwatch(conversation: conversation, subscription: subscription) }
    }

    func endSubscription(_ id: Int) {
        state.withLock { $0.removeSubscription(id) }
    }
}
