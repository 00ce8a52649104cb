import Benchmark
import MessagingCore
import MessagingPresence
import Synchronization

// Figures and ratios: Documentation/Presence.md#benchmark.
//
// Presence at 100,000 tracked devices, each against its bare-dictionary baseline in the
// same run (names pair up). Every benchmark measures one batch; divide by the batch size
// for the cost of one operation.
//
//   presence.heartbeat.100k          100,000 heartbeats, one per device: the tracker's hot path
//                                    (lock, clock read, dictionary probe; no wheel, no store)
//   baseline.dictionary.100k         the same 100,000 keys: `lastSeen[key] = now` in a bare Dictionary
//   baseline.mutexDictionary.100k    the same behind a Mutex, one acquisition per update (the floor
//                                    for state shared across tasks)
//   presence.heartbeatAndSteps.100k  the same heartbeats plus the 25 one-second expiry steps they
//                                    span (timer re-arms and the lease renewal included)
//
//   presence.sweep.10pct             the expiry step in which 10,000 of 100,000 devices expire at
//                                    once (they connected together at t = 0 and died; the other
//                                    90,000 heartbeat every 25 s at spread-out phases). Grace 0, so
//                                    10,000 users go offline; includes the write-behind to the
//                                    in-memory store and the timers of live devices that came due.
//   presence.sweep.10pct.nullStore  the same step over a store that keeps nothing: the tracker's
//                                    own share, without the write-behind
//   presence.sweep.10pct.sameTick    the worst case: all 100,000 devices connected at the same
//                                    instant, so the 90,000 live devices' timers come due in the
//                                    same step as the 10,000 expiries and are re-armed there.
//   baseline.sweepDictionary.10pct   removing the same 10,000 keys from a 100,000-entry Dictionary,
//                                    their keys already known (the floor of any sweep)
//   baseline.sweepFullScan.10pct     finding and removing them by scanning all 100,000 entries
//                                    (a naive per-tick scan; presence never does this)
//   presence.step.idle.100k          one expiry step with 100,000 devices and nothing due

let deviceCount = 100_000
let expiringCount = deviceCount / 10
let heartbeatSeconds = 25

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

/// 100,000 (user, device) pairs, one device per user. The first 10% are the ones that die.
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

/// A dictionary the benchmark can take out and put back, so updating it never copies it.
final class DictionaryBox: @unchecked Sendable {
    // Unchecked: used by one benchmark task at a time.
    var storage: [DeviceKey: Int64]
    init(_ storage: [DeviceKey: Int64]) { self.storage = storage }
    func take() -> [DeviceKey: Int64] {
        defer { storage = [:] }
        return storage
    }
}

/// 100,000 keys, the first 10% last seen at 0 and the rest at 30 s.
func sweepDictionary() -> [DeviceKey: Int64] {
    var lastSeen: [DeviceKey: Int64] = [:]
    lastSeen.reserveCapacity(deviceCount)
    for (index, key) in keys.enumerated() { lastSeen[key] = index < expiringCount ? 0 : 30_000 }
    return lastSeen
}

let benchmarks: @Sendable () -> Void = {
    let bulk = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 3,
        maxDuration: .seconds(5),
        maxIterations: 200)

    Benchmark("presence.heartbeat.100k", configuration: bulk) { (benchmark, context: (PresenceTracker<BenchClock>, BenchClock)) in
        let (tracker, clock) = context
        clock.advance(by: .seconds(heartbeatSeconds))
        await tracker.step()
        benchmark.startMeasurement()
        for key in keys {
            blackHole(try tracker.heartbeat(user: key.userID, device: key.deviceID))
        }
        benchmark.stopMeasurement()
    } setup: {
        try await populatedTracker()
    }

    Benchmark("presence.heartbeatAndSteps.100k", configuration: bulk) { (benchmark, context: (PresenceTracker<BenchClock>, BenchClock)) in
        let (tracker, clock) = context
        for _ in 0..<heartbeatSeconds {
            clock.advance(by: .seconds(1))
            await tracker.step()
        }
        for key in keys {
            blackHole(try tracker.heartbeat(user: key.userID, device: key.deviceID))
        }
    } setup: {
        try await populatedTracker()
    }

    Benchmark("baseline.dictionary.100k", configuration: bulk) { (benchmark, context: (DictionaryBox, BenchClock)) in
        let (box, clock) = context
        clock.advance(by: .seconds(heartbeatSeconds))
        var lastSeen = box.take()
        benchmark.startMeasurement()
        for key in keys { lastSeen[key] = clock.now.milliseconds }
        benchmark.stopMeasurement()
        box.storage = lastSeen
    } setup: { () -> (DictionaryBox, BenchClock) in
        var lastSeen: [DeviceKey: Int64] = [:]
        for key in keys { lastSeen[key] = 0 }
        return (DictionaryBox(lastSeen), BenchClock())
    }

    Benchmark("baseline.mutexDictionary.100k", configuration: bulk) { (benchmark, context: (Shared, BenchClock)) in
        let (lastSeen, clock) = context
        clock.advance(by: .seconds(heartbeatSeconds))
        benchmark.startMeasurement()
        for key in keys {
            let now = clock.now.milliseconds
            lastSeen.withLock { $0[key] = now }
        }
        benchmark.stopMeasurement()
    } setup: { () -> (Shared, BenchClock) in
        var initial: [DeviceKey: Int64] = [:]
        for key in keys { initial[key] = 0 }
        return (Shared(initial), BenchClock())
    }

    // Each iteration builds its own 100,000-device tracker (unmeasured, ~0.5 s on a quiet machine).
    let sweep = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 1,
        maxDuration: .seconds(60),
        maxIterations: 25)

    let sweepStores: [(String, @Sendable () -> any PresenceStore)] = [
        ("presence.sweep.10pct", { InMemoryPresenceStore() }), ("presence.sweep.10pct.nullStore", { NullStore() }),
    ]
    for (name, makeStore) in sweepStores {
        Benchmark(name, configuration: sweep) { benchmark in
            // Unmeasured: the 10,000 doomed devices connect at t = 0 and never heartbeat again;
            // each of the 90,000 others heartbeats every 25 s at its own phase (index mod 25).
            let clock = BenchClock()
            let tracker = try PresenceTracker(
                configuration: PresenceConfiguration(offlineGracePeriod: .zero), audience: OpenAudience(), store: makeStore(),
                clock: clock)
            for key in keys[..<expiringCount] { try tracker.heartbeat(user: key.userID, device: key.deviceID) }
            for second in 0..<60 {
                for index in stride(from: expiringCount + second % heartbeatSeconds, to: deviceCount, by: heartbeatSeconds) {
                    try tracker.heartbeat(user: keys[index].userID, device: keys[index].deviceID)
                }
                clock.advance(by: .seconds(1))
                if second < 59 { await tracker.step() }
            }
            // Measured: the step at t = 60 s, in which the 10,000 expire together.
            benchmark.startMeasurement()
            let expired = await tracker.step()
            benchmark.stopMeasurement()
            precondition(expired == expiringCount, "expected \(expiringCount) expiries, got \(expired)")
            precondition(tracker.trackedDeviceCount == deviceCount - expiringCount)
        }
    }

    Benchmark("presence.sweep.10pct.sameTick", configuration: sweep) { benchmark in
        // Unmeasured: 100,000 devices connect at t = 0; the 90,000 others heartbeat again at 30 s.
        let (tracker, clock) = try await populatedTracker(grace: .zero)
        clock.advance(by: .seconds(30))
        for key in keys[expiringCount...] { try tracker.heartbeat(user: key.userID, device: key.deviceID) }
        await tracker.step()
        clock.advance(by: .seconds(30))
        // Measured: the step at t = 60 s: 10,000 expire, 90,000 timers re-arm.
        benchmark.startMeasurement()
        let expired = await tracker.step()
        benchmark.stopMeasurement()
        precondition(expired == expiringCount, "expected \(expiringCount) expiries, got \(expired)")
    }

    Benchmark("baseline.sweepDictionary.10pct", configuration: sweep) { benchmark in
        var lastSeen = sweepDictionary()
        let due = keys[..<expiringCount]
        benchmark.startMeasurement()
        for key in due { lastSeen.removeValue(forKey: key) }
        benchmark.stopMeasurement()
        precondition(lastSeen.count == deviceCount - expiringCount)
    }

    Benchmark("baseline.sweepFullScan.10pct", configuration: sweep) { benchmark in
        var lastSeen = sweepDictionary()
        let now: Int64 = 60_000
        benchmark.startMeasurement()
        let due = lastSeen.filter { now - $0.value >= 60_000 }.map(\.key)
        for key in due { lastSeen.removeValue(forKey: key) }
        benchmark.stopMeasurement()
        precondition(lastSeen.count == deviceCount - expiringCount)
    }

    // Fewer iterations than the 120 s maximum TTL, so nothing comes due while it runs.
    let idle = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 3,
        maxDuration: .seconds(5),
        maxIterations: 100)

    Benchmark("presence.step.idle.100k", configuration: idle) { (benchmark, context: (PresenceTracker<BenchClock>, BenchClock)) in
        let (tracker, clock) = context
        clock.advance(by: .seconds(1))
        benchmark.startMeasurement()
        blackHole(await tracker.step())
        benchmark.stopMeasurement()
    } setup: { () -> (PresenceTracker<BenchClock>, BenchClock) in
        let (tracker, clock) = try makeTracker()
        for key in keys { try tracker.heartbeat(user: key.userID, device: key.deviceID, ttl: .seconds(3_600)) }
        await tracker.step()
        return (tracker, clock)
    }
}

/// A store that keeps nothing: isolates the tracker's own share of a sweep from the
/// write-behind (`presence.sweep.10pct.nullStore`).
struct NullStore: PresenceStore {
    func save(_ entries: [DeviceEntry]) async throws {}
    func remove(_ devices: [DeviceKey]) async throws {}
    func renewLease(of node: PresenceNodeID, until expiry: Timestamp) async throws {}
    func devices(of users: [UserID], at now: Timestamp) async throws -> [DeviceEntry] { [] }
    func removeExpired(at now: Timestamp, limit: Int) async throws -> [DeviceEntry] { [] }
    func save(_ records: [PresenceRecord]) async throws {}
    func records(of users: [UserID]) async throws -> [UserID: PresenceRecord] { [:] }
}

/// A dictionary behind a Mutex, for the shared-state baseline.
final class Shared: Sendable {
    private let state: Mutex<[DeviceKey: Int64]>
    init(_ initial: [DeviceKey: Int64]) { state = Mutex(initial) }
    func withLock(_ body: (inout [DeviceKey: Int64]) -> Void) { state.withLock { body(&$0) } }
}
