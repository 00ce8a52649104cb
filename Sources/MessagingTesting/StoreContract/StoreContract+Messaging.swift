import Foundation
import MessagingCore
import Testing

// The suites of the use cases' store: users, conversations and the gapless `seq`,
// memberships, messages, the event log, search, devices, idempotency records, rollback.
extension StoreContract {
    /// UserStore: insert, look up by id and handle, unique handle.
    public func users() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            try await store.read { transaction throws in
                #expect(try transaction.user(id: alice.id) == alice)
                #expect(try transaction.user(handle: Handle("ALICE")) == alice)
                #expect(try transaction.user(handle: Handle("nobody")) == nil)
            }
            let clash = try User(id: ids.next(), handle: Handle("alice"), displayName: "Other", createdAt: time)
            await expectError(.conflict) { try await store.write { try $0.insert(clash) } }
        }
    }

    /// ConversationStore: gapless nextSeq, direct key unique, list by activity with a keyset cursor.
    public func conversations() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            var building: [Conversation] = []
            for index in 0..<5 {
                building.append(try await makeConversation(store, members: [alice], at: time.adding(milliseconds: Int64(index))))
            }
            let made = building
            let seqs = try await store.write { transaction throws in
                try (0..<3).map { _ in try transaction.nextSeq(of: made[0].id, at: self.time.adding(milliseconds: 100)) }
            }
            #expect(seqs == [1, 2, 3])
            let reloaded = try await store.read { try $0.conversation(id: made[0].id) }
            #expect(reloaded?.lastSeq == 3)
            #expect(reloaded?.lastActivityAt == time.adding(milliseconds: 100))
            await expectError(.notFound) { try await store.write { try $0.nextSeq(of: ConversationID(self.ids.next()), at: self.time) } }

            // Most recently active first: made[0] (activity +100), then 4, 3, 2, 1.
            let first = try await store.read { try $0.conversations(of: alice.id, after: nil, limit: 2) }
            #expect(first.map(\.conversation.id) == [made[0].id, made[4].id])
            #expect(first[0].membership.role == .owner)
            let cursor = ConversationCursor(lastActivityAt: first[1].conversation.lastActivityAt, conversationID: first[1].conversation.id)
            let rest = try await store.read { try $0.conversations(of: alice.id, after: cursor, limit: 10) }
            #expect(rest.map(\.conversation.id) == [made[3].id, made[2].id, made[1].id])

            let key = [UInt8](repeating: 7, count: 32)
            let direct = Conversation(id: ids.next(), kind: .direct, title: nil, topic: nil, creatorID: alice.id, createdAt: time, lastSeq: 0, lastActivityAt: time)
            try await store.write { try $0.insert(direct, directKey: key) }
            #expect(try await store.read { try $0.directConversation(key: key) } == direct.id)
            let twin = Conversation(id: ids.next(), kind: .direct, title: nil, topic: nil, creatorID: alice.id, createdAt: time, lastSeq: 0, lastActivityAt: time)
            await expectError(.conflict) { try await store.write { try $0.insert(twin, directKey: key) } }
        }
    }

    /// MembershipStore: roles, counts, removal, monotonic read position.
    public func memberships() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            let bob = try await makeUser(store, "bob")
            let room = try await makeConversation(store, members: [alice, bob])
            try await store.write { transaction throws in
                #expect(try transaction.memberCount(of: room.id, role: nil) == 2)
                #expect(try transaction.memberCount(of: room.id, role: .owner) == 1)
                try transaction.setRole(.admin, of: bob.id, in: room.id)
                #expect(try transaction.member(bob.id, in: room.id)?.role == .admin)
                try transaction.setReadSeq(5, of: bob.id, in: room.id)
                try transaction.setReadSeq(3, of: bob.id, in: room.id)
                #expect(try transaction.member(bob.id, in: room.id)?.readSeq == 5)
                let ordered = try transaction.members(of: room.id, after: nil, limit: 10)
                #expect(ordered.map(\.userID) == [alice.id, bob.id].sorted())
                #expect(try transaction.members(of: room.id, after: ordered[0].userID, limit: 10).map(\.userID) == [ordered[1].userID])
                try transaction.removeMember(bob.id, from: room.id)
                #expect(try transaction.member(bob.id, in: room.id) == nil)
            }
            let again = Member(conversationID: room.id, userID: alice.id, role: .member, joinedAt: time)
            await expectError(.conflict) { try await store.write { try $0.insert(again) } }
        }
    }

    /// MembershipStore: sharesConversation answers per pair, symmetric, and follows removal.
    public func sharedConversations() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            let bob = try await makeUser(store, "bob")
            let carol = try await makeUser(store, "carol")
            let loner = try await makeUser(store, "loner")
            let room = try await makeConversation(store, members: [alice, bob])
            _ = try await makeConversation(store, members: [bob, carol])
            try await store.read { transaction throws in
                #expect(try transaction.sharesConversation(alice.id, bob.id))
                #expect(try transaction.sharesConversation(bob.id, alice.id))
                #expect(try transaction.sharesConversation(bob.id, carol.id))
                #expect(try !transaction.sharesConversation(alice.id, carol.id), "sharing with a common third user is not sharing")
                #expect(try !transaction.sharesConversation(carol.id, alice.id))
                #expect(try !transaction.sharesConversation(alice.id, loner.id))
                #expect(try transaction.sharesConversation(alice.id, alice.id))
                #expect(try !transaction.sharesConversation(loner.id, loner.id))
            }
            try await store.write { try $0.removeMember(bob.id, from: room.id) }
            #expect(try await store.read { try $0.sharesConversation(alice.id, bob.id) } == false)
        }
    }

    /// MessageStore: round trip, idempotency lookup, keyset pages, tombstones, reactions.
    public func messages() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            let room = try await makeConversation(store, members: [alice])
            let messages = try (1...7).map { try makeMessage(room.id, alice.id, seq: Int64($0)) }
            let secret = try makeMessage(room.id, alice.id, seq: 8, body: .ciphertext(Data([0, 1, 2, 255])), kind: .encrypted)
            try await store.write { transaction throws in
                for message in messages + [secret] { try transaction.insert(message) }
            }
            try await store.read { transaction throws in
                #expect(try transaction.message(id: messages[2].id) == messages[2])
                #expect(try transaction.message(id: secret.id) == secret)
                #expect(try transaction.message(in: room.id, sender: alice.id, clientMessageID: ClientMessageID("k4")) == messages[3])
                #expect(try transaction.messages(in: room.id, before: nil, limit: 3).map(\.seq) == [8, 7, 6])
                #expect(try transaction.messages(in: room.id, before: 6, limit: 3).map(\.seq) == [5, 4, 3])
                #expect(try transaction.messages(in: room.id, after: nil, limit: 3).map(\.seq) == [1, 2, 3])
                #expect(try transaction.messages(in: room.id, after: 6, limit: 3).map(\.seq) == [7, 8])
            }
            let duplicate = try makeMessage(room.id, alice.id, seq: 9, key: "k1")
            await expectError(.conflict) { try await store.write { try $0.insert(duplicate) } }
            let sameSeq = try makeMessage(room.id, alice.id, seq: 1, key: "fresh")
            await expectError(.conflict) { try await store.write { try $0.insert(sameSeq) } }

            let emoji = try Emoji("👍")
            try await store.write { transaction throws in
                #expect(try transaction.insert(Reaction(messageID: messages[0].id, userID: alice.id, emoji: emoji, createdAt: self.time)))
                #expect(try !transaction.insert(Reaction(messageID: messages[0].id, userID: alice.id, emoji: emoji, createdAt: self.time)))
                #expect(try transaction.reactions(on: messages[0].id, by: alice.id) == [emoji])
                #expect(try transaction.deleteReaction(on: messages[0].id, by: alice.id, emoji: emoji))
                #expect(try !transaction.deleteReaction(on: messages[0].id, by: alice.id, emoji: emoji))
                _ = try transaction.insert(Reaction(messageID: messages[1].id, userID: alice.id, emoji: emoji, createdAt: self.time))
                try transaction.updateBody(of: messages[0].id, to: .text("edited"), mentions: [], editedAt: self.time.adding(milliseconds: 5))
                try transaction.tombstone(messages[1].id, at: self.time.adding(milliseconds: 9))
            }
            try await store.read { transaction throws in
                let edited = try #require(try transaction.message(id: messages[0].id))
                #expect(edited.body == .text("edited") && edited.mentions.isEmpty && edited.editedAt == self.time.adding(milliseconds: 5))
                let tombstone = try #require(try transaction.message(id: messages[1].id))
                #expect(tombstone.body == nil && tombstone.attachments.isEmpty && tombstone.isDeleted && tombstone.seq == 2)
                #expect(try transaction.reactions(on: messages[1].id, by: alice.id).isEmpty)
            }
        }
    }

    /// EventLog: events after a seq, in order, with the message's current state.
    public func events() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            let room = try await makeConversation(store, members: [alice])
            let message = try makeMessage(room.id, alice.id, seq: 1)
            let emoji = try Emoji("🎉")
            try await store.write { transaction throws in
                #expect(try transaction.nextSeq(of: room.id, at: self.time) == 1)
                try transaction.insert(message)
                try transaction.append(ConversationEvent(conversationID: room.id, seq: 1, actorID: alice.id, occurredAt: self.time, payload: .messageCreated(message)))
                #expect(try transaction.nextSeq(of: room.id, at: self.time) == 2)
                try transaction.append(ConversationEvent(conversationID: room.id, seq: 2, actorID: alice.id, occurredAt: self.time, payload: .reactionAdded(messageID: message.id, userID: alice.id, emoji: emoji)))
                #expect(try transaction.nextSeq(of: room.id, at: self.time) == 3)
                try transaction.tombstone(message.id, at: self.time)
                try transaction.append(ConversationEvent(conversationID: room.id, seq: 3, actorID: alice.id, occurredAt: self.time, payload: .memberRoleChanged(userID: alice.id, from: .owner, to: .admin)))
            }
            let events = try await store.read { try $0.events(in: room.id, after: 0, limit: 10) }
            #expect(events.map(\.seq) == [1, 2, 3])
            guard case .messageCreated(let current) = events[0].payload else {
                Issue.record("expected messageCreated, got \(events[0].payload)")
                return
            }
            #expect(current.isDeleted && current.body == nil, "the log serves the tombstone, not the deleted body")
            #expect(events[1].payload == .reactionAdded(messageID: message.id, userID: alice.id, emoji: emoji))
            #expect(events[2].payload == .memberRoleChanged(userID: alice.id, from: .owner, to: .admin))
            #expect(try await store.read { try $0.events(in: room.id, after: 2, limit: 10) }.map(\.seq) == [3])
            // The primary key (conversation, seq) makes a second event at a taken seq impossible.
            await expectError(.conflict) {
                try await store.write {
                    try $0.append(ConversationEvent(conversationID: room.id, seq: 3, actorID: alice.id, occurredAt: self.time, payload: .memberJoined(userID: alice.id, role: .member)))
                }
            }
        }
    }

    /// SearchIndex: literal words, member scope, no encrypted or deleted hits.
    public func search() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            let bob = try await makeUser(store, "bob")
            let shared = try await makeConversation(store, members: [alice, bob])
            let private_ = try await makeConversation(store, members: [alice])
            let a = try makeMessage(shared.id, alice.id, seq: 1, body: .text("The quick brown fox"))
            let b = try makeMessage(private_.id, alice.id, seq: 1, body: .text("quick thinking"))
            let c = try makeMessage(shared.id, alice.id, seq: 2, body: .ciphertext(Data("quick".utf8)), kind: .encrypted)
            let d = try makeMessage(shared.id, alice.id, seq: 3, body: .text("quick and gone"))
            try await store.write { transaction throws in
                for message in [a, b, c, d] { try transaction.insert(message) }
                try transaction.tombstone(d.id, at: self.time)
            }
            try await store.read { transaction throws in
                #expect(Set(try transaction.search(terms: ["quick"], for: alice.id, in: nil, offset: 0, limit: 10).map(\.message.id)) == [a.id, b.id])
                #expect(try transaction.search(terms: ["quick"], for: bob.id, in: nil, offset: 0, limit: 10).map(\.message.id) == [a.id])
                #expect(try transaction.search(terms: ["quick"], for: alice.id, in: private_.id, offset: 0, limit: 10).map(\.message.id) == [b.id])
                #expect(try transaction.search(terms: ["QUICK", "fox"], for: alice.id, in: nil, offset: 0, limit: 10).map(\.message.id) == [a.id])
                #expect(try transaction.search(terms: ["gone"], for: alice.id, in: nil, offset: 0, limit: 10).isEmpty)
                #expect(try transaction.search(terms: ["NEAR", "OR", "a\"b"], for: alice.id, in: nil, offset: 0, limit: 10).isEmpty)
                #expect(try transaction.search(terms: ["quic*"], for: alice.id, in: nil, offset: 0, limit: 10).isEmpty, "no prefix operator")
                #expect(try transaction.search(terms: ["quick", "-fox"], for: alice.id, in: nil, offset: 0, limit: 10).map(\.message.id) == [a.id], "no negation")
                #expect(try transaction.search(terms: ["quick | thinking"], for: alice.id, in: nil, offset: 0, limit: 10).map(\.message.id) == [b.id],
                        "a term's words are one literal phrase; `|` is no operator")
                #expect(try transaction.search(terms: ["quick"], for: alice.id, in: nil, offset: 1, limit: 10).count == 1, "offset skips hits")
            }
        }
    }

    /// DeviceStore: devices, encrypted conversations, key state, gapless per-device envelope inboxes.
    public func devices() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            let bob = try await makeUser(store, "bob")
            let carol = try await makeUser(store, "carol")
            let plain = try await makeConversation(store, members: [alice, bob])
            let encrypted = Conversation(
                id: ids.next(), kind: .group, title: "e", topic: nil, creatorID: alice.id, createdAt: time, lastSeq: 0,
                lastActivityAt: time, isEncrypted: true)
            let aliceDevices: [DeviceID] = [ids.next(), ids.next()]
            let bobDevice: DeviceID = ids.next()
            let carolDevice: DeviceID = ids.next()
            try await store.write { transaction throws in
                try transaction.insert(encrypted, directKey: nil)
                try transaction.insert(Member(conversationID: encrypted.id, userID: alice.id, role: .owner, joinedAt: self.time))
                try transaction.insert(Member(conversationID: encrypted.id, userID: bob.id, role: .member, joinedAt: self.time))
                for (id, user) in [(aliceDevices[0], alice.id), (aliceDevices[1], alice.id), (bobDevice, bob.id), (carolDevice, carol.id)] {
                    try transaction.insert(Device(id: id, userID: user, bundle: Data([1, 2, 3]), addedAt: self.time, removedAt: nil))
                }
                try transaction.markRemoved(aliceDevices[1], at: self.time.adding(milliseconds: 5))
                try transaction.setKeyState(.initial, of: encrypted.id)
                try transaction.setKeyState(ConversationKeyState(keyEpoch: 3, requiredEpoch: 4), of: encrypted.id)
            }
            await #expect(throws: (any Error).self) {
                try await store.write { transaction throws in
                    try transaction.insert(Device(id: bobDevice, userID: bob.id, bundle: Data([9]), addedAt: self.time, removedAt: nil))
                }
            }
            try await store.read { transaction throws in
                let removed = try #require(try transaction.device(id: aliceDevices[1]))
                #expect(removed.removedAt == self.time.adding(milliseconds: 5) && removed.bundle == Data([1, 2, 3]))
                #expect(try transaction.device(id: self.ids.next()) == nil)
                // Active devices of current members only: not the removed one, not Carol's.
                #expect(try transaction.activeMemberDevices(of: encrypted.id).map(\.id).sorted() == [aliceDevices[0], bobDevice].sorted())
                #expect(try transaction.activeMemberDevices(of: plain.id).map(\.id).sorted() == [aliceDevices[0], bobDevice].sorted())
                #expect(try transaction.encryptedConversations(of: alice.id) == [encrypted.id])
                #expect(try transaction.encryptedConversations(of: carol.id).isEmpty)
                #expect(try transaction.keyState(of: encrypted.id) == ConversationKeyState(keyEpoch: 3, requiredEpoch: 4))
                #expect(try transaction.keyState(of: plain.id) == nil)
                #expect(try transaction.conversation(id: encrypted.id)?.isEncrypted == true)
                #expect(try transaction.conversation(id: plain.id)?.isEncrypted == false)
            }
            // Each device's inbox numbers its envelopes 1, 2, 3… independently of the others.
            let seqs = try await store.write { transaction throws in
                [
                    try transaction.appendEnvelope(Data([1]), to: bobDevice, conversation: encrypted.id, epoch: 1, sender: aliceDevices[0], at: self.time),
                    try transaction.appendEnvelope(Data([2]), to: aliceDevices[0], conversation: encrypted.id, epoch: 1, sender: aliceDevices[0], at: self.time),
                    try transaction.appendEnvelope(Data([3]), to: bobDevice, conversation: encrypted.id, epoch: 2, sender: aliceDevices[0], at: self.time),
                ]
            }
            #expect(seqs == [1, 1, 2])
            await #expect(throws: (any Error).self, "one envelope per device and epoch") {
                try await store.write { transaction throws in
                    _ = try transaction.appendEnvelope(Data([4]), to: bobDevice, conversation: encrypted.id, epoch: 2, sender: bobDevice, at: self.time)
                }
            }
            try await store.read { transaction throws in
                let inbox = try transaction.envelopes(for: bobDevice, after: 0, limit: 10)
                #expect(inbox.map(\.seq) == [1, 2] && inbox.map(\.envelope) == [Data([1]), Data([3])] && inbox.map(\.epoch) == [1, 2])
                #expect(try transaction.envelopes(for: bobDevice, after: 1, limit: 10).map(\.seq) == [2])
                #expect(try transaction.envelopes(for: bobDevice, after: 0, limit: 1).map(\.seq) == [1])
                #expect(try transaction.envelopeRecipients(in: encrypted.id, epoch: 1) == [bobDevice, aliceDevices[0]])
                #expect(try transaction.envelopeRecipients(in: encrypted.id, epoch: 9).isEmpty)
            }
            // The failed append rolled back its seq: the next envelope is 3, not 4.
            let next = try await store.write { transaction throws in
                try transaction.appendEnvelope(Data([5]), to: bobDevice, conversation: encrypted.id, epoch: 3, sender: aliceDevices[0], at: self.time)
            }
            #expect(next == 3)
        }
    }

    /// IdempotencyStore: records expire.
    public func idempotency() async throws {
        try await withStore { store in
            try await store.write { try $0.saveIdempotencyRecord(scope: "s", key: "k", value: "v", expiresAt: self.time.adding(milliseconds: 10)) }
            try await store.read { transaction throws in
                #expect(try transaction.idempotencyRecord(scope: "s", key: "k", now: self.time) == "v")
                #expect(try transaction.idempotencyRecord(scope: "s", key: "k", now: self.time.adding(milliseconds: 10)) == nil)
                #expect(try transaction.idempotencyRecord(scope: "other", key: "k", now: self.time) == nil)
            }
        }
    }

    /// Transactions: a write that throws rolls back everything it did.
    public func rollback() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            let room = try await makeConversation(store, members: [alice])
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await store.write { transaction throws in
                    _ = try transaction.nextSeq(of: room.id, at: self.time)
                    try transaction.insert(try self.makeMessage(room.id, alice.id, seq: 1))
                    throw Boom()
                }
            }
            try await store.read { transaction throws in
                #expect(try transaction.conversation(id: room.id)?.lastSeq == 0)
                #expect(try transaction.messages(in: room.id, after: nil, limit: 10).isEmpty)
            }
        }
    }

    /// Read state: read positions only move forward; unread counts are messages from others after the position, not deleted.
    public func readState() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            let bob = try await makeUser(store, "bob")
            let room = try await makeConversation(store, members: [alice, bob])
            let quiet = try await makeConversation(store, members: [bob])
            var sending: [Message] = []
            for (index, sender) in [alice, alice, bob, alice, alice].enumerated() {
                sending.append(try await send(store, "m\(index)", to: room.id, by: sender.id))
            }
            let sent = sending
            try await store.write { transaction throws in
                try transaction.setReadSeq(2, of: bob.id, in: room.id)
                try transaction.setReadSeq(1, of: bob.id, in: room.id)
                try transaction.tombstone(sent[4].id, at: self.time)
            }
            try await store.read { transaction throws in
                #expect(try transaction.member(bob.id, in: room.id)?.readSeq == 2, "a lower position never moves the watermark back")
                let counts = try transaction.unreadCounts(for: bob.id)
                let inRoom = try #require(counts.first { $0.conversationID == room.id })
                // After seq 2: seq 3 is Bob's own, seq 4 counts, seq 5 is deleted.
                #expect(inRoom.count == 1 && inRoom.readSeq == 2)
                #expect(counts.first { $0.conversationID == quiet.id }?.count == 0)
                #expect(Set(counts.map(\.conversationID)) == [room.id, quiet.id], "one entry per membership")
                #expect(try transaction.unreadCounts(for: alice.id).first { $0.conversationID == room.id }?.count == 1)
            }
        }
    }

    /// Commit: a write returns its value with exactly the events it appended, in order.
    public func committedEvents() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            let room = try await makeConversation(store, members: [alice])
            let committed = try await store.commit { transaction throws in
                var seqs: [Int64] = []
                for role in [Role.admin, .member] {
                    let seq = try transaction.nextSeq(of: room.id, at: self.time)
                    try transaction.append(ConversationEvent(
                        conversationID: room.id, seq: seq, actorID: alice.id, occurredAt: self.time,
                        payload: .memberRoleChanged(userID: alice.id, from: .owner, to: role)))
                    seqs.append(seq)
                }
                return seqs
            }
            #expect(committed.value == [1, 2])
            #expect(committed.events.map(\.seq) == [1, 2])
            #expect(committed.events.last?.payload == .memberRoleChanged(userID: alice.id, from: .owner, to: .member))
            let none = try await store.commit { transaction throws in try transaction.conversation(id: room.id)?.lastSeq }
            #expect(none.value == 2 && none.events.isEmpty)
        }
    }

    /// ConversationStore: concurrent senders in one conversation get a gapless seq with no duplicate.
    public func concurrentSeq() async throws {
        try await withStore { store in
            let users = [try await makeUser(store, "alice"), try await makeUser(store, "bob"), try await makeUser(store, "carol")]
            let room = try await makeConversation(store, members: users)
            let other = try await makeConversation(store, members: [users[0]])
            let perTask = 20
            let seqs = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for task in 0..<8 {
                    group.addTask {
                        var mine: [Int64] = []
                        for _ in 0..<perTask {
                            let target = task == 7 ? other.id : room.id
                            mine.append(try await self.send(store, "hi", to: target, by: users[task % 3].id).seq)
                        }
                        return mine
                    }
                }
                var all: [Int64] = []
                for try await part in group { all += part }
                return all
            }
            #expect(seqs.count == 8 * perTask)
            let history = try await store.read { try $0.messages(in: room.id, after: nil, limit: 1000) }
            #expect(history.map(\.seq) == Array(1...Int64(7 * perTask)), "gapless and unique in the busy conversation")
            let events = try await store.read { try $0.events(in: room.id, after: 0, limit: 1000) }
            #expect(events.map(\.seq) == Array(1...Int64(7 * perTask)))
            #expect(try await store.read { try $0.conversation(id: room.id)?.lastSeq } == Int64(7 * perTask))
            #expect(try await store.read { try $0.messages(in: other.id, after: nil, limit: 1000) }.map(\.seq) == Array(1...Int64(perTask)))
        }
    }

    /// JobOutbox: a job enqueued in a write that rolls back does not exist; one that commits is claimable.
    public func outbox() async throws {
        try await withStores { stores in
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await stores.messaging.write { transaction throws in
                    try transaction.enqueue(NewJob(queue: "outbox", payload: Array("lost".utf8)), at: self.time)
                    throw Boom()
                }
            }
            let absorbed = try await stores.messaging.write { transaction throws in
                [
                    try transaction.enqueue(NewJob(queue: "outbox", payload: Array("kept".utf8)), at: self.time),
                    try transaction.enqueue(NewJob(queue: "outbox", payload: Array("first".utf8), coalescingKey: "c", delayMilliseconds: 50), at: self.time),
                    try transaction.enqueue(NewJob(queue: "outbox", payload: Array("second".utf8), coalescingKey: "c", delayMilliseconds: 50), at: self.time),
                ]
            }
            #expect(absorbed == [true, true, false], "the outbox coalesces like the queue")
            let claimed = try await stores.jobs.claim(from: ["outbox"], owner: "w", limit: 10, leaseMilliseconds: 1000, now: time.adding(milliseconds: 50))
            #expect(Set(claimed.map { String(decoding: $0.payload, as: UTF8.self) }) == ["kept", "second"])
            #expect(claimed.first { $0.payload == Array("second".utf8) }?.coalescedCount == 1)
        }
    }
}
