import MessagingCore
import MessagingPresence
import Testing

@Suite("Typing indicators")
struct TypingTests {
    struct Room {
        let harness: Harness
        let alice: UserID, bob: UserID
        let conversation: ConversationID
        let bobView: PresenceSubscription

        static func make(_ configuration: PresenceConfiguration = .init()) async throws -> Room {
            let harness = try Harness(configuration)
            let (alice, bob) = (harness.user(), harness.user())
            let conversation = harness.fixed.makeConversation([alice, bob])
            let bobView = harness.tracker.subscribe(as: bob)
            _ = try await bobView.watch(conversation: conversation)
            return Room(harness: harness, alice: alice, bob: bob, conversation: conversation, bobView: bobView)
        }

        func typing(_ isTyping: Bool) -> TypingChange {
            TypingChange(conversationID: conversation, userID: alice, isTyping: isTyping)
        }
    }

    @Test("Typing expires after the timeout without a refresh")
    func expires() async throws {
        let room = try await Room.make()
        let configuration = room.harness.tracker.configuration
        try await room.harness.tracker.typing(true, by: room.alice, in: room.conversation)
        #expect(typingChanges(room.bobView.takePendingChanges()) == [room.typing(true)])

        await room.harness.advance(by: configuration.typingTimeout - configuration.expiryStep)
        #expect(room.bobView.takePendingChanges().isEmpty, "still typing")
        await room.harness.advance(by: configuration.expiryStep * 2)
        #expect(typingChanges(room.bobView.takePendingChanges()) == [room.typing(false)])
    }

    @Test("A refresh keeps the indicator on without new changes; a stop ends it at once")
    func refreshAndStop() async throws {
        let room = try await Room.make()
        let tracker = room.harness.tracker
        try await tracker.typing(true, by: room.alice, in: room.conversation)
        _ = room.bobView.takePendingChanges()
        for _ in 0..<4 {
            await room.harness.advance(by: .seconds(3))
            #expect(try await tracker.typing(true, by: room.alice, in: room.conversation) == .accepted)
        }
        #expect(room.bobView.takePendingChanges().isEmpty, "refreshes within the timeout change nothing for observers")
        // Someone who opens the conversation now sees alice typing in the snapshot.
        let late = tracker.subscribe(as: room.bob)
        guard case .members(_, let typing) = try await late.watch(conversation: room.conversation) else {
            Issue.record("expected per-member presence")
            return
        }
        #expect(typing == [room.alice])

        #expect(try await tracker.typing(false, by: room.alice, in: room.conversation) == .accepted)
        #expect(typingChanges(room.bobView.takePendingChanges()) == [room.typing(false)])
    }

    @Test("Typing is rate-limited per user and conversation")
    func rateLimit() async throws {
        let room = try await Room.make()
        let tracker = room.harness.tracker
        let interval = tracker.configuration.typingMinimumInterval
        let other = room.harness.fixed.makeConversation([room.alice, room.bob])
        let callsBefore = room.harness.fixed.callCount

        #expect(try await tracker.typing(true, by: room.alice, in: room.conversation) == .accepted)
        for _ in 0..<50 {
            #expect(try await tracker.typing(true, by: room.alice, in: room.conversation) == .throttled)
        }
        #expect(room.harness.fixed.callCount == callsBefore + 1, "throttled calls never reach the membership source")
        // Stopping and starting again does not get around the limit.
        try await tracker.typing(false, by: room.alice, in: room.conversation)
        #expect(try await tracker.typing(true, by: room.alice, in: room.conversation) == .throttled)
        // Another conversation and another user have their own limits.
        #expect(try await tracker.typing(true, by: room.alice, in: other) == .accepted)
        #expect(try await tracker.typing(true, by: room.bob, in: room.conversation) == .accepted)

        #expect(
            typingChanges(room.bobView.takePendingChanges()) == [room.typing(false)],
            "one start and one stop, coalesced to the latest; bob's own typing is not echoed to him")
        room.harness.clock.advance(by: interval)
        #expect(try await tracker.typing(true, by: room.alice, in: room.conversation) == .accepted)
        #expect(typingChanges(room.bobView.takePendingChanges()) == [room.typing(true)])
    }

    @Test("Typing ends when the user goes offline")
    func endsOffline() async throws {
        let room = try await Room.make(PresenceConfiguration(offlineGracePeriod: .zero))
        let tracker = room.harness.tracker
        let phone = room.harness.device()
        let unwatched = room.harness.fixed.makeConversation([room.alice, room.bob])
        try tracker.heartbeat(user: room.alice, device: phone)
        try await tracker.typing(true, by: room.alice, in: room.conversation)
        try await tracker.typing(true, by: room.alice, in: unwatched)
        _ = room.bobView.takePendingChanges()
        tracker.disconnect(device: phone, of: room.alice)
        let changes = room.bobView.takePendingChanges()
        #expect(typingChanges(changes) == [room.typing(false)])
        #expect(presences(changes)[room.alice]?.state == .offline)
        // Typing in a conversation nobody watched ended too: opening it now shows nobody typing.
        guard case .members(_, let typing) = try await room.bobView.watch(conversation: unwatched) else {
            Issue.record("expected per-member presence")
            return
        }
        #expect(typing.isEmpty)
    }
}
