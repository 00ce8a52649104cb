import MessagingCore
import MessagingPresence
import Testing

@Suite("PresenceStore: the in-memory adapter and the tracker's write-behind")
struct StoreTests {
    let ids = UUIDv7Generator()
    let t0 = Timestamp(millisecondsSince1970: 1_750_000_000_000)

    private func entry(_ user: UserID, node: String, expiresAt: Timestamp) -> DeviceEntry {
        DeviceEntry(
            key: DeviceKey(userID: user, deviceID: ids.next()), nodeID: PresenceNodeID(node), activity: .active,
            connectedAt: t0, expiresAt: expiresAt)
    }

    @Test("Entries live as long as their node's lease; removeExpired reaps only lapsed nodes")
    func leases() async throws {
        let store = InMemoryPresenceStore()
        let (alice, bob) = (UserID(ids.next()), UserID(ids.next()))
        let a1 = entry(alice, node: "a", expiresAt: t0.adding(milliseconds: 60_000))
        let a2 = entry(bob, node: "a", expiresAt: t0.adding(milliseconds: 60_000))
        let b1 = entry(alice, node: "b", expiresAt: t0.adding(milliseconds: 60_000))
        try await store.save([a1, a2, b1])
        #expect(Set(try await store.devices(of: [alice], at: t0).map(\.key)) == [a1.key, b1.key])

        // Node b renews; node a crashes.
        try await store.renewLease(of: PresenceNodeID("b"), until: t0.adding(milliseconds: 120_000))
        let later = t0.adding(milliseconds: 90_000)
        #expect(try await store.devices(of: [alice, bob], at: later).map(\.key) == [b1.key])
        #expect(try await store.devices(of: [alice], at: later).first?.expiresAt == t0.adding(milliseconds: 120_000))
        #expect(try await store.removeExpired(at: t0, limit: 10).isEmpty, "nothing lapsed yet")
        let reaped = try await store.removeExpired(at: later, limit: 1)
        #expect(reaped.count == 1, "the limit holds")
        let rest = try await store.removeExpired(at: later, limit: 10)
        #expect(Set((reaped + rest).map(\.key)) == [a1.key, a2.key])
        #expect(try await store.devices(of: [alice, bob], at: t0).map(\.key) == [b1.key])

        // A lease never shortens; removal is by key.
        try await store.renewLease(of: PresenceNodeID("b"), until: t0)
        #expect(try await store.devices(of: [alice], at: later).count == 1)
        try await store.remove([b1.key, a1.key])
        #expect(try await store.devices(of: [alice], at: t0).isEmpty)
    }

    @Test("Records: last seen only moves forward, status is replaced")
    func records() async throws {
        let store = InMemoryPresenceStore()
        let alice = UserID(ids.next())
        let status = try StatusText("away")
        try await store.save([PresenceRecord(userID: alice, lastSeen: t0.adding(milliseconds: 10), statusText: status)])
        try await store.save([PresenceRecord(userID: alice, lastSeen: t0, statusText: status)])
        #expect(try await store.records(of: [alice])[alice]?.lastSeen == t0.adding(milliseconds: 10))
        try await store.save([PresenceRecord(userID: alice, lastSeen: nil, statusText: nil)])
        let record = try await store.records(of: [alice, UserID(ids.next())])
        #expect(record.count == 1)
        #expect(record[alice] == PresenceRecord(userID: alice, lastSeen: t0.adding(milliseconds: 10), statusText: nil))
    }

    @Test("No store write per heartbeat: only arrivals, departures and offline transitions, batched per step")
    func writeBehind() async throws {
        let store = RecordingStore()
        let harness = try Harness(PresenceConfiguration(offlineGracePeriod: .zero), store: store)
        let (alice, phone) = (harness.user(), harness.device())
        for _ in 0..<1_000 {
            try harness.tracker.heartbeat(user: alice, device: phone)
            harness.clock.advance(by: .milliseconds(20))
        }
        #expect(store.calls.isEmpty, "heartbeats never touch the store")
        await harness.tracker.step()
        #expect(store.calls == ["save devices 1"])
        #expect(try await store.devices(of: [alice], at: harness.wallNow).map(\.key.deviceID) == [phone])

        // 20 more seconds of heartbeats and steps: no writes at all.
        var lastBeat = harness.wallNow
        for _ in 0..<20 {
            try harness.tracker.heartbeat(user: alice, device: phone)
            lastBeat = harness.wallNow
            await harness.advance(by: .seconds(1))
        }
        #expect(store.calls == ["save devices 1"])

        // The device expires: one removal and the last-seen record, in the same step.
        await harness.advance(by: .seconds(61))
        #expect(store.calls == ["save devices 1", "remove devices 1", "save records 1"])
        #expect(try await store.devices(of: [alice], at: harness.wallNow).isEmpty)
        let expectedLastSeen = lastBeat
        #expect(try await store.records(of: [alice])[alice]?.lastSeen == expectedLastSeen)
        // An observer who starts watching later gets the last-seen time from the store.
        let view = harness.tracker.subscribe(as: alice)
        #expect(try await view.watch(users: [alice]) == [.offline(alice, lastSeen: expectedLastSeen)])
    }

    @Test("A failed store write is retried at the next step and lost nothing")
    func retry() async throws {
        let store = RecordingStore()
        let harness = try Harness(store: store)
        let alice = harness.user()
        store.failing.withLock { $0 = true }
        try harness.tracker.heartbeat(user: alice, device: harness.device())
        try harness.tracker.setStatus(StatusText("hello"), for: alice)
        await harness.tracker.step()
        #expect(try await store.devices(of: [alice], at: harness.wallNow).isEmpty)
        store.failing.withLock { $0 = false }
        await harness.advance(by: .seconds(1))
        #expect(try await store.devices(of: [alice], at: harness.wallNow).count == 1)
        #expect(try await store.records(of: [alice])[alice]?.statusText == (try StatusText("hello")))
    }

    @Test("Shutdown removes this node's devices from the store")
    func shutdown() async throws {
        let store = InMemoryPresenceStore()
        let harness = try Harness(store: store)
        let alice = harness.user()
        try harness.tracker.heartbeat(user: alice, device: harness.device())
        await harness.tracker.step()
        #expect(try await store.devices(of: [alice], at: harness.wallNow).count == 1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await harness.tracker.run() }
            try await waitUntil { harness.clock.sleeperCount == 1 }
            group.cancelAll()
            try await group.waitForAll()
        }
        #expect(try await store.devices(of: [alice], at: harness.wallNow).isEmpty)
    }
}
