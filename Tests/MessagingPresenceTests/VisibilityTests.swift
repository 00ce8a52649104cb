import MessagingCore
import MessagingPersistence
import MessagingPresence
import Testing

/// Membership comes from a real SQLite-backed `Messaging` through `StoreMembershipAudience`.
@Suite("Visibility: only people who share a conversation")
struct VisibilityTests {
    struct World {
        let sqlite: SQLiteWorld
        let harness: Harness
        let alice: UserID, bob: UserID, carol: UserID, dave: UserID
        let room: ConversationID

        /// alice and bob share `room`; carol and dave share another; nobody else shares anything.
        static func make() async throws -> World {
            let sqlite = try SQLiteWorld()
            let harness = try Harness(audience: StoreMembershipAudience(store: sqlite.store))
            let (alice, bob, carol, dave) = (
                try await sqlite.user("alice"), try await sqlite.user("bob"), try await sqlite.user("carol"),
                try await sqlite.user("dave"))
            let room = try await sqlite.messaging.conversations.create(.group(title: "Team", members: [bob]), by: alice)
            _ = try await sqlite.messaging.conversations.create(.group(title: "Other", members: [dave]), by: carol)
            return World(sqlite: sqlite, harness: harness, alice: alice, bob: bob, carol: carol, dave: dave, room: room.id)
        }
    }

    @Test("Non-members never see presence or typing")
    func nonMembers() async throws {
        let world = try await World.make()
        defer { world.sqlite.removeFiles() }
        let tracker = world.harness.tracker
        let bobView = tracker.subscribe(as: world.bob)
        let carolView = tracker.subscribe(as: world.carol)

        // Bob may watch alice and the room; carol may do neither.
        #expect(try await bobView.watch(users: [world.alice]).map(\.userID) == [world.alice])
        guard case .members(let members, _) = try await bobView.watch(conversation: world.room) else {
            Issue.record("a two-member room reports per-member presence")
            return
        }
        #expect(Set(members.map(\.userID)) == [world.alice, world.bob])
        #expect(try await carolView.watch(users: [world.alice, world.bob]).isEmpty)
        await expectPresenceError(.notFound) { try await carolView.watch(conversation: world.room) }
        await expectPresenceError(.notFound) { try await tracker.presence(of: world.alice, as: world.carol) }
        #expect(try await tracker.presence(of: world.alice, as: world.bob).state == .offline)

        // Alice comes online and types; carol tries to type in the room.
        try tracker.heartbeat(user: world.alice, device: world.harness.device())
        #expect(try await tracker.typing(true, by: world.alice, in: world.room) == .accepted)
        await expectPresenceError(.notFound) { try await tracker.typing(true, by: world.carol, in: world.room) }

        let bobChanges = bobView.takePendingChanges()
        #expect(presences(bobChanges)[world.alice]?.state == .online)
        #expect(typingChanges(bobChanges) == [TypingChange(conversationID: world.room, userID: world.alice, isTyping: true)])
        #expect(carolView.takePendingChanges().isEmpty, "carol shares no conversation with alice or bob")

        // Carol does see dave, with whom she shares a conversation.
        #expect(try await carolView.watch(users: [world.dave]).map(\.userID) == [world.dave])
    }

    @Test("A member who leaves stops seeing the conversation and the people it no longer shares one with")
    func leaving() async throws {
        let world = try await World.make()
        defer { world.sqlite.removeFiles() }
        let tracker = world.harness.tracker
        let bobView = tracker.subscribe(as: world.bob)
        _ = try await bobView.watch(users: [world.alice])
        _ = try await bobView.watch(conversation: world.room)

        try await world.sqlite.messaging.conversations.removeMember(world.bob, from: world.room, by: world.alice)
        try await tracker.membershipChanged(of: world.bob, in: world.room, isMember: false)
        let changes = bobView.takePendingChanges()
        #expect(changes.contains(.conversationClosed(world.room)))
        #expect(changes.contains(.hidden(world.alice)))

        // From now on bob hears nothing about alice or the room.
        try tracker.heartbeat(user: world.alice, device: world.harness.device())
        #expect(try await tracker.typing(true, by: world.alice, in: world.room) == .accepted)
        #expect(bobView.takePendingChanges().isEmpty)
        await expectPresenceError(.notFound) { try await tracker.typing(true, by: world.bob, in: world.room) }
        await expectPresenceError(.notFound) { try await bobView.watch(conversation: world.room) }
    }

    @Test("A member who joins shows up in a watched conversation")
    func joining() async throws {
        let world = try await World.make()
        defer { world.sqlite.removeFiles() }
        let tracker = world.harness.tracker
        try tracker.heartbeat(user: world.carol, device: world.harness.device())
        let aliceView = tracker.subscribe(as: world.alice)
        _ = try await aliceView.watch(conversation: world.room)
        #expect(try await aliceView.watch(users: [world.carol]).isEmpty)

        _ = try await world.sqlite.messaging.conversations.addMember(world.carol, to: world.room, by: world.alice)
        try await tracker.membershipChanged(of: world.carol, in: world.room, isMember: true)
        #expect(presences(aliceView.takePendingChanges())[world.carol]?.state == .online)
        #expect(try await aliceView.watch(users: [world.carol]).map(\.state) == [.online])
    }
}
