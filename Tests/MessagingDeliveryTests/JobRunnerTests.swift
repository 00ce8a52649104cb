import Foundation
import MessagingCore
import MessagingDelivery
import ServiceLifecycle
import Synchronization
import Testing

struct PoisonError: Error, CustomStringConvertible {
    var description: String { "poison: the handler always fails" }
}

@Suite("Job runner")
struct JobRunnerTests {
    let fixture: DeliveryFixture
    init() throws { fixture = try DeliveryFixture() }

    func runner(
        _ handler: @escaping JobHandler, concurrency: Int = 4, backoff: Backoff = .init(), random: any RandomSource = SystemRandomSource(),
        grace: Duration = .seconds(10), poll: Duration = .milliseconds(10)
    ) -> JobRunner {
        JobRunner(
            queue: fixture.jobs, handlers: ["q": handler],
            configuration: JobRunnerConfiguration(
                workerName: "test", concurrency: concurrency, leaseMilliseconds: 60_000, pollInterval: poll, backoff: backoff,
                shutdownGracePeriod: grace),
            wallClock: fixture.clock, random: random, logger: .quiet)
    }

    @Test("a poison job lands in the DLQ after exactly max attempts, every delay inside its jitter bound; a replay runs once")
    func poisonJob() async throws {
        defer { fixture.remove() }
        let calls = Mutex<[Timestamp]>([])
        let poisoned = Mutex(true)
        let random = RecordingRandom(fraction: nil)
        let clock = fixture.clock
        let runner = runner({ _ in
            calls.withLock { $0.append(clock.now()) }
            if poisoned.withLock({ $0 }) { throw PoisonError() }
        }, backoff: Backoff(baseMilliseconds: 100, capMilliseconds: 500), random: random)
        try await fixture.jobs.enqueue(NewJob(queue: "q", payload: [1], maxAttempts: 5), at: fixture.clock.now())
        var steps = 0
        while try await fixture.jobs.deadJobs(in: "q", after: nil, limit: 1).isEmpty, steps < 5_000 {
            if try await runner.runOnce() == 0 { fixture.clock.advance(milliseconds: 1) }
            steps += 1
        }
        let times = calls.withLock { $0 }
        #expect(times.count == 5, "exactly maxAttempts attempts")
        #expect(random.bounds == [100, 200, 400, 500], "bounds min(cap, base × 2^(n-1)) for the 4 retries")
        for index in 0..<4 {
            let gap = times[index + 1].millisecondsSince1970 - times[index].millisecondsSince1970
            #expect(gap == Int64(random.draws[index]), "retry \(index + 1) ran exactly at its persisted run-at")
            #expect((0...Int64(random.bounds[index])).contains(gap), "retry \(index + 1) inside its jitter bound")
        }
        let dead = try #require(try await fixture.jobs.deadJobs(in: "q", after: nil, limit: 10).first)
        #expect(dead.attempts == 5)
        #expect(dead.maxAttempts == 5)
        #expect(dead.lastError == "poison: the handler always fails")
        #expect(dead.lastAttemptAt == times.last)

        poisoned.withLock { $0 = false }
        _ = try await fixture.jobs.replayDeadJob(id: dead.id, now: fixture.clock.now())
        #expect(try await runner.runOnce() == 1)
        #expect(try await runner.runOnce() == 0)
        fixture.clock.advance(milliseconds: 600_000)
        #expect(try await runner.runOnce() == 0, "the replayed job ran once and is gone")
        #expect(calls.withLock { $0.count } == 6)
        await #expect(throws: MessagingError.self) { try await fixture.jobs.replayDeadJob(id: dead.id, now: fixture.clock.now()) }
    }

    @Test("run() never exceeds its concurrency and runs every job once")
    func boundedConcurrency() async throws {
        defer { fixture.remove() }
        let state = Mutex<(running: Int, peak: Int, done: [JobID])>((0, 0, []))
        let runner = runner({ job in
            state.withLock {
                $0.running += 1
                $0.peak = max($0.peak, $0.running)
            }
            try await Task.sleep(for: .milliseconds(5))
            state.withLock {
                $0.running -= 1
                $0.done.append(job.id)
            }
        }, concurrency: 3)
        for index in 0..<20 {
            try await fixture.jobs.enqueue(NewJob(queue: "q", payload: [UInt8(index)]), at: fixture.clock.now())
        }
        let group = ServiceGroup(configuration: .init(services: [.init(service: runner)], logger: .quiet))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now + .seconds(20)
            while state.withLock({ $0.done.count }) < 20, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let final = state.withLock { $0 }
        #expect(Set(final.done).count == 20)
        #expect(final.done.count == 20)
        #expect(final.peak <= 3)
        #expect(try await fixture.jobs.counts().isEmpty)
    }

    @Test("graceful shutdown: a job that finishes within the grace period completes; one that does not is released")
    func gracefulShutdown() async throws {
        defer { fixture.remove() }
        let started = Mutex<Set<UInt8>>([])
        let runner = runner({ job in
            started.withLock { _ = $0.insert(job.payload[0]) }
            try await Task.sleep(for: job.payload[0] == 0 ? .milliseconds(50) : .seconds(30))
        }, concurrency: 2, grace: .milliseconds(300))
        try await fixture.jobs.enqueue(NewJob(queue: "q", payload: [0]), at: fixture.clock.now())
        try await fixture.jobs.enqueue(NewJob(queue: "q", payload: [1]), at: fixture.clock.now())
        let group = ServiceGroup(configuration: .init(services: [.init(service: runner)], logger: .quiet))
        let began = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while started.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(5)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(ContinuousClock.now - began < .seconds(10), "the stuck job did not hold up shutdown past the grace period")
        let left = try await fixture.jobs.claim(from: ["q"], owner: "after", limit: 10, leaseMilliseconds: 10, now: fixture.clock.now())
        #expect(left.map { $0.payload[0] } == [1], "the finished job completed; the stuck one was released")
        #expect(left.first?.attempt == 1, "a released attempt does not count")
    }

    @Test("graceful shutdown of a saturated runner whose every job is stuck ends after the grace period and releases the leases")
    func saturatedShutdown() async throws {
        defer { fixture.remove() }
        let started = Mutex(0)
        let runner = runner({ _ in
            started.withLock { $0 += 1 }
            try await Task.sleep(for: .seconds(60))
        }, concurrency: 1, grace: .milliseconds(200), poll: .seconds(30))
        try await fixture.jobs.enqueue(NewJob(queue: "q", payload: [7]), at: fixture.clock.now())
        let group = ServiceGroup(configuration: .init(services: [.init(service: runner)], logger: .quiet))
        let began = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while started.withLock({ $0 }) < 1 { try await Task.sleep(for: .milliseconds(5)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(ContinuousClock.now - began < .seconds(10))
        let left = try await fixture.jobs.claim(from: ["q"], owner: "after", limit: 10, leaseMilliseconds: 10, now: fixture.clock.now())
        #expect(left.map(\.attempt) == [1], "released, and the attempt did not count")
    }
}
