import Foundation
import MessagingCore
import Testing

// Suites that run the use cases (`Messaging`) over the adapter: concurrent sends, idempotent
// sends, batches. They show that the adapter's transactions give the guarantees the use
// cases rely on (one serializable closure per write).
extension StoreContract {
    /// The use cases over fresh stores, with a manual clock.
    struct UseCaseFixture: Sendable {
        let messaging: Messaging
        let clock: ManualClock

        func user(_ handle: String) async throws -> User {
            try await messaging.users.register(handle: handle, displayName: handle.capitalized)
        }

        func users(_ handles: String...) async throws -> [User] {
            var result: [User] = []
            for handle in handles { result.append(try await user(handle)) }
            return result
        }

        func allEvents(_ conversation: ConversationID, for user: UserID) async throws -> [ConversationEvent] {
            var events: [ConversationEvent] = []
            var after: Int64 = 0
            while true {
                let page = try await messaging.sync.events(in: conversation, after: after, limit: 500, for: user)
                events += page.events
                guard page.hasMore, let last = page.events.last else { return events }
                after = last.seq
            }
        }
    }

    func withUseCases(_ body: (UseCaseFixture) async throws -> Void) async throws {
        try await withStore { store in
            let clock = ManualClock()
            try await body(UseCaseFixture(messaging: Messaging(store: store, clock: clock.wall), clock: clock))
        }
    }

    /// Use cases: 8 tasks × 1,000 sends into one conversation get seq exactly 1…8,000.
    public func concurrentSends() async throws {
        try await withUseCases { fixture in
            let users = try await fixture.users("user0", "user1", "user2", "user3", "user4", "user5", "user6", "user7")
            let room = try await fixture.messaging.conversations.create(
                .group(title: "load", members: users.dropFirst().map(\.id)), by: users[0].id)
            let seqs = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for user in users {
                    group.addTask {
                        var seqs: [Int64] = []
                        for index in 0..<1_000 {
                            let draft = try MessageDraft(text: "m\(index)", clientMessageID: ClientMessageID("\(user.handle)-\(index)"))
                            seqs.append(try await fixture.messaging.messages.send(draft, to: room.id, by: user.id).message.seq)
                        }
                        #expect(seqs == seqs.sorted(), "one sender's seqs increase in send order")
                        return seqs
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(seqs.sorted() == Array(1...8_000))
            let events = try await fixture.allEvents(room.id, for: users[0].id)
            #expect(events.map(\.seq) == Array(1...8_000))
            let conversation = try await fixture.messaging.conversations.conversation(room.id, for: users[0].id)
            #expect(conversation.lastSeq == 8_000)
        }
    }

    /// Use cases: 8 tasks sending the same client message id store one message and all get its id.
    public func idempotentSends() async throws {
        try await withUseCases { fixture in
            let alice = try await fixture.user("alice")
            let room = try await fixture.messaging.conversations.create(.group(title: "t", members: []), by: alice.id)
            let draft = try MessageDraft(text: "only once", clientMessageID: ClientMessageID("same-key"))
            let receipts = try await withThrowingTaskGroup(of: SendReceipt.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await fixture.messaging.messages.send(draft, to: room.id, by: alice.id) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(receipts.map(\.message.id)).count == 1)
            #expect(receipts.filter { !$0.isDuplicate }.count == 1)
            let history = try await fixture.messaging.messages.history(of: room.id, for: alice.id)
            #expect(history.messages.count == 1)
            #expect(history.messages.first?.id == receipts[0].message.id)
            // The same key with other content is a conflict, never a second message.
            let other = try MessageDraft(text: "different", clientMessageID: ClientMessageID("same-key"))
            await expectError(.conflict) { try await fixture.messaging.messages.send(other, to: room.id, by: alice.id) }
            // Keys are scoped by sender: bob may use the same key.
            let bob = try await fixture.user("bob")
            _ = try await fixture.messaging.conversations.addMember(bob.id, to: room.id, by: alice.id)
            let bobs = try await fixture.messaging.messages.send(draft, to: room.id, by: bob.id)
            #expect(!bobs.isDuplicate && bobs.message.id != receipts[0].message.id)
        }
    }

    /// Use cases: a batch is one transaction: a failing draft stores none of the batch.
    public func batchSends() async throws {
        try await withUseCases { fixture in
            let alice = try await fixture.user("alice")
            let room = try await fixture.messaging.conversations.create(.group(title: "t", members: []), by: alice.id)
            let drafts = try (0..<100).map { try MessageDraft(text: "b\($0)", clientMessageID: ClientMessageID("b\($0)")) }
            let receipts = try await fixture.messaging.messages.send(drafts, to: room.id, by: alice.id)
            #expect(receipts.map(\.message.seq) == Array(1...100))
            let foreign = try MessageDraft(text: "x", clientMessageID: ClientMessageID("bad"), replyTo: MessageID(UUIDv7Generator().next()))
            let mixed = [try MessageDraft(text: "ok", clientMessageID: ClientMessageID("ok")), foreign]
            await expectError(.invalidInput) { try await fixture.messaging.messages.send(mixed, to: room.id, by: alice.id) }
            let history = try await fixture.messaging.messages.history(of: room.id, for: alice.id, .init(limit: 200))
            #expect(history.messages.count == 100)
        }
    }
}
