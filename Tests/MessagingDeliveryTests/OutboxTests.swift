import Foundation
import MessagingCore
import MessagingPersistence
import Testing

@Suite("Outbox: jobs commit with the domain change")
struct OutboxTests {
    let fixture: DeliveryFixture
    init() throws { fixture = try DeliveryFixture() }

    struct Rollback: Error {}

    /// Every waiting notification job, decoded.
    func notificationJobs() async throws -> [(NotificationRequest, coalesced: Int)] {
        let claimed = try await fixture.jobs.claim(
            from: [NotificationRequest.queue], owner: "inspect", limit: 1000, leaseMilliseconds: 1,
            now: fixture.clock.now().adding(milliseconds: 3_600_000))
        for job in claimed { _ = try await fixture.jobs.release(job.lease, now: fixture.clock.now()) }
        return try claimed.map { (try NotificationRequest(payload: $0.payload), $0.coalescedCount) }
    }

    @Test("a job enqueued in a transaction that rolls back does not exist; one that commits does")
    func transactionAtomicity() async throws {
        defer { fixture.remove() }
        let now = fixture.clock.now()
        let job = NewJob(queue: "q", payload: [1])
        await #expect(throws: Rollback.self) {
            try await fixture.store.write { transaction in
                try transaction.enqueue(job, at: now)
                throw Rollback()
            }
        }
        #expect(try await fixture.jobs.counts().isEmpty)
        _ = try await fixture.store.write { transaction in try transaction.enqueue(job, at: now) }
        #expect(try await fixture.jobs.counts().first?.waiting == 1)
    }

    @Test("a message with mentions has one notification job per mentioned member (never the sender); a repeat adds none")
    func mentionsEnqueueJobs() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob", "carol", "dave")
        let room = try await fixture.group(users)
        let message = try await fixture.send(
            "hi @bob @carol", to: room, by: users[0].id, mentions: [users[1].id, users[2].id, users[0].id], key: "k1")
        _ = try await fixture.send("hi @bob @carol", to: room, by: users[0].id, mentions: [users[1].id, users[2].id, users[0].id], key: "k1")
        try await fixture.send("no mentions", to: room, by: users[0].id)
        let jobs = try await notificationJobs()
        #expect(Set(jobs.map(\.0.userID)) == [users[1].id, users[2].id])
        #expect(jobs.allSatisfy { $0.0.messageID == message.id && $0.0.seq == message.seq && $0.0.reason == .mention })
        #expect(jobs.allSatisfy { $0.coalesced == 0 })
    }

    @Test("mentions of one user in one conversation within the window coalesce into one job with the latest seq")
    func mentionsCoalesce() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        var last: Message?
        for index in 0..<5 { last = try await fixture.send("@bob \(index)", to: room, by: users[0].id, mentions: [users[1].id]) }
        let jobs = try await notificationJobs()
        #expect(jobs.count == 1)
        #expect(jobs.first?.0.seq == last?.seq)
        #expect(jobs.first?.coalesced == 4)
    }

    @Test("a batch that fails stores no message and no job; committed messages always have their jobs and jobs only name committed messages")
    func failedBatch() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let other = try await fixture.group([users[1], users[0]])
        let elsewhere = try await fixture.send("elsewhere", to: other, by: users[1].id)
        let good = try MessageDraft(text: "@bob ok", clientMessageID: ClientMessageID("a"), mentions: [users[1].id])
        let bad = try MessageDraft(text: "@bob bad", clientMessageID: ClientMessageID("b"), replyTo: elsewhere.id, mentions: [users[1].id])
        await #expect(throws: MessagingError.self) {
            _ = try await fixture.messaging.messages.send([good, bad], to: room, by: users[0].id)
        }
        #expect(try await fixture.messaging.messages.history(of: room, for: users[0].id).messages.isEmpty)
        #expect(try await notificationJobs().isEmpty)

        let sent = try await fixture.messaging.messages.send([good], to: room, by: users[0].id)
        let jobs = try await notificationJobs()
        #expect(jobs.map(\.0.messageID) == [sent[0].message.id])
        for (request, _) in jobs {
            let stored = try await fixture.messaging.messages.history(of: request.conversationID, for: request.userID)
            #expect(stored.messages.contains { $0.id == request.messageID }, "the job names a committed message")
        }
    }
}
