import Foundation
import MessagingCore
import Testing

// Moderation: the ModerationStore port, then the use cases over it (kicks and bans, blocks,
// slow mode, mutes, pins), on every adapter.
extension StoreContract {
    /// The use cases over fresh stores with a manual clock, and the job queue of the same database.
    func withModeration(_ body: (UseCaseFixture, any JobQueue) async throws -> Void) async throws {
        try await withStores { stores in
            let clock = ManualClock()
            try await body(UseCaseFixture(messaging: Messaging(store: stores.messaging, clock: clock.wall), clock: clock), stores.jobs)
        }
    }

    func text(_ text: String, _ key: String, mentions: [UserID] = []) throws -> MessageDraft {
        try MessageDraft(text: text, clientMessageID: ClientMessageID(key), mentions: mentions)
    }

    /// ModerationStore: bans, blocks, mutes, slow mode, post claims and pins round-trip.
    public func moderationStore() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            let bob = try await makeUser(store, "bob")
            let carol = try await makeUser(store, "carol")
            let room = try await makeConversation(store, members: [alice, bob])
            let time = self.time
            // Bans: insert, replace, list by user id, delete once.
            try await store.write { transaction throws in
                #expect(try transaction.ban(of: carol.id, in: room.id) == nil)
                try transaction.insert(ConversationBan(conversationID: room.id, userID: carol.id, bannedBy: alice.id, reason: "spam", bannedAt: time))
                try transaction.insert(ConversationBan(conversationID: room.id, userID: carol.id, bannedBy: bob.id, reason: nil, bannedAt: time))
                try transaction.insert(ConversationBan(conversationID: room.id, userID: bob.id, bannedBy: alice.id, reason: "x", bannedAt: time))
            }
            try await store.read { transaction throws in
                #expect(try transaction.ban(of: carol.id, in: room.id)?.bannedBy == bob.id)
                #expect(try transaction.ban(of: carol.id, in: room.id)?.reason == nil)
                let all = try transaction.bans(in: room.id, after: nil, limit: 10)
                #expect(all.map(\.userID) == [bob.id, carol.id].sorted())
                #expect(try transaction.bans(in: room.id, after: all[0].userID, limit: 10).map(\.userID) == [all[1].userID])
            }
            try await store.write { transaction throws in
                #expect(try transaction.deleteBan(of: carol.id, in: room.id))
                #expect(try !transaction.deleteBan(of: carol.id, in: room.id))
            }
            // Blocks: one direction stored, checked both ways, idempotent.
            try await store.write { transaction throws in
                #expect(try !transaction.isBlocked(between: alice.id, and: bob.id))
                #expect(try transaction.insert(UserBlock(blockerID: alice.id, blockedID: bob.id, createdAt: time)))
                #expect(try !transaction.insert(UserBlock(blockerID: alice.id, blockedID: bob.id, createdAt: time)))
                #expect(try transaction.insert(UserBlock(blockerID: alice.id, blockedID: carol.id, createdAt: time)))
            }
            try await store.read { transaction throws in
                #expect(try transaction.isBlocked(between: alice.id, and: bob.id))
                #expect(try transaction.isBlocked(between: bob.id, and: alice.id))
                #expect(try !transaction.isBlocked(between: bob.id, and: carol.id))
                #expect(try transaction.blocks(by: alice.id).map(\.blockedID) == [bob.id, carol.id].sorted())
                #expect(try transaction.blocks(by: bob.id).isEmpty)
            }
            try await store.write { transaction throws in
                #expect(try transaction.deleteBlock(of: bob.id, by: alice.id))
                #expect(try !transaction.deleteBlock(of: bob.id, by: alice.id))
                #expect(try !transaction.isBlocked(between: alice.id, and: bob.id))
            }
            // Mutes and slow mode are read back with the member and the conversation.
            try await store.write { transaction throws in
                try transaction.setMutedUntil(time.adding(milliseconds: 5000), of: bob.id, in: room.id)
                try transaction.setSlowMode(seconds: 30, of: room.id)
            }
            try await store.read { transaction throws in
                #expect(try transaction.member(bob.id, in: room.id)?.mutedUntil == time.adding(milliseconds: 5000))
                #expect(try transaction.member(alice.id, in: room.id)?.mutedUntil == nil)
                #expect(try transaction.conversation(id: room.id)?.slowModeSeconds == 30)
                #expect(try transaction.conversations(of: bob.id, after: nil, limit: 10).first?.membership.mutedUntil
                    == time.adding(milliseconds: 5000))
                #expect(try transaction.conversations(of: bob.id, after: nil, limit: 10).first?.conversation.slowModeSeconds == 30)
            }
            try await store.write { transaction throws in try transaction.setMutedUntil(nil, of: bob.id, in: room.id) }
            #expect(try await store.read { try $0.member(bob.id, in: room.id)?.mutedUntil } == nil)
            // Post claims: the first passes, one within the interval answers the previous post's time.
            try await store.write { transaction throws in
                #expect(try transaction.claimPost(of: bob.id, in: room.id, at: time, intervalMilliseconds: 1000) == nil)
                #expect(try transaction.claimPost(of: bob.id, in: room.id, at: time.adding(milliseconds: 999), intervalMilliseconds: 1000) == time)
                #expect(try transaction.claimPost(of: alice.id, in: room.id, at: time.adding(milliseconds: 10), intervalMilliseconds: 1000) == nil)
                #expect(try transaction.claimPost(of: bob.id, in: room.id, at: time.adding(milliseconds: 1000), intervalMilliseconds: 1000) == nil)
                #expect(try transaction.claimPost(of: bob.id, in: room.id, at: time.adding(milliseconds: 1500), intervalMilliseconds: 1000)
                    == time.adding(milliseconds: 1000))
            }
            // Pins: oldest first, once per message, and a deleted message loses its pin.
            let first = try await send(store, "one", to: room.id, by: alice.id)
            let second = try await send(store, "two", to: room.id, by: bob.id)
            try await store.write { transaction throws in
                #expect(try transaction.insert(PinnedMessage(conversationID: room.id, messageID: second.id, pinnedBy: alice.id, pinnedAt: time)))
                #expect(try transaction.insert(PinnedMessage(
                    conversationID: room.id, messageID: first.id, pinnedBy: alice.id, pinnedAt: time.adding(milliseconds: 1))))
                #expect(try !transaction.insert(PinnedMessage(conversationID: room.id, messageID: first.id, pinnedBy: bob.id, pinnedAt: time)))
            }
            #expect(try await store.read { try $0.pins(in: room.id) }.map(\.messageID) == [second.id, first.id])
            try await store.write { transaction throws in
                try transaction.tombstone(second.id, at: time)
                #expect(try !transaction.deletePin(of: second.id, in: room.id), "deleting the message dropped its pin")
                #expect(try transaction.deletePin(of: first.id, in: room.id))
            }
            #expect(try await store.read { try $0.pins(in: room.id) }.isEmpty)
        }
    }

    /// Use cases: kicks record their reason; bans remove, keep out until unbanned, and follow the rank rules.
    public func kicksAndBans() async throws {
        try await withModeration { fixture, _ in
            let m = fixture.messaging
            let (owner, admin, bob, carol) = try await (fixture.user("owner"), fixture.user("admin"), fixture.user("bob"), fixture.user("carol"))
            let room = try await m.conversations.create(.group(title: "t", members: [admin.id, bob.id, carol.id]), by: owner.id)
            _ = try await m.conversations.changeRole(of: admin.id, to: .admin, in: room.id, by: owner.id)
            // Members cannot kick or ban; admins cannot act on the owner.
            await expectError(.forbidden) { try await m.moderation.kick(carol.id, from: room.id, by: bob.id) }
            await expectError(.forbidden) { try await m.moderation.ban(carol.id, from: room.id, by: bob.id) }
            await expectError(.forbidden) { try await m.moderation.ban(owner.id, from: room.id, by: admin.id) }
            await expectError(.forbidden) { try await m.moderation.kick(owner.id, from: room.id, reason: "no", by: admin.id) }
            await expectError(.invalidInput) { try await m.moderation.ban(admin.id, from: room.id, by: admin.id) }
            await expectError(.invalidInput) {
                try await m.moderation.kick(bob.id, from: room.id, reason: String(repeating: "r", count: 501), by: admin.id)
            }
            // A kick records its reason; the kicked member may come back.
            try await m.moderation.kick(bob.id, from: room.id, reason: "  off topic ", by: admin.id)
            var events = try await fixture.allEvents(room.id, for: owner.id)
            #expect(events.last?.payload == .memberLeft(userID: bob.id, removedBy: admin.id, reason: "off topic"))
            #expect(events.last?.actorID == admin.id)
            _ = try await m.conversations.addMember(bob.id, to: room.id, by: admin.id)
            // A ban removes the member at once and keeps them out.
            let ban = try await m.moderation.ban(bob.id, from: room.id, reason: "spam", by: admin.id)
            #expect(ban.reason == "spam" && ban.bannedBy == admin.id)
            events = try await fixture.allEvents(room.id, for: owner.id)
            #expect(events.last?.payload == .memberBanned(userID: bob.id, reason: "spam"))
            #expect(events.last?.endsMembershipOf == bob.id)
            await expectError(.notFound) { try await m.conversations.conversation(room.id, for: bob.id) }
            await expectError(.banned) { try await m.conversations.addMember(bob.id, to: room.id, by: owner.id) }
            // Banning again returns the ban; a non-member can be banned; listing needs the role.
            #expect(try await m.moderation.ban(bob.id, from: room.id, reason: "again", by: owner.id) == ban)
            let dave = try await fixture.user("dave")
            _ = try await m.moderation.ban(dave.id, from: room.id, by: owner.id)
            #expect(try await m.moderation.bans(of: room.id, for: admin.id).map(\.userID) == [bob.id, dave.id].sorted())
            await expectError(.forbidden) { try await m.moderation.bans(of: room.id, for: carol.id) }
            await expectError(.notFound) { try await m.moderation.bans(of: room.id, for: bob.id) }
            // Unban: logged once; then the user may be added again.
            try await m.moderation.unban(bob.id, in: room.id, by: admin.id)
            try await m.moderation.unban(bob.id, in: room.id, by: admin.id)
            events = try await fixture.allEvents(room.id, for: owner.id)
            #expect(events.last?.payload == .memberUnbanned(userID: bob.id))
            #expect(events.filter { $0.payload == .memberUnbanned(userID: bob.id) }.count == 1)
            _ = try await m.conversations.addMember(bob.id, to: room.id, by: admin.id)
            await expectError(.forbidden) { try await m.moderation.unban(dave.id, in: room.id, by: bob.id) }
            // Direct conversations have no bans.
            let direct = try await m.conversations.create(.direct(with: bob.id), by: carol.id)
            await expectError(.invalidInput) { try await m.moderation.ban(bob.id, from: direct.id, by: carol.id) }
            // The log stays gapless.
            #expect(events.map(\.seq) == Array(1...Int64(events.count)))
        }
    }

    /// Use cases: a blocked pair has no direct conversation; the blocker reads the blocked
    /// user's messages withheld at their seq (history, sync, single reads) and never in search.
    public func blocks() async throws {
        try await withModeration { fixture, jobs in
            let m = fixture.messaging
            let (alice, bob, carol) = try await (fixture.user("alice"), fixture.user("bob"), fixture.user("carol"))
            let room = try await m.conversations.create(.group(title: "t", members: [bob.id, carol.id]), by: alice.id)
            let block = try await m.blocks.block(bob.id, by: alice.id)
            #expect(block.blockerID == alice.id && block.blockedID == bob.id)
            #expect(try await m.blocks.block(bob.id, by: alice.id) == block, "blocking twice returns the block")
            await expectError(.invalidInput) { try await m.blocks.block(alice.id, by: alice.id) }
            await expectError(.notFound) { try await m.blocks.block(UserID(UUIDv7Generator().next()), by: alice.id) }
            #expect(try await m.blocks.blockedUsers(of: alice.id) == [bob.id])
            // Neither direction may create a direct conversation.
            await expectError(.blocked) { try await m.conversations.create(.direct(with: bob.id), by: alice.id) }
            await expectError(.blocked) { try await m.conversations.create(.direct(with: alice.id), by: bob.id) }
            _ = try await m.conversations.create(.direct(with: carol.id), by: bob.id)
            // Bob's messages reach alice withheld, at their seq; carol reads them whole.
            _ = try await m.messages.send(try text("from carol", "c1"), to: room.id, by: carol.id)
            let secret = try await m.messages.send(try text("secret words", "b1", mentions: [carol.id]), to: room.id, by: bob.id).message
            _ = try await m.messages.send(try text("after", "c2"), to: room.id, by: carol.id)
            let page = try await m.messages.history(of: room.id, for: alice.id)
            #expect(page.messages.map(\.seq) == [3, 2, 1], "no gap")
            let hidden = try #require(page.messages.first { $0.id == secret.id })
            #expect(hidden.isHidden && hidden.body == nil && hidden.mentions.isEmpty && hidden.senderID == bob.id)
            #expect(try await m.messages.history(of: room.id, for: carol.id).messages.first { $0.id == secret.id }?.body == .text("secret words"))
            let events = try await fixture.allEvents(room.id, for: alice.id)
            #expect(events.map(\.seq) == [1, 2, 3])
            #expect(events[1].payload == .messageCreated(secret.withheld()))
            #expect(try await m.messages.message(secret.id, for: alice.id).message.isHidden)
            #expect(try await m.search.search("secret", for: alice.id).hits.isEmpty)
            #expect(try await m.search.search("secret", for: carol.id).hits.count == 1)
            // A mention by a blocked user notifies nobody who blocks them.
            _ = try await m.messages.send(try text("hey alice", "b2", mentions: [alice.id, carol.id]), to: room.id, by: bob.id)
            let claimed = try await jobs.claim(
                from: [NotificationRequest.queue], owner: "w", limit: 10, leaseMilliseconds: 1000,
                now: fixture.clock.timestamp.adding(milliseconds: 3_600_000))
            #expect(try Set(claimed.map { try NotificationRequest(payload: $0.payload).userID }) == [carol.id])
            // Blocking is one-way: bob reads alice's messages; unblocking restores the content.
            _ = try await m.messages.send(try text("hi bob", "a1"), to: room.id, by: alice.id)
            #expect(try await m.messages.history(of: room.id, for: bob.id).messages.allSatisfy { !$0.isHidden })
            #expect(try await m.blocks.unblock(bob.id, by: alice.id))
            #expect(try await !m.blocks.unblock(bob.id, by: alice.id))
            #expect(try await m.blocks.blocks(of: alice.id).isEmpty)
            #expect(try await m.messages.message(secret.id, for: alice.id).message.body == .text("secret words"))
            _ = try await m.conversations.create(.direct(with: bob.id), by: alice.id)
        }
    }

    /// Use cases: slow mode holds a member to one new message per interval (with the wait),
    /// exempts owners and admins and repeated sends, and holds under concurrent sends.
    public func slowMode() async throws {
        try await withModeration { fixture, _ in
            let m = fixture.messaging
            let (owner, bob) = try await (fixture.user("owner"), fixture.user("bob"))
            let room = try await m.conversations.create(.group(title: "t", members: [bob.id]), by: owner.id)
            await expectError(.forbidden) { try await m.moderation.setSlowMode(10, of: room.id, by: bob.id) }
            await expectError(.invalidInput) { try await m.moderation.setSlowMode(21_601, of: room.id, by: owner.id) }
            await expectError(.invalidInput) { try await m.moderation.setSlowMode(-1, of: room.id, by: owner.id) }
            let updated = try await m.moderation.setSlowMode(10, of: room.id, by: owner.id)
            #expect(updated.slowModeSeconds == 10)
            #expect(try await m.conversations.conversation(room.id, for: bob.id).slowModeSeconds == 10)
            #expect(try await fixture.allEvents(room.id, for: bob.id).last?.payload == .slowModeChanged(seconds: 10))
            let first = try text("one", "b1")
            _ = try await m.messages.send(first, to: room.id, by: bob.id)
            #expect(try await m.messages.send(first, to: room.id, by: bob.id).isDuplicate, "a repeated send is not a new message")
            fixture.clock.advance(milliseconds: 4_000)
            do {
                _ = try await m.messages.send(try text("two", "b2"), to: room.id, by: bob.id)
                Issue.record("a send within the interval passed")
            } catch let error as MessagingError {
                #expect(error.code == .slowMode)
                #expect(error.retryAfterMilliseconds == 6_000)
            }
            // Owners and admins are exempt.
            for index in 0..<3 { _ = try await m.messages.send(try text("o", "o\(index)"), to: room.id, by: owner.id) }
            fixture.clock.advance(milliseconds: 6_000)
            _ = try await m.messages.send(try text("two", "b2"), to: room.id, by: bob.id)
            // Concurrent sends of one member: exactly one passes.
            fixture.clock.advance(milliseconds: 10_000)
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<8 {
                    group.addTask { (try? await m.messages.send(try self.text("c", "c\(index)"), to: room.id, by: bob.id)) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            // Off again: no limit.
            _ = try await m.moderation.setSlowMode(0, of: room.id, by: owner.id)
            _ = try await m.messages.send(try text("free", "f1"), to: room.id, by: bob.id)
            _ = try await m.messages.send(try text("free", "f2"), to: room.id, by: bob.id)
            let direct = try await m.conversations.create(.direct(with: bob.id), by: owner.id)
            await expectError(.invalidInput) { try await m.moderation.setSlowMode(5, of: direct.id, by: owner.id) }
        }
    }

    /// Use cases: a muted conversation makes no mention job for that member, until the mute ends.
    public func mutes() async throws {
        try await withModeration { fixture, jobs in
            let m = fixture.messaging
            let (alice, bob, carol) = try await (fixture.user("alice"), fixture.user("bob"), fixture.user("carol"))
            let room = try await m.conversations.create(.group(title: "t", members: [bob.id, carol.id]), by: alice.id)
            await expectError(.invalidInput) { try await m.conversations.mute(room.id, until: fixture.clock.timestamp, by: bob.id) }
            await expectError(.notFound) { try await m.conversations.mute(room.id, until: .forever, by: UserID(UUIDv7Generator().next())) }
            let until = fixture.clock.timestamp.adding(milliseconds: 60_000)
            #expect(try await m.conversations.mute(room.id, until: until, by: bob.id).mutedUntil == until)
            #expect(try await m.conversations.isMuted(room.id, for: bob.id))
            #expect(try await !m.conversations.isMuted(room.id, for: carol.id))
            let listed = try await m.conversations.conversations(of: bob.id).conversations.first
            #expect(listed?.membership.mutedUntil == until)
            _ = try await m.messages.send(try text("hey", "m1", mentions: [bob.id, carol.id]), to: room.id, by: alice.id)
            let far = fixture.clock.timestamp.adding(milliseconds: 3_600_000)
            var claimed = try await jobs.claim(from: [NotificationRequest.queue], owner: "w", limit: 10, leaseMilliseconds: 1000, now: far)
            #expect(try claimed.map { try NotificationRequest(payload: $0.payload).userID } == [carol.id], "no job for the muted member")
            for job in claimed { _ = try await jobs.complete(job.lease) }
            // The mute ends at its time; an unmute ends it at once.
            fixture.clock.advance(milliseconds: 60_000)
            #expect(try await !m.conversations.isMuted(room.id, for: bob.id))
            _ = try await m.messages.send(try text("hey", "m2", mentions: [bob.id]), to: room.id, by: alice.id)
            _ = try await m.conversations.mute(room.id, until: .forever, by: carol.id)
            _ = try await m.messages.send(try text("hey", "m3", mentions: [carol.id]), to: room.id, by: alice.id)
            _ = try await m.conversations.mute(room.id, until: nil, by: carol.id)
            #expect(try await !m.conversations.isMuted(room.id, for: carol.id))
            claimed = try await jobs.claim(
                from: [NotificationRequest.queue], owner: "w", limit: 10, leaseMilliseconds: 1000, now: far.adding(milliseconds: 3_600_000))
            #expect(try claimed.map { try NotificationRequest(payload: $0.payload).userID } == [bob.id])
        }
    }

    /// Use cases: pins by role (both members in a direct conversation), logged, bounded, listed for members only.
    public func pins() async throws {
        try await withModeration { fixture, _ in
            let m = fixture.messaging
            let (owner, bob, carol) = try await (fixture.user("owner"), fixture.user("bob"), fixture.user("carol"))
            let room = try await m.conversations.create(.group(title: "t", members: [bob.id]), by: owner.id)
            let message = try await m.messages.send(try text("pin me", "p0"), to: room.id, by: bob.id).message
            await expectError(.forbidden) { try await m.moderation.pin(message.id, by: bob.id) }
            await expectError(.notFound) { try await m.moderation.pin(message.id, by: carol.id) }
            let pin = try await m.moderation.pin(message.id, by: owner.id)
            #expect(pin.pinnedBy == owner.id && pin.messageID == message.id)
            #expect(try await m.moderation.pin(message.id, by: owner.id) == pin)
            #expect(try await fixture.allEvents(room.id, for: bob.id).last?.payload == .messagePinned(messageID: message.id))
            #expect(try await m.moderation.pins(of: room.id, for: bob.id) == [pin])
            await expectError(.notFound) { try await m.moderation.pins(of: room.id, for: carol.id) }
            // At most 50 per conversation.
            for index in 1..<ModerationLimits.maxPinsPerConversation {
                let other = try await m.messages.send(try text("m", "p\(index)"), to: room.id, by: owner.id).message
                _ = try await m.moderation.pin(other.id, by: owner.id)
            }
            let extra = try await m.messages.send(try text("m", "extra"), to: room.id, by: owner.id).message
            await expectError(.limitExceeded) { try await m.moderation.pin(extra.id, by: owner.id) }
            // Unpin: logged once; deleting a message drops its pin.
            await expectError(.forbidden) { try await m.moderation.unpin(message.id, by: bob.id) }
            try await m.moderation.unpin(message.id, by: owner.id)
            try await m.moderation.unpin(message.id, by: owner.id)
            let events = try await fixture.allEvents(room.id, for: owner.id)
            #expect(events.filter { $0.payload == .messageUnpinned(messageID: message.id) }.count == 1)
            _ = try await m.moderation.pin(extra.id, by: owner.id)
            _ = try await m.messages.delete(extra.id, by: owner.id)
            #expect(try await m.moderation.pins(of: room.id, for: owner.id).count == ModerationLimits.maxPinsPerConversation - 1)
            await expectError(.conflict) { try await m.moderation.pin(extra.id, by: owner.id) }
            // In a direct conversation both members may pin.
            let direct = try await m.conversations.create(.direct(with: carol.id), by: bob.id)
            let hello = try await m.messages.send(try text("hello", "d1"), to: direct.id, by: carol.id).message
            _ = try await m.moderation.pin(hello.id, by: bob.id)
            try await m.moderation.unpin(hello.id, by: carol.id)
        }
    }
}
