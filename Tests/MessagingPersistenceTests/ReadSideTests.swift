import Foundation
import MessagingCore
import MessagingTesting
import Testing

@Suite("Read side: reaction summaries, thread summaries, thread pages")
struct ReadSideTests {
    func reply(
        _ text: String, to root: MessageID, replyTo: MessageID? = nil, in room: ConversationID, by user: UserID,
        fixture: Fixture
    ) async throws -> Message {
        let draft = try MessageDraft(
            text: text, clientMessageID: ClientMessageID(UUID().uuidString), replyTo: replyTo ?? root, threadRoot: root)
        return try await fixture.messaging.messages.send(draft, to: room, by: user).message
    }

    @Test("a history page carries each message's reaction summaries with the reader's own flag, and each root's thread summary")
    func historySummaries() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let users = try await fixture.users("alice", "bob")
        let (alice, bob) = (users[0], users[1])
        let messages = fixture.messaging.messages
        let room = try await fixture.messaging.conversations.create(.group(title: "t", members: [bob.id]), by: alice.id)
        let root = try await fixture.send("root", to: room.id, by: alice.id)
        let plain = try await fixture.send("plain", to: room.id, by: bob.id)
        let thumbs = try Emoji("👍")
        let party = try Emoji("🎉")
        try await messages.react(to: root.id, with: thumbs, by: alice.id)
        try await messages.react(to: root.id, with: thumbs, by: bob.id)
        try await messages.react(to: plain.id, with: party, by: bob.id)
        _ = try await reply("first", to: root.id, in: room.id, by: bob.id, fixture: fixture)
        let last = try await reply("second", to: root.id, in: room.id, by: alice.id, fixture: fixture)

        let page = try await messages.history(of: room.id, for: alice.id)
        #expect(page.reactions(of: root.id) == [ReactionSummary(emoji: thumbs, count: 2, includesReader: true)])
        #expect(page.reactions(of: plain.id) == [ReactionSummary(emoji: party, count: 1, includesReader: false)])
        #expect(page.reactions(of: last.id).isEmpty)
        #expect(page.thread(of: root.id) == ThreadSummary(
            replyCount: 2, lastReplySeq: last.seq, lastReplyID: last.id, lastReplyAt: last.createdAt))
        #expect(page.thread(of: plain.id) == nil, "a message without replies has no thread summary")
        #expect(page.thread(of: last.id) == nil, "replies are not roots")

        let bare = try await messages.history(of: room.id, for: alice.id, HistoryRequest(includesSummaries: false))
        #expect(bare.messages == page.messages && bare.reactions.isEmpty && bare.threads.isEmpty, "summaries left out on request")

        let forBob = try await messages.message(plain.id, in: room.id, for: bob.id)
        #expect(forBob.reactions == [ReactionSummary(emoji: party, count: 1, includesReader: true)])
        let rootDetail = try await messages.message(root.id, for: bob.id)
        #expect(rootDetail.thread?.replyCount == 2)
    }

    @Test("thread pages walk a root's replies by keyset on seq both ways, across pages, with nothing missed or repeated")
    func threadPagination() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let users = try await fixture.users("alice", "bob")
        let (alice, bob) = (users[0], users[1])
        let messages = fixture.messaging.messages
        let room = try await fixture.messaging.conversations.create(.group(title: "t", members: [bob.id]), by: alice.id)
        let root = try await fixture.send("root", to: room.id, by: alice.id)
        var replies: [Message] = []
        for index in 0..<7 {
            replies.append(try await reply("r\(index)", to: root.id, in: room.id, by: index.isMultiple(of: 2) ? bob.id : alice.id, fixture: fixture))
            _ = try await fixture.send("between \(index)", to: room.id, by: alice.id)  // not in the thread
        }

        var backward: [Int64] = []
        var cursor: Int64?
        repeat {
            let page = try await messages.replies(to: root.id, in: room.id, for: bob.id, HistoryRequest(cursor: cursor, limit: 3))
            #expect(page.root.message.id == root.id)
            #expect(page.root.thread?.replyCount == 7)
            backward += page.replies.messages.map(\.seq)
            cursor = page.replies.nextCursor
        } while cursor != nil
        #expect(backward == replies.map(\.seq).reversed())

        var forward: [Int64] = []
        cursor = nil
        repeat {
            let page = try await messages.replies(
                to: root.id, in: room.id, for: bob.id, HistoryRequest(direction: .forward, cursor: cursor, limit: 2))
            forward += page.replies.messages.map(\.seq)
            cursor = page.replies.nextCursor
        } while cursor != nil
        #expect(forward == replies.map(\.seq))
    }

    @Test("thread reads are membership-checked: a non-member or removed member gets notFound; a reply is not a root")
    func threadAuthorization() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let users = try await fixture.users("alice", "bob", "mallory")
        let (alice, bob, mallory) = (users[0], users[1], users[2])
        let messages = fixture.messaging.messages
        let conversations = fixture.messaging.conversations
        let room = try await conversations.create(.group(title: "t", members: [bob.id]), by: alice.id)
        let other = try await conversations.create(.group(title: "o", members: []), by: alice.id)
        let root = try await fixture.send("root", to: room.id, by: alice.id)
        let answer = try await reply("answer", to: root.id, in: room.id, by: bob.id, fixture: fixture)

        await expectError(.notFound) { try await messages.replies(to: root.id, in: room.id, for: mallory.id) }
        await expectError(.notFound) { try await messages.message(root.id, for: mallory.id) }
        await expectError(.notFound, "the root is in another conversation") { try await messages.replies(to: root.id, in: other.id, for: alice.id) }
        await expectError(.invalidInput) { try await messages.replies(to: answer.id, in: room.id, for: alice.id) }
        await expectError(.invalidInput) { try await messages.replies(to: root.id, in: room.id, for: alice.id, HistoryRequest(cursor: -1)) }
        await expectError(.invalidInput) { try await messages.replies(to: root.id, in: room.id, for: alice.id, HistoryRequest(limit: 0)) }
        try await conversations.removeMember(bob.id, from: room.id, by: alice.id)
        await expectError(.notFound) { try await messages.replies(to: root.id, in: room.id, for: bob.id) }
    }

    @Test("a send refuses a reply target or thread root that is missing, elsewhere, deleted, or itself a reply")
    func replyValidation() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let alice = try await fixture.user("alice")
        let messages = fixture.messaging.messages
        let conversations = fixture.messaging.conversations
        let room = try await conversations.create(.group(title: "t", members: []), by: alice.id)
        let other = try await conversations.create(.group(title: "o", members: []), by: alice.id)
        let root = try await fixture.send("root", to: room.id, by: alice.id)
        let elsewhere = try await fixture.send("elsewhere", to: other.id, by: alice.id)
        let gone = try await fixture.send("gone", to: room.id, by: alice.id)
        _ = try await messages.delete(gone.id, by: alice.id)
        let answer = try await reply("answer", to: root.id, in: room.id, by: alice.id, fixture: fixture)
        func send(replyTo: MessageID? = nil, threadRoot: MessageID? = nil) async throws -> SendReceipt {
            let draft = try MessageDraft(
                text: "x", clientMessageID: ClientMessageID(UUID().uuidString), replyTo: replyTo, threadRoot: threadRoot)
            return try await messages.send(draft, to: room.id, by: alice.id)
        }
        await expectError(.invalidInput) { try await send(replyTo: MessageID(UUIDv7Generator().next())) }
        await expectError(.invalidInput) { try await send(replyTo: elsewhere.id) }
        await expectError(.conflict) { try await send(replyTo: gone.id) }
        await expectError(.invalidInput) { try await send(threadRoot: MessageID(UUIDv7Generator().next())) }
        await expectError(.invalidInput) { try await send(threadRoot: elsewhere.id) }
        await expectError(.conflict) { try await send(threadRoot: gone.id) }
        await expectError(.invalidInput) { try await send(threadRoot: answer.id) }
        let nested = try await send(replyTo: answer.id, threadRoot: root.id)
        #expect(nested.message.replyToID == answer.id && nested.message.threadRootID == root.id)
    }
}
