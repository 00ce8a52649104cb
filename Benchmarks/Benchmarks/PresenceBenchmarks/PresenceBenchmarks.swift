import Benchmark
import MessagingCore
import MessagingPresence
import Synchronization

// Presence at 100,000 tracked devices, each against its bare-dictionary baseline in the
// same run (names pair up):
//
//   presence.heartbeat.100k        100,000 heartbeats, one per device (the tracker's hot path:
//                                  lock, clock read, dictionary probe, timing-wheel append)
//   baseline.dictionary.100k       the same 100,000 keys: `lastSeen[key] = now` in a bare Dictionary
//   baseline.mutexDictionary.100k  the same, one Mutex acquisition per update (the floor for
//                                  anything shared across tasks)
//   presence.heartbeatAndSteps.100k  heartbeats plus the 25 expiry steps of the simulated 25 s
//                                  (which drain the stale timers those heartbeats left behind)
//
//   presence.sweep.10pct           one expiry step in which 10,000 of the 100,000 devices expire
//                                  (grace 0, so 10,000 users go offline; includes the write-behind
//                                  to the in-memory store)
//   baseline.sweepDictionary.10pct removing the same 10,000 keys from a 100,000-entry Dictionary
//                                  when their keys are already known (the floor of any sweep)
//   baseline.sweepFullScan.10pct   finding and removing them by scanning all 100,000 entries
//                                  (what a naive per-tick scan costs; presence never does this)
//   presence.step.idle.100k        one expiry step with 100,000 devices and nothing due
//
// Each iteration simulates 25 s (the default heartbeat interval): every device heartbeats once.

let deviceCount = 100_000
let expiringCount = deviceCount / 10

/// A clock benchmarks move by hand; nothing sleeps on it.
final class BenchClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var milliseconds: Int64
        func advanced(by duration: Duration) -> Instant { Instant(milliseconds: milliseconds + ms(duration)) }
        func duration(to other: Instant) -> Duration { .milliseconds(other.milliseconds - milliseconds) }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.milliseconds < rhs.milliseconds }
    }

    private let current = Atomic<Int64>(0)
    var now: Instant { Instant(milliseconds: current.load(ordering: .relaxed)) }
    var minimumResolution: Duration { .milliseconds(1) }

    func advance(by duration: Duration) { current.add(ms(duration), ordering: .relaxed) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        throw CancellationError()  // benchmarks drive step() themselves
    }
}

func ms(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
}

/// Everyone may see everyone; no benchmark here checks visibility.
struct OpenAudience: PresenceAudience {
    func sharesConversation(_ user: UserID, _ other: UserID) async throws -> Bool { true }
    func isMember(_ user: UserID, of conversation: ConversationID) async throws -> Bool { true }
    func members(of conversation: ConversationID) async throws -> [UserID] { [] }
}

/// 100,000 (user, device) pairs, one device per user.
let keys: [DeviceKey] = {
    let ids = UUIDv7Generator()
    return (0..<deviceCount).map { _ in DeviceKey(userID: ids.next(), deviceID: ids.next()) }
}()

func makeTracker(grace: Duration = .seconds(10)) throws -> (PresenceTracker<BenchClock>, BenchClock) {
    let clock = BenchClock()
    let tracker = try PresenceTracker(
        configuration: PresenceConfiguration(offlineGracePeriod: grace), audience: OpenAudience(), clock: clock)
    return (tracker, clock)
}

/// A tracker whose 100,000 devices are all online, first step done (store written).
func populatedTracker(grace: Duration = .seconds(10)) async throws -> (PresenceTracker<BenchClock>, BenchClock) {
    let (tracker, clock) = try makeTracker(grace: grace)
    for key in keys { try tracker.heartbeat(user: key.userID, device: key.deviceID) }
    await tracker.step()
    return (tracker, clock)
}

let benchmarks: @Sendable () -> Void = {
    let bulk = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .milliseconds,
        warmupIterations: 3,
        maxDuration: .seconds(5),
        maxIterations: 200)

    Benchmark("presence.heartbeat.100k", configuration: bulk) { benchmark, context in
        let (tracker, clock) = context
        clock.advance(by: .seconds(25))
        await tracker.step()
        benchmark.startMeasurement()
        for key in keys {
            blackHole(try tracker.heartbeat(user: key.userID, device: key.deviceID))
        }
        benchmark.stopMeasurement()
    } setup: {
        try await populatedTracker()
    }

    Benchmark("presence.heartbeatAndSteps.100k", configuration: bulk) { benchmark, context in
        let (tracker, clock) = context
        for _ in 0..<25 {
            clock.advance(by: .seconds(1))
            await tracker.step()
        }
        for key in keys {
            blackHole(try tracker.heartbeat(user: key.userID, device: key.deviceID))
        }
    } setup: {
        try await populatedTracker()
    }

    Benchmark("baseline.dictionary.100k", configuration: bulk) { benchmark, context in
        let clock = context.1
        var lastSeen = context.0
        clock.advance(by: .seconds(25))
        let now = clock.now.milliseconds
        benchmark.startMeasurement()
        for key in keys { lastSeen[key] = now }
        benchmark.stopMeasurement()
        blackHole(lastSeen.count)
    } setup: {
        var lastSeen: [DeviceKey: Int64] = [:]
        for key in keys { lastSeen[key] = 0 }
        return (lastSeen, BenchClock())
    }

    Benchmark("baseline.mutexDictionary.100k", configuration: bulk) { benchmark, context in
        let (lastSeen, clock) = context
        clock.advance(by: .seconds(25))
        benchmark.startMeasurement()
        for key in keys {
            let now = clock.now.milliseconds
            lastSeen.withLock { $0[key] = now }
        }
        benchmark.stopMeasurement()
    } setup: {
        var initial: [DeviceKey: Int64] = [:]
        for key in keys { initial[key] = 0 }
        return (Shared(initial), BenchClock())
    }

    let sweep = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        maxDuration: .seconds(10),
        maxIterations: 20)

    Benchmark("presence.sweep.10pct", configuration: sweep) { benchmark in
        // Unmeasured: 100,000 devices heartbeat at t = 0, the 90,000 others again at t = 30 s.
        let (tracker, clock) = try await populatedTracker(grace: .zero)
        clock.advance(by: .seconds(30))
        for key in keys[expiringCount...] { try tracker.heartbeat(user: key.userID, device: key.deviceID) }
        await tracker.step()
        clock.advance(by: .seconds(30))
        // Measured: the one step at t = 60 s in which the first 10,000 expire.
        benchmark.startMeasurement()
        let expired = await tracker.step()
        benchmark.stopMeasurement()
        precondition(expired == expiringCount, "expected \(expiringCount) expiries, got \(expired)")
        blackHole(tracker)
    }

    Benchmark("baseline.sweepDictionary.10pct", configuration: sweep) { benchmark in
        var lastSeen: [DeviceKey: Int64] = [:]
        for (index, key) in keys.enumerated() { lastSeen[key] = index < expiringCount ? 0 : 30_000 }
        let due = keys[..<expiringCount]
        benchmark.startMeasurement()
        for key in due { lastSeen.removeValue(forKey: key) }
        benchmark.stopMeasurement()
        precondition(lastSeen.count == deviceCount - expiringCount)
    }

    Benchmark("baseline.sweepFullScan.10pct", configuration: sweep) { benchmark in
        var lastSeen: [DeviceKey: Int64] = [:]
        for (index, key) in keys.enumerated() { lastSeen[key] = index < expiringCount ? 0 : 30_000 }
        benchmark.startMeasurement()
        let now: Int64 = 60_000
        let due = lastSeen.filter { now - $0.value >= 60_000 }.map(\.key)
        for key in due { lastSeen.removeValue(forKey: key) }
        benchmark.stopMeasurement()
        precondition(lastSeen.count == deviceCount - expiringCount)
    }

    Benchmark("presence.step.idle.100k", configuration: bulk) { benchmark, context in
        let (tracker, clock) = context
        clock.advance(by: .seconds(1))
        benchmark.startMeasurement()
        blackHole(await tracker.step())
        benchmark.stopMeasurement()
    } setup: {
        // Heartbeats far in the future: nothing comes due while the benchmark runs.
        let (tracker, clock) = try makeTracker()
        for key in keys { try tracker.heartbeat(user: key.userID, device: key.deviceID, ttl: .seconds(3_600)) }
        await tracker.step()
        return (tracker, clock)
    }
}

/// A dictionary behind a Mutex, for the shared-state baseline.
final class Shared: Sendable {
    private let state: Mutex<[DeviceKey: Int64]>
    init(_ initial: [DeviceKey: Int64]) { state = Mutex(initial) }
    func withLock(_ body: (inout [DeviceKey: Int64]) -> Void) { state.withLock { body(&$0) } }
}
