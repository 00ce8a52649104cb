import Foundation
import GRDB
import MessagingCore
import MessagingPersistence
import Testing

/// What only the SQLite queue shows: its state in the file across a reopen, its migration.
/// The queue's behaviour is the store contract's (`SQLiteStoreContractTests`, MessagingPersistenceTests).
@Suite("SQLite job queue")
struct JobQueueTests {
    let fixture: DeliveryFixture
    init() throws { fixture = try DeliveryFixture() }

    func job(_ text: String = "x", queue: String = "q", key: String? = nil, delay: Int64 = 0, maxAttempts: Int = 3) -> NewJob {
        NewJob(queue: queue, payload: Array(text.utf8), coalescingKey: key, delayMilliseconds: delay, maxAttempts: maxAttempts)
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

    @Test("the v2-delivery migration is recorded beside the other migrations")
    func migration() async throws {
        defer { fixture.remove() }
        let identifiers = try await DatabaseQueue(path: fixture.databasePath).read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
        }
        #expect(identifiers.contains("v1-core") && identifiers.contains("v2-delivery"))
    }
}
