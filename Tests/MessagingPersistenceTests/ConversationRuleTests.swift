import Foundation
import MessagingCore
import MessagingTesting
import Testing

@Suite("Conversation rules")
struct ConversationRuleTests {
    @Test("direct conversations: two members, one per pair, membership fixed")
    func direct() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let users = try await fixture.users("alice", "bob", "carol")
        let conversations = fixture.messaging.conversations
        let first = try await conversations.create(.direct(with: users[1].id), by: users[0].id)
        let again = try await conversations.create(.direct(with: users[0].id), by: users[1].id)
        #expect(first.id == again.id, "at most one direct conversation per pair, whoever creates it")
        #expect(first.kind == .direct && first.title == nil)
        #expect(try await conversations.members(of: first.id, for: users[0].id).map(\.userID).sorted() == [users[0].id, users[1].id].sorted())
        await expectError(.invalidInput) { try await conversations.create(.direct(with: users[0].id), by: users[0].id) }
        await expectError(.invalidInput) { try await conversations.addMember(users[2].id, to: first.id, by: users[0].id) }
        await expectError(.invalidInput) { try await conversations.leave(first.id, by: users[0].id) }
        await expectError(.invalidInput) { try await conversations.update(first.id, with: .init(title: "x"), by: users[0].id) }
        await expectError(.notFound) { try await conversations.create(.direct(with: UserID(UUIDv7Generator().next())), by: users[0].id) }
    }

    @Test("the last owner cannot leave or be demoted without handing over")
    func lastOwner() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let users = try await fixture.users("alice", "bob")
        let conversations = fixture.messaging.conversations
        let room = try await conversations.create(.group(title: "t", members: [users[1].id]), by: users[0].id)
        await expectError(.conflict) { try await conversations.leave(room.id, by: users[0].id) }
        await expectError(.conflict) { try await conversations.changeRole(of: users[0].id, to: .member, in: room.id, by: users[0].id) }
        _ = try await conversations.changeRole(of: users[1].id, to: .owner, in: room.id, by: users[0].id)
        try await conversations.leave(room.id, by: users[0].id)
        await expectError(.notFound) { try await conversations.conversation(room.id, for: users[0].id) }
        // The sole remaining member may leave: nobody is left to hand over to.
        try await conversations.leave(room.id, by: users[1].id)
    }

    @Test("rank rules: nobody grants above their role or acts on an equal or higher rank (owners excepted)")
    func ranks() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let users = try await fixture.users("owner", "admin1", "admin2", "member", "other")
        let (owner, admin1, admin2, member, other) = (users[0], users[1], users[2], users[3], users[4])
        let conversations = fixture.messaging.conversations
        let room = try await conversations.create(.group(title: "t", members: [admin1.id, admin2.id, member.id]), by: owner.id)
        _ = try await conversations.changeRole(of: admin1.id, to: .admin, in: room.id, by: owner.id)
        _ = try await conversations.changeRole(of: admin2.id, to: .admin, in: room.id, by: owner.id)
        await expectError(.forbidden) { try await conversations.changeRole(of: member.id, to: .owner, in: room.id, by: admin1.id) }
        await expectError(.forbidden) { try await conversations.addMember(other.id, role: .owner, to: room.id, by: admin1.id) }
        await expectError(.forbidden) { try await conversations.removeMember(admin2.id, from: room.id, by: admin1.id) }
        await expectError(.forbidden) { try await conversations.removeMember(owner.id, from: room.id, by: admin1.id) }
        await expectError(.forbidden) { try await conversations.changeRole(of: member.id, to: .admin, in: room.id, by: member.id) }
        _ = try await conversations.changeRole(of: member.id, to: .admin, in: room.id, by: admin1.id)
        _ = try await conversations.changeRole(of: admin2.id, to: .member, in: room.id, by: admin2.id)  // lowering oneself
        try await conversations.removeMember(admin1.id, from: room.id, by: owner.id)
        let added = try await conversations.addMember(other.id, to: room.id, by: owner.id)
        #expect(try await conversations.addMember(other.id, to: room.id, by: owner.id) == added, "adding a member twice changes nothing")
        let roles = try await conversations.members(of: room.id, for: owner.id).map { "\($0.userID == owner.id ? "o" : "")\($0.role)" }
        #expect(roles.sorted() == ["admin", "member", "member", "oowner"])
    }

    @Test("membership changes, renames and messages are events with gapless seqs")
    func events() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let users = try await fixture.users("alice", "bob")
        let (alice, bob) = (users[0], users[1])
        let messaging = fixture.messaging
        let room = try await messaging.conversations.create(.group(title: " Team ", topic: "plans", members: []), by: alice.id)
        #expect(room.title == "Team" && room.lastSeq == 0)
        _ = try await messaging.conversations.addMember(bob.id, to: room.id, by: alice.id)
        _ = try await messaging.conversations.changeRole(of: bob.id, to: .admin, in: room.id, by: alice.id)
        let renamed = try await messaging.conversations.update(room.id, with: .init(title: "Core team", topic: ""), by: bob.id)
        #expect(renamed.title == "Core team" && renamed.topic == nil)
        let unchanged = try await messaging.conversations.update(room.id, with: .init(title: "Core team"), by: bob.id)
        #expect(unchanged.lastSeq == renamed.lastSeq, "a change to the same values appends no event")
        let message = try await fixture.send("hello @bob", to: room.id, by: alice.id)
        let emoji = try Emoji("🎉")
        try await messaging.messages.react(to: message.id, with: emoji, by: bob.id)
        try await messaging.messages.react(to: message.id, with: emoji, by: bob.id)  // no second event
        try await messaging.messages.unreact(to: message.id, with: emoji, by: bob.id)
        _ = try await messaging.messages.edit(message.id, to: .text("hello @bob!"), mentions: [bob.id], by: alice.id)
        _ = try await messaging.messages.delete(message.id, by: bob.id)
        _ = try await messaging.messages.delete(message.id, by: bob.id)  // tombstone returned, no event
        try await messaging.conversations.leave(room.id, by: bob.id)
        let events = try await fixture.allEvents(room.id, for: alice.id)
        #expect(events.map(\.seq) == Array(1...9))
        let kinds = events.map { event -> String in
            switch event.payload {
            case .memberJoined: "joined"
            case .memberRoleChanged(_, .member, .admin): "promoted"
            case .conversationUpdated(let title, nil): "renamed \(title ?? "")"
            case .messageCreated(let current): current.isDeleted ? "created (now a tombstone)" : "created"
            case .reactionAdded: "reacted"
            case .reactionRemoved: "unreacted"
            case .messageEdited(let current): current.isDeleted ? "edited (now a tombstone)" : "edited"
            case .messageDeleted: "deleted"
            case .memberLeft(let user, nil, _) where user == bob.id: "left"
            default: "unexpected \(event.payload)"
            }
        }
        #expect(kinds == [
            "joined", "promoted", "renamed Core team", "created (now a tombstone)", "reacted", "unreacted",
            "edited (now a tombstone)", "deleted", "left",
        ])
    }

    @Test("message rules: author-only edits, references within the conversation, mentions of members, reaction cap")
    func messageRules() async throws {
        var configuration = MessagingConfiguration()
        configuration.limits.maxReactionsPerUserPerMessage = 3
        let fixture = try Fixture(configuration: configuration)
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let users = try await fixture.users("alice", "bob", "carol")
        let (alice, bob, carol) = (users[0], users[1], users[2])
        let messaging = fixture.messaging
        let room = try await messaging.conversations.create(.group(title: "a", members: [bob.id]), by: alice.id)
        let elsewhere = try await messaging.conversations.create(.group(title: "b", members: [bob.id]), by: alice.id)
        let root = try await fixture.send("root", to: room.id, by: alice.id)
        let foreign = try await fixture.send("elsewhere", to: elsewhere.id, by: alice.id)
        await expectError(.forbidden) { try await messaging.messages.edit(root.id, to: .text("mine now"), by: bob.id) }
        await expectError(.invalidInput) { try await messaging.messages.edit(root.id, to: .ciphertext(Data([1])), by: alice.id) }
        let key = { try ClientMessageID(UUID().uuidString) }
        await expectError(.invalidInput, "reply across conversations") {
            try await messaging.messages.send(try MessageDraft(text: "re", clientMessageID: key(), replyTo: foreign.id), to: room.id, by: bob.id)
        }
        await expectError(.invalidInput, "thread root across conversations") {
            try await messaging.messages.send(try MessageDraft(text: "re", clientMessageID: key(), threadRoot: foreign.id), to: room.id, by: bob.id)
        }
        await expectError(.invalidInput, "mention of a non-member") {
            try await messaging.messages.send(try MessageDraft(text: "hi", clientMessageID: key(), mentions: [carol.id]), to: room.id, by: bob.id)
        }
        let reply = try await messaging.messages.send(
            try MessageDraft(text: "re", clientMessageID: key(), replyTo: root.id, threadRoot: root.id, mentions: [alice.id, alice.id]),
            to: room.id, by: bob.id
        ).message
        #expect(reply.replyToID == root.id && reply.threadRootID == root.id && reply.mentions == [alice.id])
        await expectError(.invalidInput, "a thread reply cannot be a root") {
            try await messaging.messages.send(try MessageDraft(text: "x", clientMessageID: key(), threadRoot: reply.id), to: room.id, by: bob.id)
        }
        for emoji in ["👍", "🎉", "❤️"] { try await messaging.messages.react(to: root.id, with: Emoji(emoji), by: bob.id) }
        await expectError(.limitExceeded) { try await messaging.messages.react(to: root.id, with: Emoji("🔥"), by: bob.id) }
        try await messaging.messages.react(to: root.id, with: Emoji("🔥"), by: alice.id)  // the cap is per user
        _ = try await messaging.messages.delete(root.id, by: alice.id)
        await expectError(.conflict) { try await messaging.messages.edit(root.id, to: .text("revive"), by: alice.id) }
        await expectError(.conflict) { try await messaging.messages.react(to: root.id, with: Emoji("👍"), by: alice.id) }
        let system = try MessageDraft(systemText: "alice renamed the room", clientMessageID: key())
        await expectError(.forbidden) { try await messaging.messages.send(system, to: room.id, by: bob.id) }
        #expect(try await messaging.messages.send(system, to: room.id, by: alice.id).message.kind == .system)
    }

    @Test("read positions only move forward and drive unread counts")
    func readState() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let users = try await fixture.users("alice", "bob")
        let (alice, bob) = (users[0], users[1])
        let messaging = fixture.messaging
        let room = try await messaging.conversations.create(.group(title: "a", members: [bob.id]), by: alice.id)
        let quiet = try await messaging.conversations.create(.group(title: "b", members: [bob.id]), by: alice.id)
        var sent: [Message] = []
        for index in 0..<5 { sent.append(try await fixture.send("m\(index)", to: room.id, by: alice.id)) }
        try await fixture.send("bob's own", to: room.id, by: bob.id)
        _ = try await messaging.messages.delete(sent[4].id, by: alice.id)
        var counts = try await messaging.readState.unreadCounts(for: bob.id)
        #expect(Dictionary(uniqueKeysWithValues: counts.map { ($0.conversationID, $0.count) }) == [room.id: 4, quiet.id: 0])
        #expect(try await messaging.readState.markRead(room.id, upTo: sent[1].seq, by: bob.id).readSeq == sent[1].seq)
        #expect(try await messaging.readState.markRead(room.id, upTo: sent[0].seq, by: bob.id).readSeq == sent[1].seq, "never backwards")
        counts = try await messaging.readState.unreadCounts(for: bob.id)
        #expect(counts.first { $0.conversationID == room.id }?.count == 2)
        await expectError(.invalidInput) { try await messaging.readState.markRead(room.id, upTo: 999, by: bob.id) }
        await expectError(.invalidInput) { try await messaging.readState.markRead(room.id, upTo: -1, by: bob.id) }
    }

    @Test("conversation lists page by last activity without skipping or repeating")
    func conversationList() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let alice = try await fixture.user("alice")
        var rooms: [Conversation] = []
        for index in 0..<7 {
            rooms.append(try await fixture.messaging.conversations.create(.group(title: "r\(index)", members: []), by: alice.id))
            fixture.clock.advance(milliseconds: index % 2 == 0 ? 0 : 5)  // equal activity times exercise the id tie-break
        }
        fixture.clock.advance(milliseconds: 100)
        try await fixture.send("bump", to: rooms[2].id, by: alice.id)
        var seen: [ConversationID] = []
        var cursor: ConversationCursor?
        repeat {
            let page = try await fixture.messaging.conversations.conversations(of: alice.id, after: cursor, limit: 3)
            seen += page.conversations.map(\.conversation.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen.count == 7 && Set(seen).count == 7)
        #expect(seen.first == rooms[2].id)
        await expectError(.invalidInput) { try await fixture.messaging.conversations.conversations(of: alice.id, limit: 0) }
    }

    @Test("a retried create with the same request id returns the first conversation")
    func idempotentCreate() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let alice = try await fixture.user("alice")
        let first = try await fixture.messaging.conversations.create(.group(title: "x", members: []), by: alice.id, requestID: "req-1")
        let retry = try await fixture.messaging.conversations.create(.group(title: "x", members: []), by: alice.id, requestID: "req-1")
        #expect(first.id == retry.id)
        #expect(try await fixture.messaging.conversations.conversations(of: alice.id).conversations.count == 1)
        fixture.clock.advance(milliseconds: 24 * 3600 * 1000)
        let later = try await fixture.messaging.conversations.create(.group(title: "x", members: []), by: alice.id, requestID: "req-1")
        #expect(later.id != first.id, "the record expires after the retention period")
    }
}
