import Foundation
import MessagingCore
import MessagingTesting
import Testing

/// Hostile input gets a typed error or a literal match, never an engine error or a crash.
@Suite("Bad input")
struct BadInputTests {
    @Test("oversized bodies, control characters and huge emoji strings are typed errors and store nothing")
    func bodies() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let alice = try await fixture.user("alice")
        let room = try await fixture.messaging.conversations.create(.group(title: "t", members: []), by: alice.id)
        let message = try await fixture.send("fine", to: room.id, by: alice.id)
        await expectError(.invalidInput) { try await fixture.send(String(repeating: "x", count: 16 * 1024 + 1), to: room.id, by: alice.id) }
        await expectError(.invalidInput) { try await fixture.send("null\u{0}byte", to: room.id, by: alice.id) }
        await expectError(.invalidInput) { try await fixture.send("\u{1B}[2J", to: room.id, by: alice.id) }
        await expectError(.invalidInput) { try await fixture.messaging.messages.edit(message.id, to: .text("del\u{7F}"), by: alice.id) }
        await expectError(.invalidInput) { try await fixture.messaging.messages.react(to: message.id, with: Emoji(String(repeating: "👍", count: 10_000)), by: alice.id) }
        await expectError(.invalidInput) { try await fixture.messaging.messages.history(of: room.id, for: alice.id, .init(limit: 201)) }
        await expectError(.invalidInput) { try await fixture.messaging.messages.history(of: room.id, for: alice.id, .init(cursor: -5)) }
        await expectError(.invalidInput) { try await fixture.messaging.sync.events(in: room.id, after: -1, for: alice.id) }
        await expectError(.invalidInput) { try await fixture.messaging.sync.events(in: room.id, after: 0, limit: 100_000, for: alice.id) }
        await expectError(.invalidInput) { try await fixture.messaging.conversations.create(.channel(title: "  ", members: []), by: alice.id) }
        await expectError(.invalidInput) { try await fixture.messaging.conversations.create(.group(title: String(repeating: "t", count: 10_000), members: []), by: alice.id) }
        await expectError(.invalidInput) { try await fixture.messaging.users.register(handle: "ok_name", displayName: "tab\there") }
        await expectError(.conflict) { try await fixture.messaging.users.register(handle: "ALICE", displayName: "Another Alice") }
        let page = try await fixture.messaging.messages.history(of: room.id, for: alice.id)
        #expect(page.messages.map(\.id) == [message.id])
        #expect(page.messages.first?.body == .text("fine"))
    }

    static let hostileQueries = [
        "\"", "\"\"\"", "*", "**", "NEAR(", "NEAR(a b, 3)", "col:", "body:secret", "^", "^start", "(((", ")))",
        "a AND", "AND OR NOT", "OR", "NOT NOT", "-minus", "+plus", "{body}: x", "'single'", ";DROP TABLE messages;--",
        "\\", "%", "_", "\u{0}", "emoji 👍", "a\"b", "x*", "(a OR b) AND c",
    ]

    @Test("search input never reaches FTS5 as syntax", arguments: hostileQueries)
    func search(_ query: String) async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let alice = try await fixture.user("alice")
        let room = try await fixture.messaging.conversations.create(.group(title: "t", members: []), by: alice.id)
        try await fixture.send("Literal words: near and or not, a b c, body secret, start plus minus.", to: room.id, by: alice.id)
        try await fixture.send("Nothing to see here.", to: room.id, by: alice.id)
        do {
            let page = try await fixture.messaging.search.search(query, for: alice.id)
            // Literal words only: every hit contains every word of the query.
            let words = query.unicodeScalars.split { !($0.properties.isAlphabetic || $0.properties.numericType != nil) }.map { String($0).lowercased() }
            for hit in page.hits {
                let text = hit.message.body?.text?.lowercased() ?? ""
                #expect(words.allSatisfy { text.contains($0) }, "\(query) matched \(text)")
            }
        } catch let error as MessagingError {
            #expect([.invalidInput, .limitExceeded].contains(error.code), "\(query): \(error)")
        }
    }

    @Test("operator words are matched literally")
    func operatorsAreWords() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let alice = try await fixture.user("alice")
        let room = try await fixture.messaging.conversations.create(.group(title: "t", members: []), by: alice.id)
        let literal = try await fixture.send("to be or not to be", to: room.id, by: alice.id)
        try await fixture.send("to be", to: room.id, by: alice.id)
        #expect(try await fixture.messaging.search.search("OR NOT", for: alice.id).hits.map(\.message.id) == [literal.id])
        #expect(try await fixture.messaging.search.search("NEAR(be", for: alice.id).hits.isEmpty)
        await expectError(.invalidInput) { try await fixture.messaging.search.search("\"", for: alice.id) }
        await expectError(.invalidInput) { try await fixture.messaging.search.search("x", for: alice.id, offset: 990, limit: 20) }
        // `offset + limit` once overflowed (a trap) for a huge offset.
        await expectError(.invalidInput) { try await fixture.messaging.search.search("x", for: alice.id, offset: Int.max, limit: 20) }
    }

    @Test("search ranks, pages, and never returns encrypted or other users' messages")
    func searchScope() async throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let users = try await fixture.users("alice", "mallory")
        let room = try await fixture.messaging.conversations.create(.group(title: "t", members: []), by: users[0].id)
        let mine = try await fixture.messaging.conversations.create(.group(title: "m", members: []), by: users[1].id)
        for index in 0..<5 { try await fixture.send("deploy number \(index)", to: room.id, by: users[0].id) }
        let best = try await fixture.send("deploy deploy deploy", to: room.id, by: users[0].id)
        let secret = try MessageDraft(ciphertext: Data("deploy".utf8), clientMessageID: ClientMessageID("enc"))
        _ = try await fixture.messaging.messages.send(secret, to: room.id, by: users[0].id)
        let first = try await fixture.messaging.search.search("deploy", for: users[0].id, limit: 4)
        #expect(first.hits.count == 4 && first.nextOffset == 4)
        #expect(first.hits.first?.message.id == best.id, "more occurrences rank first")
        let second = try await fixture.messaging.search.search("deploy", for: users[0].id, offset: 4, limit: 4)
        #expect(second.hits.count == 2 && second.nextOffset == nil)
        #expect(Set((first.hits + second.hits).map(\.message.kind)) == [.text])
        #expect(try await fixture.messaging.search.search("deploy", for: users[1].id).hits.isEmpty)
        await expectError(.notFound) { try await fixture.messaging.search.search("deploy", in: room.id, for: users[1].id) }
        _ = mine
    }
}
