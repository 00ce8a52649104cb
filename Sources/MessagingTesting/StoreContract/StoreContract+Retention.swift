import Foundation
import MessagingCore
import Testing

// The suites of retention and account deletion (migration v7-retention / pg-v7-retention).
extension StoreContract {
    /// RetentionStore: set, replace (keeping the sweep position), list by keyset, remove; AccountDataStore and AccountErasureStore.
    public func retentionStore() async throws {
        try await withStores { stores in
            let store = stores.messaging
            let alice = try await makeAccount(stores, "alice")
            let rooms = [
                try await makeConversation(store, members: [alice]), try await makeConversation(store, members: [alice]),
                try await makeConversation(store, members: [alice]),
            ].sorted { $0.id < $1.id }
            try await store.write { transaction throws in
                #expect(try transaction.retentionPolicy(of: rooms[0].id) == nil)
                for (index, room) in rooms.enumerated() {
                    try transaction.setRetentionPolicy(
                        RetentionPolicy(conversationID: room.id, days: index + 1, setBy: alice.id, setAt: self.time))
                }
                try transaction.setRetentionSweptSeq(7, of: rooms[0].id)
                try transaction.setRetentionPolicy(
                    RetentionPolicy(conversationID: rooms[0].id, days: 30, setBy: alice.id, setAt: self.time.adding(milliseconds: 5)))
            }
            let replaced = try #require(try await store.read { try $0.retentionPolicy(of: rooms[0].id) })
            #expect(replaced.days == 30 && replaced.sweptSeq == 7 && replaced.setAt == time.adding(milliseconds: 5),
                "a replaced policy keeps its sweep position")
            let first = try await store.read { try $0.retentionPolicies(after: nil, limit: 2) }
            #expect(first.map(\.conversationID) == [rooms[0].id, rooms[1].id])
            let rest = try await store.read { try $0.retentionPolicies(after: rooms[1].id, limit: 2) }
            #expect(rest.map(\.conversationID) == [rooms[2].id] && rest.first?.days == 3)
            try await store.write { try $0.removeRetentionPolicy(of: rooms[1].id) }
            #expect(try await store.read { try $0.retentionPolicies(after: nil, limit: 10) }.map(\.conversationID) == [rooms[0].id, rooms[2].id])
            #expect(try await store.read { try $0.retentionPolicy(of: rooms[1].id) } == nil)

            // undeletedMessages: the sender's, in seq order, without tombstones or others' messages.
            let bob = try await makeAccount(stores, "bob")
            let mine = try (1...3).map { try makeMessage(rooms[0].id, alice.id, seq: Int64($0)) }
            let theirs = try makeMessage(rooms[0].id, bob.id, seq: 4)
            try await store.write { transaction throws in
                for message in mine + [theirs] { try transaction.insert(message) }
                try transaction.tombstone(mine[1].id, at: self.time)
            }
            #expect(try await store.read { try $0.undeletedMessages(from: alice.id, in: rooms[0].id, limit: 10) } == [mine[0].id, mine[2].id])
            #expect(try await store.read { try $0.undeletedMessages(from: alice.id, in: rooms[0].id, limit: 1) } == [mine[0].id])

            // eraseCredentialAndSessions: credential, sessions and rotated hashes gone; the user row stays, renamed.
            let session = AuthSession(
                id: SessionID(ids.next()), userID: alice.id, deviceName: "laptop", clientAddress: nil, createdAt: time,
                lastUsedAt: time, expiresAt: time.adding(milliseconds: 86_400_000))
            try await stores.auth.write { transaction throws in
                try transaction.insert(session, refreshTokenHash: self.tokenHash(1))
                _ = try transaction.rotateRefreshToken(
                    of: session.id, from: self.tokenHash(1), to: self.tokenHash(2), at: self.time, clientAddress: nil)
                try transaction.eraseCredentialAndSessions(of: alice.id, displayName: "Deleted account")
            }
            try await stores.auth.read { transaction throws in
                #expect(try transaction.credential(of: alice.id) == nil)
                #expect(try transaction.sessions(of: alice.id).isEmpty)
                #expect(try transaction.refreshToken(hash: self.tokenHash(1)) == nil && transaction.refreshToken(hash: self.tokenHash(2)) == nil)
                let user = try #require(try transaction.user(id: alice.id))
                #expect(user.handle.rawValue == "alice" && user.displayName == "Deleted account", "the handle stays taken")
                #expect(try transaction.credential(of: bob.id) != nil, "other accounts are untouched")
            }
        }
    }

    /// Use cases: the retention sweep tombstones exactly the messages older than the cut-off, in bounded batches, gapless, idempotently.
    public func retentionSweep() async throws {
        try await withUseCases { fixture in
            let messaging = fixture.messaging
            let (alice, bob) = (try await fixture.user("alice"), try await fixture.user("bob"))
            let room = try await messaging.conversations.create(.group(title: "t", members: [bob.id]), by: alice.id)
            let other = try await messaging.conversations.create(.group(title: "kept", members: [bob.id]), by: alice.id)
            // One message a day for 10 days (day 0 … day 9), in both conversations.
            var sent: [Message] = []
            for day in 0..<10 {
                let draft = try MessageDraft(text: "day \(day)", clientMessageID: ClientMessageID("d\(day)"))
                sent.append(try await messaging.messages.send(draft, to: room.id, by: day.isMultiple(of: 2) ? alice.id : bob.id).message)
                _ = try await messaging.messages.send(draft, to: other.id, by: alice.id)
                fixture.clock.advance(milliseconds: 86_400_000)
            }
            // A reply to day 1's message and a reaction on it: they go as after a user's delete.
            let reply = try MessageDraft(text: "reply", clientMessageID: ClientMessageID("r"), replyTo: sent[1].id, threadRoot: sent[1].id)
            let replied = try await messaging.messages.send(reply, to: room.id, by: alice.id).message
            try await messaging.messages.react(to: sent[1].id, with: Emoji("👍"), by: alice.id)

            // Members may not set a policy; bad values are refused.
            await #expect(throws: MessagingError.self) { try await messaging.retention.setPolicy(days: 3, of: room.id, by: bob.id) }
            await #expect(throws: MessagingError.self) { try await messaging.retention.setPolicy(days: 0, of: room.id, by: alice.id) }
            await #expect(throws: MessagingError.self) { try await messaging.retention.setPolicy(days: 36_501, of: room.id, by: alice.id) }
            #expect(try await messaging.retention.policy(of: room.id, for: bob.id) == nil)

            // Now is day 10: a 5-day policy expires days 0…4 (created before day 5).
            let policy = try #require(try await messaging.retention.setPolicy(days: 5, of: room.id, by: alice.id))
            #expect(policy.days == 5 && policy.setBy == alice.id)
            let before = try await fixture.allEvents(room.id, for: alice.id)
            var total = 0
            var sweeps = 0
            while true {
                let sweep = try await messaging.retention.sweep(batchSize: 2)
                total += sweep.deletedMessages
                sweeps += 1
                #expect(sweep.conversations == 1, "only conversations with a policy are visited")
                if !sweep.hasMore { break }
                try #require(sweeps < 20)
            }
            #expect(total == 5 && sweeps >= 3, "5 expired messages in batches of 2: \(sweeps) sweeps")
            let page = try await messaging.messages.history(of: room.id, for: bob.id, HistoryRequest(limit: 50))
            let byID = Dictionary(uniqueKeysWithValues: page.messages.map { ($0.id, $0) })
            for (day, message) in sent.enumerated() {
                let now = try #require(byID[message.id])
                #expect(now.isDeleted == (day < 5), "day \(day): deleted \(now.isDeleted)")
                if day < 5 { #expect(now.body == nil && now.mentions.isEmpty) }
            }
            #expect(byID[replied.id]?.isDeleted == false, "a recent reply to an expired root stays")
            #expect(page.reactions[sent[1].id] == nil, "the reactions of an expired message are gone")

            let after = try await fixture.allEvents(room.id, for: alice.id)
            #expect(after.map(\.seq) == Array(1...Int64(after.count)), "seq stays gapless")
            let appended = Array(after.dropFirst(before.count))
            #expect(appended.count == 5)
            for event in appended {
                guard case .messageDeleted(let tombstone) = event.payload else {
                    Issue.record("not a message.deleted event: \(event)")
                    continue
                }
                #expect(event.actorID == alice.id && tombstone.body == nil && tombstone.isDeleted)
            }
            // Idempotent: a second sweep deletes and appends nothing.
            let again = try await messaging.retention.sweep(batchSize: 2)
            #expect(again.deletedMessages == 0 && !again.hasMore)
            #expect(try await fixture.allEvents(room.id, for: alice.id).count == after.count)
            // The conversation without a policy kept everything.
            let kept = try await messaging.messages.history(of: other.id, for: alice.id, HistoryRequest(limit: 50))
            #expect(kept.messages.count == 10 && kept.messages.allSatisfy { !$0.isDeleted })

            // One more day: day 5 expires; removing the policy stops the sweep.
            fixture.clock.advance(milliseconds: 86_400_000)
            #expect(try await messaging.retention.sweep().deletedMessages == 1)
            try await messaging.retention.setPolicy(days: nil, of: room.id, by: alice.id)
            fixture.clock.advance(milliseconds: 10 * 86_400_000)
            #expect(try await messaging.retention.sweep().deletedMessages == 0)
        }
    }

    /// Use cases: erasing an account's data tombstones its messages, hands ownership on and leaves every conversation.
    public func accountErasure() async throws {
        try await withUseCases { fixture in
            let messaging = fixture.messaging
            let (alice, bob, carol) = (try await fixture.user("alice"), try await fixture.user("bob"), try await fixture.user("carol"))
            let room = try await messaging.conversations.create(.group(title: "t", members: [bob.id, carol.id]), by: alice.id)
            _ = try await messaging.conversations.changeRole(of: carol.id, to: .admin, in: room.id, by: alice.id)
            let direct = try await messaging.conversations.create(.direct(with: bob.id), by: alice.id)
            var mine: [MessageID] = []
            for index in 0..<3 {
                let draft = try MessageDraft(text: "mine \(index)", clientMessageID: ClientMessageID("a\(index)"))
                mine.append(try await messaging.messages.send(draft, to: room.id, by: alice.id).message.id)
            }
            mine.append(try await messaging.messages.send(
                try MessageDraft(text: "hi", clientMessageID: ClientMessageID("d")), to: direct.id, by: alice.id).message.id)
            let bobs = try await messaging.messages.send(
                try MessageDraft(text: "bob's", clientMessageID: ClientMessageID("b")), to: room.id, by: bob.id).message

            try await messaging.accounts.eraseData(of: alice.id, messages: .tombstone)
            // Run again: nothing more happens.
            let roomEvents = try await fixture.allEvents(room.id, for: bob.id)
            try await messaging.accounts.eraser().eraseData(of: alice.id)
            #expect(try await fixture.allEvents(room.id, for: bob.id).count == roomEvents.count, "erasure is idempotent")

            #expect(try await messaging.conversations.conversations(of: alice.id).conversations.isEmpty)
            let members = try await messaging.conversations.members(of: room.id, for: bob.id)
            #expect(Set(members.map(\.userID)) == [bob.id, carol.id])
            #expect(members.first { $0.userID == carol.id }?.role == .owner, "the first admin becomes owner")
            #expect(try await messaging.feed.events(for: carol.id, after: 0).events.last?.payload == .roleChanged(to: .owner, by: alice.id),
                    "the heir's feed says so")
            let page = try await messaging.messages.history(of: room.id, for: bob.id, HistoryRequest(limit: 50))
            for message in page.messages where message.senderID == alice.id && message.kind != .system {
                #expect(message.isDeleted && message.body == nil)
            }
            #expect(page.messages.first { $0.id == bobs.id }?.isDeleted == false, "others' messages stay")
            let directPage = try await messaging.messages.history(of: direct.id, for: bob.id, HistoryRequest(limit: 50))
            #expect(directPage.messages.allSatisfy { $0.isDeleted })
            #expect(roomEvents.map(\.seq) == Array(1...Int64(roomEvents.count)), "seq stays gapless")
            let tail = roomEvents.suffix(2).map(\.payload)
            #expect(tail == [
                .memberRoleChanged(userID: carol.id, from: .admin, to: .owner),
                .memberLeft(userID: alice.id, removedBy: nil),
            ])

            // Nobody can bring the deleted account back into a conversation.
            await #expect(throws: MessagingError.self) {
                _ = try await messaging.conversations.create(.group(title: "x", members: [alice.id]), by: bob.id)
            }
            await #expect(throws: MessagingError.self) {
                _ = try await messaging.conversations.create(.direct(with: alice.id), by: carol.id)
            }
            await #expect(throws: MessagingError.self) {
                _ = try await messaging.conversations.addMember(alice.id, to: room.id, by: carol.id)
            }
            #expect(try await messaging.conversations.members(of: room.id, for: bob.id).count == 2)

            // Keeping messages: they stay, the account still leaves.
            let dave = try await fixture.user("dave")
            let keptRoom = try await messaging.conversations.create(.group(title: "k", members: [bob.id]), by: dave.id)
            let kept = try await messaging.messages.send(
                try MessageDraft(text: "kept", clientMessageID: ClientMessageID("k")), to: keptRoom.id, by: dave.id).message
            try await messaging.accounts.eraseData(of: dave.id, messages: .keep)
            let keptPage = try await messaging.messages.history(of: keptRoom.id, for: bob.id, HistoryRequest(limit: 50))
            #expect(keptPage.messages.first { $0.id == kept.id }?.isDeleted == false)
            #expect(try await messaging.conversations.members(of: keptRoom.id, for: bob.id).map(\.userID) == [bob.id])
            #expect(try await messaging.conversations.members(of: keptRoom.id, for: bob.id).first?.role == .owner)
        }
    }

    /// Use cases: erasing an account removes its devices (device.removed, a new epoch required) and deletes every envelope addressed to them.
    public func accountErasureDevices() async throws {
        try await withStore { store in
            let clock = ManualClock()
            let messaging = Messaging(store: store, clock: clock.wall)
            let alice = try await messaging.users.register(handle: "alice", displayName: "Alice")
            let bob = try await messaging.users.register(handle: "bob", displayName: "Bob")
            let room = try await makeConversation(store, members: [alice, bob], encrypted: true)
            let (first, second, bobs): (DeviceID, DeviceID, DeviceID) = (ids.next(), ids.next(), ids.next())
            try await store.write { transaction throws in
                for (id, user) in [(first, alice.id), (second, alice.id), (bobs, bob.id)] {
                    try transaction.insert(Device(id: id, userID: user, bundle: Data([1]), addedAt: self.time, removedAt: nil))
                }
                try transaction.setKeyState(ConversationKeyState(keyEpoch: 1, requiredEpoch: 1), of: room.id)
                for recipient in [first, second, bobs] {
                    _ = try transaction.appendEnvelope(
                        Data([7]), to: recipient, conversation: room.id, epoch: 1, sender: bobs, at: self.time)
                }
            }
            try await messaging.accounts.eraseData(of: alice.id, messages: .tombstone)
            try await store.read { transaction throws in
                #expect(try transaction.activeDevices(of: alice.id).isEmpty)
                #expect(try transaction.device(id: first)?.removedAt != nil && transaction.device(id: second)?.removedAt != nil)
                #expect(try transaction.envelopes(for: first, after: 0, limit: 10).isEmpty)
                #expect(try transaction.envelopes(for: second, after: 0, limit: 10).isEmpty)
                #expect(try transaction.envelopes(for: bobs, after: 0, limit: 10).count == 1, "other accounts' envelopes stay")
                #expect(try transaction.keyState(of: room.id)?.requiredEpoch ?? 0 >= 2, "a new epoch is required")
                let kinds = try transaction.events(in: room.id, after: 0, limit: 10).map(\.payload)
                #expect(kinds == [
                    .deviceRemoved(userID: alice.id, deviceID: min(first, second)),
                    .deviceRemoved(userID: alice.id, deviceID: max(first, second)),
                    .memberRoleChanged(userID: bob.id, from: .member, to: .owner),  // alice was the only owner
                    .memberLeft(userID: alice.id, removedBy: nil),
                ], "\(kinds)")
            }
        }
    }
}
