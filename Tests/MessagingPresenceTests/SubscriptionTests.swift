import MessagingCore
import MessagingPresence
import Testing

@Suite("Subscriptions")
struct SubscriptionTests {
    @Test("Changes are coalesced per user: a slow observer gets only the latest")
    func coalesced() async throws {
        let harness = try Harness()
        let (alice, bob, carol) = (harness.user(), harness.user(), harness.user())
        _ = harness.fixed.makeConversation([alice, bob, carol])
        let view = harness.tracker.subscribe(as: bob)
        _ = try await view.watch(users: [alice, carol])
        let phone = harness.device()
        try harness.tracker.heartbeat(user: alice, device: phone, activity: .active)
        try harness.tracker.heartbeat(user: carol, device: harness.device())
        for activity in [DeviceActivity.idle, .active, .idle] {
            try harness.tracker.heartbeat(user: alice, device: phone, activity: activity)
        }
        let batch = view.takePendingChanges()
        #expect(batch.count == 2)
        #expect(presences(batch)[alice]?.state == .away)
        #expect(presences(batch)[carol]?.state == .online)
        #expect(view.takePendingChanges().isEmpty)
    }

    @Test("Iteration waits for changes and ends when the subscription is cancelled")
    func iteration() async throws {
        let harness = try Harness()
        let (alice, bob) = (harness.user(), harness.user())
        _ = harness.fixed.makeConversation([alice, bob])
        let view = harness.tracker.subscribe(as: bob)
        _ = try await view.watch(users: [alice])
        let collected = Task {
            var batches: [[PresenceChange]] = []
            for await batch in view { batches.append(batch) }
            return batches
        }
        try harness.tracker.heartbeat(user: alice, device: harness.device())
        try await waitUntil { harness.tracker.trackedDeviceCount == 1 }
        try await Task.sleep(for: .milliseconds(5))
        view.cancel()
        let batches = await collected.value
        #expect(batches.flatMap { $0 }.count == 1)
        #expect(presences(batches.flatMap { $0 })[alice]?.state == .online)
        // A cancelled subscription takes no more changes.
        try harness.tracker.heartbeat(user: alice, device: harness.device(), activity: .idle)
        #expect(view.takePendingChanges().isEmpty)
    }

    @Test("Unwatching stops changes; a conversation nobody watches is forgotten")
    func unwatch() async throws {
        let harness = try Harness()
        let (alice, bob) = (harness.user(), harness.user())
        let room = harness.fixed.makeConversation([alice, bob])
        let view = harness.tracker.subscribe(as: bob)
        _ = try await view.watch(users: [alice])
        _ = try await view.watch(conversation: room)
        view.unwatch(users: [alice])
        try harness.tracker.heartbeat(user: alice, device: harness.device())
        #expect(presences(view.takePendingChanges())[alice]?.state == .online, "still watched through the room")
        view.unwatch(conversation: room)
        try harness.tracker.heartbeat(user: alice, device: harness.device(), activity: .idle)
        #expect(view.takePendingChanges().isEmpty)
        // Watching again loads the members again (one more membership call).
        let calls = harness.fixed.callCount
        _ = try await view.watch(conversation: room)
        #expect(harness.fixed.callCount == calls + 2)
    }

    @Test("A subscription may watch at most the configured number of users")
    func watchLimit() async throws {
        let harness = try Harness(PresenceConfiguration(maximumWatchedUsers: 3))
        let users = (0..<5).map { _ in harness.user() }
        _ = harness.fixed.makeConversation(users)
        let view = harness.tracker.subscribe(as: users[0])
        #expect(try await view.watch(users: Array(users[0..<3])).count == 3)
        await expectPresenceError(.limitExceeded) { try await view.watch(users: Array(users[3...])) }
    }
}
