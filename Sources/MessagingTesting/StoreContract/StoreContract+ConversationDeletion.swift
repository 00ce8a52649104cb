import Foundation
import MessagingCore
import Synchronization
import Testing

/// Keeps every event the use cases publish.
private final class CapturedEvents: CommittedEventPublisher, Sendable {
    let events = Mutex<[ConversationEvent]>([])
    func publish(_ events: [ConversationEvent]) async { self.events.withLock { $0 += events } }
}

// The suite of deleting a conversation.
extension StoreContract {
    /// Use cases: only an owner deletes a group; members get conversation.deleted, then notFound; the data is purged.
    public func conversationDeletion() async throws {
        try await withStore { store in
            let clock = ManualClock()
            let captured = CapturedEvents()
            let messaging = Messaging(store: store, clock: clock.wall).publishing(to: captured)
            var users: [User] = []
            for handle in ["alice", "bob", "carol", "dave"] {
                users.append(try await messaging.users.register(handle: handle, displayName: handle))
            }
            let (alice, bob, carol, dave) = (users[0], users[1], users[2], users[3])
            let room = try await messaging.conversations.create(.group(title: "t", members: [bob.id, carol.id]), by: alice.id)
            _ = try await messaging.conversations.changeRole(of: bob.id, to: .admin, in: room.id, by: alice.id)
            var sent: [Message] = []
            for index in 0..<3 {
                let draft = try MessageDraft(text: "secretword \(index)", clientMessageID: ClientMessageID("m\(index)"))
                sent.append(try await messaging.messages.send(draft, to: room.id, by: carol.id).message)
            }
            try await messaging.messages.react(to: sent[0].id, with: Emoji("👍"), by: bob.id)
            _ = try await messaging.readState.markRead(room.id, upTo: 2, by: bob.id)
            try await messaging.retention.setPolicy(days: 30, of: room.id, by: alice.id)
            let direct = try await messaging.conversations.create(.direct(with: bob.id), by: alice.id)

            // Refusals change nothing.
            for (actor, expected) in [(bob, MessagingError.Code.forbidden), (carol, .forbidden), (dave, .notFound)] {
                do {
                    try await messaging.conversations.delete(room.id, by: actor.id)
                    Issue.record("\(actor.handle) deleted the conversation")
                } catch let error as MessagingError {
                    #expect(error.code == expected, "\(actor.handle): \(error)")
                }
            }
            await #expect(throws: MessagingError.self) { try await messaging.conversations.delete(direct.id, by: alice.id) }
            #expect(try await messaging.conversations.members(of: room.id, for: carol.id).count == 3)

            let lastSeq = try await messaging.conversations.conversation(room.id, for: alice.id).lastSeq
            captured.events.withLock { $0.removeAll() }
            try await messaging.conversations.delete(room.id, by: alice.id)
            let published = captured.events.withLock { $0 }
            #expect(published.count == 1)
            #expect(published.first?.payload == .conversationDeleted && published.first?.seq == lastSeq + 1
                && published.first?.actorID == alice.id, "\(published)")
            for user in [alice, bob, carol] {
                await #expect(throws: MessagingError.self) { _ = try await messaging.conversations.conversation(room.id, for: user.id) }
                await #expect(throws: MessagingError.self) { _ = try await messaging.sync.events(in: room.id, after: 0, for: user.id) }
                #expect(try await messaging.conversations.conversations(of: user.id).conversations.allSatisfy { $0.conversation.id != room.id })
            }
            let messages = sent
            try await store.read { transaction throws in
                #expect(try transaction.conversation(id: room.id) == nil)
                #expect(try transaction.events(in: room.id, after: 0, limit: 100).isEmpty)
                for message in messages { #expect(try transaction.message(id: message.id) == nil) }
                #expect(try transaction.reactions(on: messages[0].id, by: bob.id).isEmpty)
                #expect(try transaction.retentionPolicy(of: room.id) == nil)
                #expect(try transaction.member(bob.id, in: room.id) == nil)
            }
            // The deleted texts left the search index: a new message (which may reuse a row id) does not match them.
            let other = try await messaging.conversations.create(.group(title: "o", members: []), by: alice.id)
            _ = try await messaging.messages.send(
                try MessageDraft(text: "fresh words", clientMessageID: ClientMessageID("f")), to: other.id, by: alice.id)
            #expect(try await messaging.search.search("secretword", for: alice.id).hits.isEmpty)
            // Purging again, or purging a conversation that has members, does nothing.
            try await messaging.conversations.purgeDeleted(room.id)
            try await messaging.conversations.purgeDeleted(other.id)
            #expect(try await messaging.conversations.conversation(other.id, for: alice.id).id == other.id)
        }
    }
}
