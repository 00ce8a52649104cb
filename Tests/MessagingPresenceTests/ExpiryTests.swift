import MessagingCore
import MessagingTesting
import MessagingPresence
import Testing

@Suite("Heartbeats, expiry and grace")
struct ExpiryTests {
    @Test(
        "A device that stops heartbeating goes offline within TTL + one step",
        arguments: [
            (step: Duration.seconds(1), firstBeat: Duration.zero),
            (step: .milliseconds(250), firstBeat: .milliseconds(130)),
            (step: .seconds(2), firstBeat: .milliseconds(1_999)),
        ])
    func deviceExpiresWithinTTLPlusStep(step: Duration, firstBeat: Duration) async throws {
        let harness = try Harness(PresenceConfiguration(offlineGracePeriod: .zero, expiryStep: step))
        let ttl = harness.tracker.configuration.deviceTTL
        let (alice, phone) = (harness.user(), harness.device())
        harness.clock.advance(by: firstBeat)
        try harness.tracker.heartbeat(user: alice, device: phone)
        let lastBeat = harness.clock.now
        let observer = harness.tracker.subscribe(as: alice)
        _ = try await observer.watch(users: [alice])

        var goneAt: Duration?
        while goneAt == nil, lastBeat.duration(to: harness.clock.now) < ttl + step * 3 {
            await harness.advance(by: step)
            if harness.tracker.connectedDevices(of: alice).isEmpty { goneAt = lastBeat.duration(to: harness.clock.now) }
        }
        let elapsed = try #require(goneAt, "the device never expired")
        #expect(elapsed >= ttl, "expired before its TTL: \(elapsed)")
        #expect(elapsed <= ttl + step, "expired later than TTL + one step: \(elapsed)")
        // With no grace period the user went offline in the same step, last seen at the last heartbeat.
        let change = try #require(presences(observer.takePendingChanges())[alice])
        #expect(change.state == .offline)
        #expect(change.lastSeen == Timestamp(millisecondsSince1970: harness.clock.start.millisecondsSince1970 + ManualClock.milliseconds(lastBeat.offset)))
    }

    @Test("With a grace period the user goes offline within TTL + step + grace, not before TTL + grace")
    func userOfflineAfterGrace() async throws {
        let harness = try Harness()
        let configuration = harness.tracker.configuration
        let alice = harness.user()
        try harness.tracker.heartbeat(user: alice, device: harness.device())
        let observer = harness.tracker.subscribe(as: alice)
        _ = try await observer.watch(users: [alice])

        await harness.advance(by: configuration.deviceTTL + configuration.offlineGracePeriod - configuration.expiryStep)
        #expect(harness.tracker.connectedDevices(of: alice).isEmpty, "the device expired at its TTL")
        #expect(observer.takePendingChanges().isEmpty, "still within the grace period: no change yet")
        await harness.advance(by: configuration.expiryStep * 2)
        #expect(presences(observer.takePendingChanges())[alice]?.state == .offline)
    }

    @Test("A reconnect within the grace period produces no offline/online pair")
    func reconnectWithinGrace() async throws {
        let harness = try Harness()
        let (alice, bob) = (harness.user(), harness.user())
        _ = harness.fixed.makeConversation([alice, bob])
        let phone = harness.device()
        try harness.tracker.heartbeat(user: alice, device: phone)
        let observer = harness.tracker.subscribe(as: bob)
        #expect(try await observer.watch(users: [alice]).map(\.state) == [.online])

        // The connection drops and the client reconnects 4 s later (new connection, same device).
        harness.tracker.disconnect(device: phone, of: alice)
        await harness.advance(by: .seconds(4))
        try harness.tracker.heartbeat(user: alice, device: phone)
        await harness.advance(by: .seconds(30))
        #expect(observer.takePendingChanges().isEmpty, "a reconnect within the grace period must not flap")

        // The device expires (killed client) and a new device shows up within the grace period.
        await harness.advance(by: .seconds(35))
        #expect(harness.tracker.connectedDevices(of: alice).isEmpty)
        try harness.tracker.heartbeat(user: alice, device: harness.device())
        await harness.advance(by: .seconds(20))
        #expect(observer.takePendingChanges().isEmpty)

        // A disconnect without a reconnect does end in offline, once.
        for device in harness.tracker.connectedDevices(of: alice) { harness.tracker.disconnect(device: device, of: alice) }
        await harness.advance(by: harness.tracker.configuration.offlineGracePeriod + .seconds(1))
        let changes = observer.takePendingChanges()
        #expect(changes.count == 1)
        #expect(presences(changes)[alice]?.state == .offline)
    }

    @Test("A user with two devices stays online until both are gone")
    func twoDevices() async throws {
        let harness = try Harness(PresenceConfiguration(offlineGracePeriod: .zero))
        let (alice, bob) = (harness.user(), harness.user())
        _ = harness.fixed.makeConversation([alice, bob])
        let (phone, laptop) = (harness.device(), harness.device())
        try harness.tracker.heartbeat(user: alice, device: phone)
        try harness.tracker.heartbeat(user: alice, device: laptop)
        let observer = harness.tracker.subscribe(as: bob)
        _ = try await observer.watch(users: [alice])

        // The phone goes silent; the laptop keeps heartbeating every 25 s.
        for _ in 0..<6 {
            await harness.advance(by: .seconds(25))
            try harness.tracker.heartbeat(user: alice, device: laptop)
        }
        #expect(harness.tracker.connectedDevices(of: alice) == [laptop], "the phone expired")
        #expect(observer.takePendingChanges().isEmpty, "the user stayed online throughout")

        // Then the laptop goes silent too.
        await harness.advance(by: .seconds(61))
        #expect(harness.tracker.connectedDevices(of: alice).isEmpty)
        #expect(presences(observer.takePendingChanges())[alice]?.state == .offline)
    }

    @Test("Away when every device is idle, online when any is active")
    func awayMerge() async throws {
        let harness = try Harness()
        let alice = harness.user()
        let (phone, laptop) = (harness.device(), harness.device())
        try harness.tracker.heartbeat(user: alice, device: phone, activity: .idle)
        let observer = harness.tracker.subscribe(as: alice)
        #expect(try await observer.watch(users: [alice]).map(\.state) == [.away])
        try harness.tracker.heartbeat(user: alice, device: laptop, activity: .active)
        #expect(presences(observer.takePendingChanges())[alice]?.state == .online)
        try harness.tracker.heartbeat(user: alice, device: laptop, activity: .idle)
        #expect(presences(observer.takePendingChanges())[alice]?.state == .away)
        harness.tracker.disconnect(device: laptop, of: alice)
        #expect(observer.takePendingChanges().isEmpty, "still away on the phone")
    }

    @Test("A heartbeat flood cannot extend the TTL beyond its maximum")
    func heartbeatFlood() async throws {
        let harness = try Harness(PresenceConfiguration(offlineGracePeriod: .zero))
        let maximum = harness.tracker.configuration.maximumDeviceTTL
        let step = harness.tracker.configuration.expiryStep
        let (alice, phone) = (harness.user(), harness.device())

        // 10,000 heartbeats at one instant, each asking for an hour.
        for _ in 0..<10_000 {
            let granted = try harness.tracker.heartbeat(user: alice, device: phone, ttl: .seconds(3_600))
            #expect(granted == maximum)
        }
        // Then a burst spread over 3 s, every 10 ms.
        for _ in 0..<300 {
            harness.clock.advance(by: .milliseconds(10))
            try harness.tracker.heartbeat(user: alice, device: phone, ttl: .seconds(3_600))
        }
        await harness.tracker.step()
        let lastBeat = harness.clock.now
        await harness.advance(by: maximum - step)
        #expect(harness.tracker.connectedDevices(of: alice) == [phone], "alive until the maximum TTL")
        await harness.advance(by: step * 2)
        #expect(harness.tracker.connectedDevices(of: alice).isEmpty, "gone at most one step after the maximum TTL")
        #expect(lastBeat.duration(to: harness.clock.now) <= maximum + step)
    }

    @Test("A later heartbeat that asks for a shorter TTL moves the deadline earlier; a longer one later")
    func shorterTTL() async throws {
        let harness = try Harness(PresenceConfiguration(offlineGracePeriod: .zero))
        let step = harness.tracker.configuration.expiryStep
        let (alice, phone) = (harness.user(), harness.device())
        let (bob, laptop) = (harness.user(), harness.device())
        try harness.tracker.heartbeat(user: alice, device: phone, ttl: .seconds(100))
        try harness.tracker.heartbeat(user: bob, device: laptop, ttl: .seconds(10))
        await harness.advance(by: .seconds(5))
        try harness.tracker.heartbeat(user: alice, device: phone, ttl: .seconds(10))
        try harness.tracker.heartbeat(user: bob, device: laptop, ttl: .seconds(100))
        await harness.advance(by: .seconds(10) - step)
        #expect(harness.tracker.connectedDevices(of: alice) == [phone])
        await harness.advance(by: step)
        #expect(harness.tracker.connectedDevices(of: alice).isEmpty, "gone 10 s after the shortening heartbeat")
        #expect(harness.tracker.connectedDevices(of: bob) == [laptop], "its first timer fired and re-armed")
        await harness.advance(by: .seconds(90) - step)  // t = 105 s - step; bob's last heartbeat was at 5 s
        #expect(harness.tracker.connectedDevices(of: bob) == [laptop])
        await harness.advance(by: step)
        #expect(harness.tracker.connectedDevices(of: bob).isEmpty, "gone 100 s after its last heartbeat")
    }

    @Test("A new device beyond the per-user limit is refused; existing devices keep heartbeating")
    func deviceLimit() async throws {
        let harness = try Harness(PresenceConfiguration(maximumDevicesPerUser: 2))
        let alice = harness.user()
        let devices = [harness.device(), harness.device()]
        for device in devices { try harness.tracker.heartbeat(user: alice, device: device) }
        await expectPresenceError(.limitExceeded) { try harness.tracker.heartbeat(user: alice, device: harness.device()) }
        try harness.tracker.heartbeat(user: alice, device: devices[0])
        #expect(harness.tracker.trackedDeviceCount == 2)
    }

    @Test("run() as a Service: a killed client's device goes offline within TTL + one step; shutdown ends subscriptions")
    func runLoop() async throws {
        let harness = try Harness(PresenceConfiguration(offlineGracePeriod: .zero))
        let step = harness.tracker.configuration.expiryStep
        let ttl = harness.tracker.configuration.deviceTTL
        let alice = harness.user()
        try harness.tracker.heartbeat(user: alice, device: harness.device())
        let observer = harness.tracker.subscribe(as: alice)
        _ = try await observer.watch(users: [alice])

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await harness.tracker.run() }
            var offlineAfter: Duration?
            var elapsed = Duration.zero
            while offlineAfter == nil, elapsed <= ttl + step * 3 {
                // Wait until run() sleeps, then move time by one step.
                try await waitUntil { harness.clock.sleeperCount == 1 }
                harness.clock.advance(by: step)
                elapsed += step
                try await waitUntil { harness.clock.sleeperCount == 1 }
                if presences(observer.takePendingChanges())[alice]?.state == .offline { offlineAfter = elapsed }
            }
            let after = try #require(offlineAfter, "run() never expired the device")
            #expect(after >= ttl && after <= ttl + step)

            group.cancelAll()
            try await group.waitForAll()
        }
        // Shutdown finished the subscription: iteration ends instead of waiting forever.
        var iterator = observer.makeAsyncIterator()
        #expect(await iterator.next() == nil)
    }
}

/// Polls `condition` every millisecond for up to two seconds of real time.
func waitUntil(_ condition: () -> Bool) async throws {
    for _ in 0..<2_000 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(1))
    }
    Issue.record("condition not met within 2 s")
}
