import Foundation
import MessagingCore
import Testing

// The suites of notifications (issue 17, item 4): who a scan notifies, records, and push tokens.
extension StoreContract {
    /// Runs the scan job waiting for `conversation` (there must be exactly one) and returns what it made.
    func runScan(_ fixture: UseCaseFixture, _ jobs: any JobQueue, _ conversation: ConversationID) async throws -> [NotificationRecord] {
        let far = fixture.clock.timestamp.adding(milliseconds: 3_600_000)
        let claimed = try await jobs.claim(from: [NotificationScan.queue], owner: "w", limit: 10, leaseMilliseconds: 1000, now: far)
        #expect(claimed.count == 1, "one scan job per conversation and window")
        var records: [NotificationRecord] = []
        for job in claimed {
            let scan = try NotificationScan(payload: job.payload)
            #expect(scan.conversationID == conversation)
            records += try await fixture.messaging.notifications.scan(scan.conversationID, through: scan.seq)
            _ = try await jobs.complete(job.lease)
        }
        return records
    }

    /// The waiting push jobs (completed as they are read).
    func pushRequests(_ fixture: UseCaseFixture, _ jobs: any JobQueue) async throws -> [NotificationRequest] {
        let far = fixture.clock.timestamp.adding(milliseconds: 7_200_000)
        let claimed = try await jobs.claim(from: [NotificationRequest.queue], owner: "w", limit: 100, leaseMilliseconds: 1000, now: far)
        for job in claimed { _ = try await jobs.complete(job.lease) }
        return try claimed.map { try NotificationRequest(payload: $0.payload) }
    }

    /// Use cases: a burst to members who did not receive it is one notification each; the sender, members whose
    /// device acknowledged or who read, muted members and blocked senders are left out; scans are idempotent.
    public func notificationScan() async throws {
        try await withStores { stores in
            let clock = ManualClock()
            let fixture = UseCaseFixture(messaging: Messaging(store: stores.messaging, clock: clock.wall), clock: clock)
            let jobs = stores.jobs
            let m = fixture.messaging
            let users = try await fixture.users("alice", "bob", "carol", "dave", "erin", "frank", "gina")
            let (alice, bob, carol, dave, erin, frank, gina) = (users[0], users[1], users[2], users[3], users[4], users[5], users[6])
            let room = try await m.conversations.create(.group(title: "t", members: users.dropFirst().map(\.id)), by: alice.id)
            _ = try await m.conversations.mute(room.id, until: .forever, by: erin.id)
            _ = try await m.blocks.block(alice.id, by: frank.id)
            var sent: [Message] = []
            for index in 1...50 {
                let mentions = index == 20 ? [gina.id] : []
                sent.append(try await m.messages.send(try text("m\(index)", "b\(index)", mentions: mentions), to: room.id, by: alice.id).message)
            }
            let last = try #require(sent.last)
            // carol's device received everything; dave read everything.
            try await stores.ackCursors.save(
                [AckCursor(deviceID: DeviceID(UUIDv7Generator().next()), userID: carol.id, conversationID: room.id, ackedSeq: last.seq)],
                at: fixture.clock.timestamp)
            _ = try await m.readState.markRead(room.id, upTo: last.seq, by: dave.id)

            let records = try await runScan(fixture, jobs, room.id)
            #expect(Set(records.map(\.userID)) == [bob.id, gina.id], "only members who received nothing, not muted, not blocking the sender")
            let bobs = try #require(records.first { $0.userID == bob.id })
            #expect(bobs.count == 50 && bobs.firstSeq == sent[0].seq && bobs.latestSeq == last.seq && bobs.messageID == last.id)
            #expect(bobs.reason == .offline && bobs.readAt == nil)
            #expect(records.first { $0.userID == gina.id }?.count == 49, "the message that mentions gina is her mention's notification")
            let pushes = try await pushRequests(fixture, jobs)
            let recorded = pushes.filter { $0.notificationID != nil }
            #expect(Set(recorded.map(\.userID)) == [bob.id, gina.id], "one push per record")
            #expect(recorded.first { $0.userID == bob.id }?.count == 50)
            #expect(recorded.first { $0.userID == bob.id }?.notificationID == bobs.id)
            #expect(pushes.filter { $0.notificationID == nil }.map(\.userID) == [gina.id], "and gina's mention job")

            // A second run of the same scan makes nothing.
            #expect(try await m.notifications.scan(room.id, through: last.seq).isEmpty, "idempotent")
            #expect(try await pushRequests(fixture, jobs).isEmpty)

            // A second burst: a second notification covering only the new messages.
            var more: [Message] = []
            for index in 1...3 { more.append(try await m.messages.send(try text("n\(index)", "c\(index)"), to: room.id, by: carol.id).message) }
            let second = try await runScan(fixture, jobs, room.id)
            let bobsSecond = try #require(second.first { $0.userID == bob.id })
            #expect(bobsSecond.firstSeq == more[0].seq && bobsSecond.latestSeq == more[2].seq && bobsSecond.count == 3)
            #expect(!second.contains { $0.userID == carol.id }, "never for one's own messages")
            #expect(!second.contains { $0.userID == erin.id }, "never while muted")

            // Listing, paging, marking read.
            let page = try await m.notifications.notifications(of: bob.id, limit: 1)
            #expect(page.notifications.map(\.id) == [bobsSecond.id] && page.hasMore && page.unread == 2)
            let older = try await m.notifications.notifications(of: bob.id, before: bobsSecond.id, limit: 10)
            #expect(older.notifications.map(\.id) == [bobs.id] && !older.hasMore)
            #expect(try await m.notifications.markRead([bobs.id], by: alice.id) == 0, "another user's ids change nothing")
            #expect(try await m.notifications.markRead([bobs.id], by: bob.id) == 1)
            #expect(try await m.notifications.markRead([bobs.id], by: bob.id) == 0, "already read")
            #expect(try await m.notifications.notifications(of: bob.id).unread == 1)
            #expect(try await m.notifications.markRead(nil, by: bob.id) == 1)
            let all = try await m.notifications.notifications(of: bob.id)
            #expect(all.unread == 0 && all.notifications.allSatisfy { $0.readAt != nil })
            #expect(try await m.notifications.notifications(of: alice.id).notifications.allSatisfy { $0.userID == alice.id })
            await expectError(.invalidInput) { try await m.notifications.notifications(of: bob.id, limit: 0) }
            await expectError(.invalidInput) {
                try await m.notifications.notifications(of: bob.id, limit: NotificationLimits.maxPageSize + 1)
            }
            await expectError(.limitExceeded) {
                try await m.notifications.markRead(
                    (0...NotificationLimits.maxPageSize).map { _ in NotificationID(UUIDv7Generator().next()) }, by: bob.id)
            }
        }
    }

    /// Use cases: records of mentions are made once per job; an offline request a scan covered, or for a user who
    /// left, makes none.
    public func notificationRecords() async throws {
        try await withStores { stores in
            let clock = ManualClock()
            let fixture = UseCaseFixture(messaging: Messaging(store: stores.messaging, clock: clock.wall), clock: clock)
            let m = fixture.messaging
            let (alice, bob, carol) = try await (fixture.user("alice"), fixture.user("bob"), fixture.user("carol"))
            let room = try await m.conversations.create(.group(title: "t", members: [bob.id, carol.id]), by: alice.id)
            let sent = try await m.messages.send(try text("@bob", "x1", mentions: [bob.id]), to: room.id, by: alice.id).message
            let mention = NotificationRequest(
                userID: bob.id, conversationID: room.id, reason: .mention, seq: sent.seq, messageID: sent.id)
            let first = try #require(try await m.notifications.record(mention, count: 2, jobID: JobID(41)))
            #expect(first.reason == .mention && first.count == 2 && first.messageID == sent.id && first.latestSeq == sent.seq)
            #expect(try await m.notifications.record(mention, count: 2, jobID: JobID(41)) == first, "a retried job finds its record")
            #expect(try await m.notifications.record(mention, count: 1, jobID: JobID(42))?.id != first.id, "another job, another record")
            // Offline: recorded once up to its seq; a later offline request covering no more makes none.
            let offline = NotificationRequest(userID: carol.id, conversationID: room.id, reason: .offline, seq: sent.seq, messageID: nil)
            let made = try #require(try await m.notifications.record(offline, count: 1, jobID: JobID(43)))
            #expect(try await m.notifications.record(offline, count: 1, jobID: JobID(43)) == made, "its retry finds it")
            #expect(try await m.notifications.record(offline, count: 1, jobID: JobID(44)) == nil, "covered already")
            // The scan then leaves carol alone (notified up to the seq), but not bob (a mention does not cover the rest).
            _ = try await m.notifications.scan(room.id, through: sent.seq)
            #expect(try await m.notifications.notifications(of: carol.id).notifications.map(\.id) == [made.id])
            // A user who left gets nothing.
            try await m.conversations.leave(room.id, by: carol.id)
            let later = NotificationRequest(userID: carol.id, conversationID: room.id, reason: .mention, seq: sent.seq, messageID: nil)
            #expect(try await m.notifications.record(later, count: 1, jobID: JobID(45)) == nil)
        }
    }

    /// Use cases and NotificationStore: push tokens per device, validated, bounded, moved when another device
    /// registers the same token, removed by device or as invalid; account erasure and conversation deletion
    /// remove what they own.
    public func pushTokens() async throws {
        try await withStores { stores in
            let clock = ManualClock()
            let fixture = UseCaseFixture(messaging: Messaging(store: stores.messaging, clock: clock.wall), clock: clock)
            let m = fixture.messaging
            let (alice, bob) = try await (fixture.user("alice"), fixture.user("bob"))
            let ids = UUIDv7Generator()
            let (phone, tablet) = (DeviceID(ids.next()), DeviceID(ids.next()))
            let apns = String(repeating: "ab", count: 32)
            let saved = try await m.notifications.registerPushToken(apns, platform: .apns, sandbox: true, device: phone, by: alice.id)
            #expect(saved.sandbox && saved.platform == .apns && saved.deviceID == phone && saved.userID == alice.id)
            #expect(try await m.notifications.pushTokens(of: alice.id) == [saved])
            // The device's token is replaced; a second device has its own.
            let fcm = "fcm-token:APA91b_x.y"
            _ = try await m.notifications.registerPushToken(fcm, platform: .fcm, device: phone, by: alice.id)
            _ = try await m.notifications.registerPushToken(apns, platform: .apns, device: tablet, by: alice.id)
            #expect(phone < tablet)
            #expect(try await m.notifications.pushTokens(of: alice.id).map(\.token) == [fcm, apns], "ordered by device id")
            // The same token registered by bob's device moves to it.
            let bobs = DeviceID(ids.next())
            _ = try await m.notifications.registerPushToken(fcm, platform: .fcm, device: bobs, by: bob.id)
            #expect(try await m.notifications.pushTokens(of: alice.id).map(\.token) == [apns])
            #expect(try await m.notifications.pushTokens(of: bob.id).map(\.deviceID) == [bobs])
            // Validation.
            await expectError(.invalidInput) { try await m.notifications.registerPushToken("xyz", platform: .apns, device: phone, by: alice.id) }
            await expectError(.invalidInput) {
                try await m.notifications.registerPushToken(String(repeating: "a", count: 201), platform: .apns, device: phone, by: alice.id)
            }
            await expectError(.invalidInput) { try await m.notifications.registerPushToken("a b", platform: .fcm, device: phone, by: alice.id) }
            await expectError(.invalidInput) { try await m.notifications.registerPushToken("", platform: .fcm, device: phone, by: alice.id) }
            await expectError(.invalidInput) {
                try await m.notifications.registerPushToken("abc", platform: .fcm, sandbox: true, device: phone, by: alice.id)
            }
            // At most 50 devices per user; refreshing one of them is always allowed.
            for index in 0..<(NotificationLimits.maxPushTokensPerUser - 1) {
                _ = try await m.notifications.registerPushToken("t\(index)", platform: .fcm, device: DeviceID(ids.next()), by: bob.id)
            }
            await expectError(.limitExceeded) {
                try await m.notifications.registerPushToken("one-more", platform: .fcm, device: DeviceID(ids.next()), by: bob.id)
            }
            _ = try await m.notifications.registerPushToken("refreshed", platform: .fcm, device: bobs, by: bob.id)
            // Removal by device (idempotent) and as invalid.
            #expect(try await m.notifications.removePushToken(device: tablet, by: bob.id) == false, "bob cannot remove alice's device")
            #expect(try await m.notifications.removePushToken(device: tablet, by: alice.id))
            #expect(try await m.notifications.removePushToken(device: tablet, by: alice.id) == false)
            #expect(try await m.notifications.removeInvalidPushToken("refreshed", platform: .fcm))
            #expect(try await m.notifications.removeInvalidPushToken("refreshed", platform: .fcm) == false)
            #expect(try await !m.notifications.pushTokens(of: bob.id).contains { $0.deviceID == bobs })

            // Store level: states, source keys, erasure, conversation deletion.
            let room = try await m.conversations.create(.group(title: "t", members: [bob.id]), by: alice.id)
            let message = try await m.messages.send(try text("hi", "s1"), to: room.id, by: alice.id).message
            let record = NotificationRecord(
                id: NotificationID(ids.next()), userID: bob.id, conversationID: room.id, reason: .offline, firstSeq: message.seq,
                latestSeq: message.seq, messageID: message.id, count: 1, createdAt: fixture.clock.timestamp, readAt: nil)
            let sameKey = NotificationRecord(
                id: NotificationID(ids.next()), userID: bob.id, conversationID: room.id, reason: .offline, firstSeq: 1, latestSeq: 1,
                messageID: nil, count: 9, createdAt: fixture.clock.timestamp, readAt: nil)
            try await stores.messaging.write { transaction throws in
                #expect(try transaction.insert(record, sourceKey: "k") == record)
                #expect(try transaction.insert(sameKey, sourceKey: "k") == record, "one record per source key")
                #expect(try transaction.notification(sourceKey: "k") == record)
                try transaction.setNotifiedSeq(5, of: bob.id, in: room.id)
                try transaction.setNotifiedSeq(3, of: bob.id, in: room.id)
                #expect(try transaction.notifiedSeq(of: bob.id, in: room.id) == 5, "never lowered")
                let states = try transaction.notificationStates(in: room.id, after: nil, limit: 10)
                #expect(states.map(\.userID) == [alice.id, bob.id].sorted())
                #expect(states.first { $0.userID == bob.id }?.notifiedSeq == 5)
                #expect(try transaction.notificationStates(in: room.id, after: states[0].userID, limit: 10).map(\.userID) == [states[1].userID])
            }
            try await m.conversations.delete(room.id, by: alice.id)
            try await m.conversations.purgeDeleted(room.id)
            try await stores.messaging.read { transaction throws in
                #expect(try transaction.notification(sourceKey: "k") == nil, "a deleted conversation's records go with it")
                #expect(try transaction.notifiedSeq(of: bob.id, in: room.id) == 0)
            }
            _ = try await m.notifications.registerPushToken(apns, platform: .apns, device: phone, by: alice.id)
            try await m.accounts.eraseData(of: alice.id, messages: .tombstone)
            #expect(try await m.notifications.pushTokens(of: alice.id).isEmpty, "an erased account has no push tokens")
        }
    }
}
