import Foundation
import GRDB
import MessagingCore
import MessagingPersistence
import Testing

@Suite("SQLite job queue")
struct JobQueueTests {
    let fixture: DeliveryFixture
    init() throws { fixture = try DeliveryFixture() }

    func job(_ text: String = "x", queue: String = "q", key: String? = nil, delay: Int64 = 0, maxAttempts: Int = 3) -> NewJob {
        NewJob(queue: queue, payload: Array(text.utf8), coalescingKey: key, delayMilliseconds: delay, maxAttempts: maxAttempts)
    }

    @Test("a claimed job is leased to one worker until the lease expires; the expired lease can no longer complete it")
    func leases() async throws {
        defer { fixture.remove() }
        let now = fixture.clock.now()
        try await fixture.jobs.enqueue(job(), at: now)
        let first = try await fixture.jobs.claim(from: ["q"], owner: "w1", limit: 10, leaseMilliseconds: 1000, now: now)
        #expect(first.count == 1)
        #expect(first[0].attempt == 1)
        #expect(try await fixture.jobs.claim(from: ["q"], owner: "w2", limit: 10, leaseMilliseconds: 1000, now: now.adding(milliseconds: 999)).isEmpty)
        let second = try await fixture.jobs.claim(from: ["q"], owner: "w2", limit: 10, leaseMilliseconds: 1000, now: now.adding(milliseconds: 1000))
        #expect(second.count == 1)
        #expect(second[0].attempt == 2, "a crash never resets the attempt counter")
        #expect(second[0].lease.token != first[0].lease.token)
        #expect(try await fixture.jobs.complete(first[0].lease) == false, "the expired lease lost the job")
        #expect(try await fixture.jobs.complete(second[0].lease) == true)
        #expect(try await fixture.jobs.counts().isEmpty)
    }

    @Test("attempts and run-at survive reopening the database: a restart never retries early")
    func persistedAcrossReopen() async throws {
        defer { fixture.remove() }
        let now = fixture.clock.now()
        try await fixture.jobs.enqueue(job(maxAttempts: 5), at: now)
        let claimed = try await fixture.jobs.claim(from: ["q"], owner: "w", limit: 1, leaseMilliseconds: 100, now: now)
        #expect(try await fixture.jobs.retry(claimed[0].lease, error: "boom", at: now.adding(milliseconds: 5000), now: now))
        let reopened = SQLiteJobQueue(store: try SQLiteMessagingStore(path: fixture.databasePath, logger: .quiet))
        #expect(try await reopened.claim(from: ["q"], owner: "w", limit: 1, leaseMilliseconds: 100, now: now.adding(milliseconds: 4999)).isEmpty)
        let again = try await reopened.claim(from: ["q"], owner: "w", limit: 1, leaseMilliseconds: 100, now: now.adding(milliseconds: 5000))
        #expect(again.map(\.attempt) == [2])
    }

    @Test("the last attempt's expired lease sends the job to the dead-letter queue, with its error and timestamps")
    func crashOnLastAttempt() async throws {
        defer { fixture.remove() }
        let now = fixture.clock.now()
        try await fixture.jobs.enqueue(job(maxAttempts: 2), at: now)
        var time = now
        for attempt in 1...2 {
            let claimed = try await fixture.jobs.claim(from: ["q"], owner: "w", limit: 1, leaseMilliseconds: 100, now: time)
            #expect(claimed.map(\.attempt) == [attempt])
            if attempt == 1 { _ = try await fixture.jobs.retry(claimed[0].lease, error: "first failure", at: time, now: time) }
            time = time.adding(milliseconds: 100)  // the second lease expires (worker crashed)
        }
        #expect(try await fixture.jobs.claim(from: ["q"], owner: "w", limit: 1, leaseMilliseconds: 100, now: time).isEmpty)
        let dead = try await fixture.jobs.deadJobs(in: nil, after: nil, limit: 10)
        #expect(dead.count == 1)
        #expect(dead.first?.attempts == 2)
        #expect(dead.first?.lastError.contains("lease of the last attempt expired") == true)
        #expect(dead.first?.lastError.contains("first failure") == true)
        #expect(dead.first?.failedAt == time)
        #expect(dead.first?.createdAt == now)
    }

    @Test("dead-letter queue: list, show, replay exactly once, purge")
    func deadLetterQueue() async throws {
        defer { fixture.remove() }
        let now = fixture.clock.now()
        try await fixture.jobs.enqueue(job("poison", maxAttempts: 1), at: now)
        let claimed = try await fixture.jobs.claim(from: ["q"], owner: "w", limit: 1, leaseMilliseconds: 100, now: now)
        #expect(try await fixture.jobs.deadLetter(claimed[0].lease, error: "bad payload", now: now))
        let id = claimed[0].id
        #expect(try await fixture.jobs.deadJob(id: id)?.lastError == "bad payload")
        #expect(try await fixture.jobs.deadJobs(in: "other", after: nil, limit: 10).isEmpty)
        let replayID = try await fixture.jobs.replayDeadJob(id: id, now: now)
        #expect(replayID != id)
        do {
            _ = try await fixture.jobs.replayDeadJob(id: id, now: now)
            Issue.record("a second replay must fail")
        } catch let error as MessagingError {
            #expect(error.code == .conflict)
        }
        #expect(try await fixture.jobs.deadJob(id: id)?.replayJobID == replayID)
        let replayed = try await fixture.jobs.claim(from: ["q"], owner: "w", limit: 10, leaseMilliseconds: 100, now: now)
        #expect(replayed.map(\.id) == [replayID])
        #expect(replayed.first?.attempt == 1)
        #expect(replayed.first?.payload == Array("poison".utf8))
        #expect(try await fixture.jobs.purgeDeadJobs(ids: [id], failedBefore: nil) == 1)
        #expect(try await fixture.jobs.deadJob(id: id) == nil)
        do {
            _ = try await fixture.jobs.replayDeadJob(id: JobID(999), now: now)
            Issue.record("replaying an unknown job must fail")
        } catch let error as MessagingError {
            #expect(error.code == .notFound)
        }
    }

    @Test("records with one coalescing key merge while the job waits; a started job no longer absorbs")
    func coalescing() async throws {
        defer { fixture.remove() }
        let now = fixture.clock.now()
        #expect(try await fixture.jobs.enqueue(job("1", key: "k", delay: 100), at: now))
        #expect(try await fixture.jobs.enqueue(job("2", key: "k", delay: 100), at: now.adding(milliseconds: 50)) == false)
        #expect(try await fixture.jobs.enqueue(job("3", key: "k", delay: 100), at: now.adding(milliseconds: 90)) == false)
        #expect(try await fixture.jobs.claim(from: ["q"], owner: "w", limit: 5, leaseMilliseconds: 100, now: now.adding(milliseconds: 99)).isEmpty,
                "the window starts at the first record")
        let claimed = try await fixture.jobs.claim(from: ["q"], owner: "w", limit: 5, leaseMilliseconds: 100, now: now.adding(milliseconds: 100))
        #expect(claimed.count == 1)
        #expect(claimed.first?.payload == Array("3".utf8))
        #expect(claimed.first?.coalescedCount == 2)
        #expect(try await fixture.jobs.enqueue(job("4", key: "k", delay: 0), at: now.adding(milliseconds: 100)), "a running job does not absorb")
    }

    @Test("release gives the attempt back and makes the job claimable at once")
    func release() async throws {
        defer { fixture.remove() }
        let now = fixture.clock.now()
        try await fixture.jobs.enqueue(job(), at: now)
        let claimed = try await fixture.jobs.claim(from: ["q"], owner: "w", limit: 1, leaseMilliseconds: 10_000, now: now)
        #expect(try await fixture.jobs.release(claimed[0].lease, now: now))
        let again = try await fixture.jobs.claim(from: ["q"], owner: "w", limit: 1, leaseMilliseconds: 10_000, now: now)
        #expect(again.map(\.attempt) == [1])
    }

    @Test("claims take only the named queues, oldest due first, up to the limit")
    func claimOrder() async throws {
        defer { fixture.remove() }
        let now = fixture.clock.now()
        for index in 0..<5 { try await fixture.jobs.enqueue(job("\(index)", delay: Int64(10 - index)), at: now) }
        try await fixture.jobs.enqueue(job("other", queue: "other"), at: now)
        let claimed = try await fixture.jobs.claim(from: ["q"], owner: "w", limit: 3, leaseMilliseconds: 100, now: now.adding(milliseconds: 100))
        #expect(claimed.count == 3)
        #expect(Set(claimed.map { String(decoding: $0.payload, as: UTF8.self) }) == ["4", "3", "2"])
        let counts = try await fixture.jobs.counts()
        #expect(counts.first { $0.queue == "q" }?.leased == 3)
        #expect(counts.first { $0.queue == "q" }?.waiting == 2)
        #expect(counts.first { $0.queue == "other" }?.waiting == 1)
    }

    @Test("the v2-delivery migration is recorded beside the other migrations")
    func migration() async throws {
        defer { fixture.remove() }
        let identifiers = try await DatabaseQueue(path: fixture.databasePath).read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
        }
        #expect(identifiers.contains("v1-core") && identifiers.contains("v2-delivery"))
    }
}
