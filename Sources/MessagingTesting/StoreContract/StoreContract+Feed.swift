import Foundation
import MessagingCore
import Testing

// The suites of users' feeds (issue 17, item 1): the store's per-user log, and the use cases
// that append to it in the transaction of each change to a conversation list.
extension StoreContract {
    /// UserFeedStore: a gapless seq per user, entries read back in order from any position, rolled back with their transaction.
    public func feedLog() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            let bob = try await makeUser(store, "bob")
            let room = try await makeConversation(store, members: [alice, bob])
            #expect(try await store.read { try $0.feedHead(of: alice.id) } == 0, "an empty feed's head is 0")
            let first = try await store.write { transaction throws in
                [
                    try transaction.appendFeedEvent(
                        .joined(kind: .group, title: "t", role: .owner, by: alice.id), for: alice.id, about: room.id, at: self.time),
                    try transaction.appendFeedEvent(
                        .joined(kind: .group, title: "t", role: .member, by: alice.id), for: bob.id, about: room.id, at: self.time),
                    try transaction.appendFeedEvent(
                        .updated(title: "new", topic: nil), for: alice.id, about: room.id, at: self.time.adding(milliseconds: 1)),
                ]
            }
            #expect(first.map(\.seq) == [1, 1, 2], "each user's feed counts on its own")
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await store.write { transaction throws in
                    _ = try transaction.appendFeedEvent(.left(removedBy: nil, reason: nil, banned: false), for: alice.id, about: room.id, at: self.time)
                    throw Boom()
                }
            }
            let third = try await store.write { transaction throws in
                try transaction.appendFeedEvent(.roleChanged(to: .admin, by: bob.id), for: alice.id, about: room.id, at: self.time)
            }
            #expect(third.seq == 3, "a rolled-back append leaves no gap")
            let all = try await store.read { try $0.feedEvents(of: alice.id, after: 0, limit: 10) }
            #expect(all.map(\.seq) == [1, 2, 3])
            #expect(all.map(\.payload) == [
                .joined(kind: .group, title: "t", role: .owner, by: alice.id), .updated(title: "new", topic: nil),
                .roleChanged(to: .admin, by: bob.id),
            ], "payloads round-trip")
            #expect(all.allSatisfy { $0.userID == alice.id && $0.conversationID == room.id })
            #expect(all[1].occurredAt == time.adding(milliseconds: 1))
            #expect(try await store.read { try $0.feedEvents(of: alice.id, after: 1, limit: 1) }.map(\.seq) == [2])
            #expect(try await store.read { try $0.feedEvents(of: alice.id, after: 3, limit: 10) }.isEmpty)
            #expect(try await store.read { try $0.feedHead(of: alice.id) } == 3)
            #expect(try await store.read { try $0.feedEvents(of: bob.id, after: 0, limit: 10) }.map(\.payload) == [
                .joined(kind: .group, title: "t", role: .member, by: alice.id),
            ], "one user's entries never show in another's feed")
        }
    }

    /// UserFeedStore: concurrent writers appending to one user's feed get seq exactly 1…n.
    public func concurrentFeed() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            let room = try await makeConversation(store, members: [alice])
            let seqs = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var mine: [Int64] = []
                        for _ in 0..<10 {
                            mine.append(try await store.write { transaction throws in
                                try transaction.appendFeedEvent(
                                    .updated(title: "x", topic: nil), for: alice.id, about: room.id, at: self.time).seq
                            })
                        }
                        return mine
                    }
                }
                var all: [Int64] = []
                for try await part in group { all += part }
                return all
            }
            #expect(seqs.sorted() == Array(1...80), "unique and gapless")
            #expect(try await store.read { try $0.feedEvents(of: alice.id, after: 0, limit: 100) }.map(\.seq) == Array(1...80))
        }
    }

    /// use cases: creating, adding, removing, leaving, role changes and updates append to exactly the right users' feeds.
    public func feedUseCases() async throws {
        try await withUseCases { fixture in
            let messaging = fixture.messaging
            let (alice, bob, carol) = try await { () async throws -> (User, User, User) in
                let users = try await fixture.users("alice", "bob", "carol")
                return (users[0], users[1], users[2])
            }()
            func feed(_ user: User, after: Int64 = 0) async throws -> [UserFeedEvent] {
                try await messaging.feed.events(for: user.id, after: after).events
            }
            let room = try await messaging.conversations.create(.group(title: "Team", members: [bob.id]), by: alice.id)
            #expect(try await feed(alice).map(\.payload) == [.joined(kind: .group, title: "Team", role: .owner, by: alice.id)])
            #expect(try await feed(bob).map(\.payload) == [.joined(kind: .group, title: "Team", role: .member, by: alice.id)])
            #expect(try await feed(carol).isEmpty, "not a member: nothing in the feed")

            _ = try await messaging.conversations.addMember(carol.id, to: room.id, by: alice.id)
            _ = try await messaging.conversations.addMember(carol.id, to: room.id, by: alice.id)  // already a member
            #expect(try await feed(carol).map(\.payload) == [.joined(kind: .group, title: "Team", role: .member, by: alice.id)],
                    "adding an existing member appends nothing")
            _ = try await messaging.conversations.changeRole(of: bob.id, to: .admin, in: room.id, by: alice.id)
            _ = try await messaging.conversations.update(room.id, with: ConversationChanges(title: "Renamed"), by: alice.id)
            try await messaging.conversations.removeMember(carol.id, from: room.id, by: bob.id)
            try await messaging.conversations.leave(room.id, by: bob.id)

            let bobs = try await feed(bob)
            #expect(bobs.map(\.seq) == [1, 2, 3, 4])
            #expect(bobs.dropFirst().map(\.payload) == [
                .roleChanged(to: .admin, by: alice.id), .updated(title: "Renamed", topic: nil), .left(removedBy: nil, reason: nil, banned: false),
            ])
            #expect(try await feed(carol).map(\.payload).dropFirst() == [.updated(title: "Renamed", topic: nil), .left(removedBy: bob.id, reason: nil, banned: false)])
            #expect(try await feed(alice).map(\.payload).dropFirst() == [.updated(title: "Renamed", topic: nil)],
                    "an update reaches every member's feed, the actor's too (their other devices)")
            #expect(try await feed(bob, after: 2).map(\.seq) == [3, 4], "resumes after a position")

            // A refused change appends nothing.
            await #expect(throws: MessagingError.self) {
                try await messaging.conversations.removeMember(alice.id, from: room.id, by: carol.id)
            }
            #expect(try await messaging.feed.state(for: carol.id).head == 3)

            // Positions are checked.
            await #expect(throws: MessagingError.self) { _ = try await messaging.feed.events(for: bob.id, after: 5) }
            await #expect(throws: MessagingError.self) { _ = try await messaging.feed.events(for: bob.id, after: -1) }
            await #expect(throws: MessagingError.self) { _ = try await messaging.feed.events(for: bob.id, after: 0, limit: 0) }
            await #expect(throws: MessagingError.self) { _ = try await messaging.feed.state(for: bob.id, after: 9) }

            // A direct conversation: both feeds, once; asking again returns it and appends nothing.
            let direct = try await messaging.conversations.create(.direct(with: carol.id), by: bob.id)
            _ = try await messaging.conversations.create(.direct(with: bob.id), by: carol.id)
            #expect(try await feed(carol, after: 3).map(\.payload) == [.joined(kind: .direct, title: nil, role: .member, by: bob.id)])
            #expect(try await feed(carol, after: 3).map(\.conversationID) == [direct.id])

            // The state snapshot: the head and the unread counts together.
            _ = try await messaging.messages.send(try MessageDraft(text: "hi", clientMessageID: ClientMessageID("c1")), to: direct.id, by: bob.id)
            let state = try await messaging.feed.state(for: carol.id)
            #expect(state.head == 4)
            #expect(state.unread.first { $0.conversationID == direct.id }?.count == 1)
        }
    }
}

// The suites of receipts: settings, read and delivered positions.
extension StoreContract {
    /// UserStore and MembershipStore: settings round-trip; receipts give each member's read position (none when hidden) and its devices' highest acknowledged seq.
    public func receipts() async throws {
        try await withStores { stores in
            let store = stores.messaging
            let alice = try await makeUser(store, "alice")
            let bob = try await makeUser(store, "bob")
            let carol = try await makeUser(store, "carol")
            let room = try await makeConversation(store, members: [alice, bob, carol])
            let other = try await makeConversation(store, members: [alice, bob])
            #expect(try await store.read { try $0.settings(of: bob.id) } == UserSettings(), "defaults before any save")
            try await store.write { transaction throws in
                try transaction.save(UserSettings(hidesReadReceipts: true), of: carol.id)
                try transaction.save(UserSettings(hidesReadReceipts: true), of: bob.id)
                try transaction.save(UserSettings(hidesReadReceipts: false), of: bob.id)  // replaced
                try transaction.setReadSeq(4, of: alice.id, in: room.id)
                try transaction.setReadSeq(2, of: bob.id, in: room.id)
                try transaction.setReadSeq(9, of: carol.id, in: room.id)
                try transaction.setReadSeq(1, of: bob.id, in: other.id)
            }
            #expect(try await store.read { try $0.settings(of: carol.id) } == UserSettings(hidesReadReceipts: true))
            #expect(try await store.read { try $0.settings(of: bob.id) } == UserSettings(hidesReadReceipts: false))
            #expect(try await store.read { try $0.usersHidingReadReceipts(among: [alice.id, bob.id, carol.id]) } == [carol.id])
            #expect(try await store.read { try $0.usersHidingReadReceipts(among: []) }.isEmpty)

            // Bob's phone acked 6 and his laptop 3 in the room; alice's device acked only the other conversation.
            let (phone, laptop, aliceDevice) = (DeviceID(ids.next()), DeviceID(ids.next()), DeviceID(ids.next()))
            try await stores.ackCursors.save([
                AckCursor(deviceID: phone, userID: bob.id, conversationID: room.id, ackedSeq: 6),
                AckCursor(deviceID: laptop, userID: bob.id, conversationID: room.id, ackedSeq: 3),
                AckCursor(deviceID: aliceDevice, userID: alice.id, conversationID: other.id, ackedSeq: 8),
            ], at: time)
            let all = try await store.read { try $0.receipts(in: room.id, after: nil, limit: 10) }
            let sorted = [alice, bob, carol].map(\.id).sorted()
            #expect(all.map(\.userID) == sorted, "ordered by user id")
            let byUser = Dictionary(uniqueKeysWithValues: all.map { ($0.userID, $0) })
            #expect(byUser[alice.id] == MemberReceipt(userID: alice.id, readSeq: 4, deliveredSeq: 0))
            #expect(byUser[bob.id] == MemberReceipt(userID: bob.id, readSeq: 2, deliveredSeq: 6), "the highest of his devices")
            #expect(byUser[carol.id] == MemberReceipt(userID: carol.id, readSeq: nil, deliveredSeq: 0), "carol hides hers")
            let page = try await store.read { try $0.receipts(in: room.id, after: sorted[0], limit: 1) }
            #expect(page.map(\.userID) == [sorted[1]], "keyset after a user id")
            #expect(try await store.read { try $0.receipts(in: other.id, after: nil, limit: 10) }.count == 2)
        }
    }
}
