import Foundation
import MessagingCore
import MessagingDelivery
import Testing

@Suite("Retention sweeper")
struct RetentionSweeperTests {
    let fixture: DeliveryFixture
    init() throws { fixture = try DeliveryFixture() }

    @Test("one sweep job at a time: it deletes in batches, runs again at once while work is left, then waits the interval")
    func sweepsAsJobs() async throws {
        defer { fixture.remove() }
        let (alice, bob) = try await { let users = try await fixture.users("alice", "bob"); return (users[0], users[1]) }()
        let room = try await fixture.group([alice, bob])
        for index in 0..<5 { _ = try await fixture.send("old \(index)", to: room, by: alice.id) }
        fixture.clock.advance(milliseconds: 2 * 86_400_000)
        let recent = try await fixture.send("recent", to: room, by: bob.id)
        try await fixture.messaging.retention.setPolicy(days: 1, of: room, by: alice.id)

        let sweeper = RetentionSweeper(
            retention: fixture.messaging.retention, jobs: fixture.jobs, intervalMilliseconds: 60_000, batchSize: 2,
            wallClock: fixture.clock, logger: .quiet)
        let runner = JobRunner(
            queue: fixture.jobs, handlers: [RetentionSweeper.queue: sweeper.handler],
            configuration: JobRunnerConfiguration(workerName: "test", leaseMilliseconds: 60_000), wallClock: fixture.clock,
            logger: .quiet)
        try await sweeper.schedule(now: fixture.clock.now())
        try await sweeper.schedule(now: fixture.clock.now())  // coalesced: still one job
        #expect(try await fixture.jobs.counts().first { $0.queue == RetentionSweeper.queue }?.waiting == 1)

        // 5 expired messages, 2 per sweep: 3 runs without moving the clock, then nothing is due.
        var runs = 0
        while try await runner.runOnce() > 0 { runs += 1; try #require(runs < 10) }
        #expect(runs == 3)
        let page = try await fixture.messaging.messages.history(of: room, for: bob.id, HistoryRequest(limit: 50))
        #expect(page.messages.filter(\.isDeleted).count == 5)
        #expect(page.messages.first { $0.id == recent.id }?.isDeleted == false)
        let counts = try await fixture.jobs.counts().first { $0.queue == RetentionSweeper.queue }
        #expect(counts?.waiting == 1 && counts?.dead == 0, "the next sweep waits: \(String(describing: counts))")

        // After the interval the next sweep runs (and finds nothing new).
        fixture.clock.advance(milliseconds: 60_000)
        #expect(try await runner.runOnce() == 1)
        #expect(try await runner.runOnce() == 0)
    }
}
