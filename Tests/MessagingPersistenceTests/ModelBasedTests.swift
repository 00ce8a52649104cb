import Foundation
import MessagingCore
import TestSupport
import Testing

/// Random sequences of sends, edits, deletes, reactions and reads, checked against a small
/// reference model: history pages both ways, events since any seq, unread counts.
@Suite("Model-based")
struct ModelBasedTests {
    /// The reference model.
    struct Model {
        struct Entry { var message: MessageID; var seq: Int64; var sender: UserID; var text: String?; var edited: Bool }
        var messages: [Entry] = []
        var events: [(seq: Int64, kind: String, message: MessageID?)] = []
        var reactions: Set<String> = []
        var readSeq: [UserID: Int64] = [:]
        var lastSeq: Int64 = 0

        mutating func record(_ kind: String, _ message: MessageID?) {
            lastSeq += 1
            events.append((lastSeq, kind, message))
        }

        func unread(for user: UserID) -> Int {
            messages.filter { $0.text != nil && $0.sender != user && $0.seq > readSeq[user, default: 0] }.count
        }
    }

    @Test("random operations agree with the reference model", arguments: [1, 2, 3, 4, 5] as [UInt64])
    func randomOperations(seed: UInt64) async throws {
        var random = SeededGenerator(seed: seed)
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let users = try await fixture.users("alice", "bob", "carol")
        let owner = users[0]
        let messaging = fixture.messaging
        let room = try await messaging.conversations.create(.group(title: "model", members: [users[1].id, users[2].id]), by: owner.id)
        let noise = try await messaging.conversations.create(.group(title: "noise", members: [users[1].id]), by: owner.id)
        let emoji = try ["👍", "🎉", "❤️", "🔥"].map { try Emoji($0) }
        var model = Model()
        var counter = 0

        for step in 0..<300 {
            counter += 1
            let roll = Int.random(in: 0..<100, using: &random)
            let user = users.randomElement(using: &random)!
            let live = model.messages.indices.filter { model.messages[$0].text != nil }
            switch roll {
            case 0..<40:
                let text = "message \(counter) from \(user.handle) step \(step)"
                let message = try await fixture.send(text, to: room.id, by: user.id)
                model.record("created", message.id)
                #expect(message.seq == model.lastSeq)
                model.messages.append(.init(message: message.id, seq: message.seq, sender: user.id, text: text, edited: false))
                if roll < 5 { try await fixture.send("elsewhere \(counter)", to: noise.id, by: owner.id) }
            case 40..<55 where !live.isEmpty:
                let index = live.randomElement(using: &random)!
                let text = "edit \(counter)"
                _ = try await messaging.messages.edit(model.messages[index].message, to: .text(text), by: model.messages[index].sender)
                model.messages[index].text = text
                model.messages[index].edited = true
                model.record("edited", model.messages[index].message)
            case 55..<65 where !model.messages.isEmpty:
                let index = model.messages.indices.randomElement(using: &random)!
                let actor = Bool.random(using: &random) ? model.messages[index].sender : owner.id
                _ = try await messaging.messages.delete(model.messages[index].message, by: actor)
                if model.messages[index].text != nil {
                    model.messages[index].text = nil
                    model.reactions = model.reactions.filter { !$0.hasPrefix("\(model.messages[index].message)") }
                    model.record("deleted", model.messages[index].message)
                }
            case 65..<80 where !live.isEmpty:
                let message = model.messages[live.randomElement(using: &random)!].message
                let chosen = emoji.randomElement(using: &random)!
                try await messaging.messages.react(to: message, with: chosen, by: user.id)
                if model.reactions.insert("\(message)|\(user.id)|\(chosen)").inserted { model.record("reacted", message) }
            case 80..<90 where !model.messages.isEmpty:
                let message = model.messages.randomElement(using: &random)!.message
                let chosen = emoji.randomElement(using: &random)!
                try await messaging.messages.unreact(to: message, with: chosen, by: user.id)
                if model.reactions.remove("\(message)|\(user.id)|\(chosen)") != nil { model.record("unreacted", message) }
            default:
                let seq = Int64.random(in: 0...model.lastSeq, using: &random)
                let member = try await messaging.readState.markRead(room.id, upTo: seq, by: user.id)
                model.readSeq[user.id] = max(model.readSeq[user.id, default: 0], seq)
                #expect(member.readSeq == model.readSeq[user.id])
            }
        }

        // History backward (newest first) in random page sizes covers every message once.
        let expectedDescending = model.messages.sorted { $0.seq > $1.seq }
        var collected: [Message] = []
        var cursor: Int64?
        repeat {
            let page = try await messaging.messages.history(
                of: room.id, for: users[1].id, .init(direction: .backward, cursor: cursor, limit: Int.random(in: 1...17, using: &random)))
            collected += page.messages
            cursor = page.nextCursor
        } while cursor != nil
        #expect(collected.map(\.id) == expectedDescending.map(\.message))
        #expect(collected.map(\.body?.text) == expectedDescending.map(\.text))
        #expect(collected.map { $0.editedAt != nil } == expectedDescending.map(\.edited))

        // History forward from a random cursor.
        let start = Int64.random(in: 0...model.lastSeq, using: &random)
        var forward: [Message] = []
        cursor = start
        while true {
            let page = try await messaging.messages.history(
                of: room.id, for: users[2].id, .init(direction: .forward, cursor: cursor, limit: Int.random(in: 1...11, using: &random)))
            forward += page.messages
            guard let next = page.nextCursor else { break }
            cursor = next
        }
        #expect(forward.map(\.id) == model.messages.filter { $0.seq > start }.sorted { $0.seq < $1.seq }.map(\.message))

        // Events since a random seq, paged, match the model's log and current message state.
        let since = Int64.random(in: 0...model.lastSeq, using: &random)
        var events: [ConversationEvent] = []
        var after = since
        while true {
            let page = try await messaging.sync.events(in: room.id, after: after, limit: Int.random(in: 1...13, using: &random), for: owner.id)
            events += page.events
            guard page.hasMore, let last = page.events.last else { break }
            after = last.seq
        }
        let expectedEvents = model.events.filter { $0.seq > since }
        #expect(events.map(\.seq) == expectedEvents.map(\.seq))
        let current = Dictionary(uniqueKeysWithValues: model.messages.map { ($0.message, $0.text) })
        for (event, expected) in zip(events, expectedEvents) {
            switch event.payload {
            case .messageCreated(let message), .messageEdited(let message), .messageDeleted(let message):
                #expect(expected.kind == (event.payload == .messageCreated(message) ? "created" : event.payload == .messageEdited(message) ? "edited" : "deleted"))
                #expect(message.body?.text == current[message.id] ?? nil, "events carry the message's current state")
            case .reactionAdded(let message, _, _):
                #expect(expected.kind == "reacted" && expected.message == message)
            case .reactionRemoved(let message, _, _):
                #expect(expected.kind == "unreacted" && expected.message == message)
            default:
                Issue.record("unexpected event \(event.payload)")
            }
        }

        // Unread counts.
        for user in users {
            let counts = try await messaging.readState.unreadCounts(for: user.id)
            #expect(counts.first { $0.conversationID == room.id }?.count == model.unread(for: user.id), "unread for \(user.handle)")
        }
    }
}
