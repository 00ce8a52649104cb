import Benchmark
import Foundation
import Logging
import MessagingCore
import MessagingDelivery
import MessagingPersistence
import Synchronization

// In-process fanout in isolation: one publisher, N sessions in one room, each iteration
// publishes one event (256 bytes, encoded once) and every session drains its queue.
// Measured two ways in the same run (names pair up by N):
//
//   fanout.hub.n<N>    FanoutHub.publish + OutboundSession.drain for N sessions
//   fanout.bare.n<N>   baseline: append the same bytes to N arrays, then empty them
//
// One iteration = N deliveries: deliveries/s = N × throughput, allocations per delivery =
// mallocCountTotal / N. Target: hub ≤ 3× bare, and 0 allocations per recipient.

let sizes = [10, 1_000, 10_000, 100_000]
let frameSize = 256

/// A room with `count` joined sessions (one member, `count` devices), built once per size.
final class FanoutContext: Sendable {
    let hub: FanoutHub
    let conversation: ConversationID
    let sessions: [OutboundSession]
    let bytes: [UInt8]
    private let seq = Atomic<Int64>(0)

    init(count: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fanout-bench-\(UUID().uuidString)")
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let store = try SQLiteMessagingStore(path: directory.appendingPathComponent("bench.sqlite").path, logger: logger)
        let messaging = Messaging(store: store)
        let user = try await messaging.users.register(handle: "reader", displayName: "Reader")
        conversation = try await messaging.conversations.create(.group(title: "bench", members: []), by: user.id).id
        hub = FanoutHub(messaging: messaging, logger: logger)
        let ids = UUIDv7Generator()
        var sessions: [OutboundSession] = []
        sessions.reserveCapacity(count)
        for index in 0..<count {
            let session = OutboundSession(id: SessionID(UInt64(index)), userID: user.id, deviceID: DeviceID(ids.next()))
            try await hub.join(session, to: conversation, after: 0)
            sessions.append(session)
        }
        self.sessions = sessions
        bytes = (0..<frameSize).map { UInt8(truncatingIfNeeded: $0) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Publishes the next event and drains every session; returns the bytes seen (checked).
    @inline(never)
    func publishAndDrain() -> Int {
        let next = seq.add(1, ordering: .relaxed).newValue
        hub.publish(EncodedEvent(conversationID: conversation, seq: next, bytes: bytes))
        var seen = 0
        for session in sessions {
            session.drain { seen &+= $0.bytes.count }
        }
        return seen
    }
}

/// The physical baseline: N arrays receiving the same (shared) bytes, then emptied.
final class BareContext: @unchecked Sendable {
    // @unchecked: used by one benchmark at a time, sequentially.
    var queues: [[[UInt8]]]
    let bytes: [UInt8]

    init(count: Int) {
        queues = Array(repeating: [], count: count)
        for index in queues.indices { queues[index].reserveCapacity(8) }
        bytes = (0..<frameSize).map { UInt8(truncatingIfNeeded: $0) }
    }

    @inline(never)
    func appendAndDrain() -> Int {
        for index in queues.indices { queues[index].append(bytes) }
        var seen = 0
        for index in queues.indices {
            for frame in queues[index] { seen &+= frame.count }
            queues[index].removeAll(keepingCapacity: true)
        }
        return seen
    }
}

let contexts = Mutex<[Int: FanoutContext]>([:])

func context(_ count: Int) async throws -> FanoutContext {
    if let existing = contexts.withLock({ $0[count] }) { return existing }
    let made = try await FanoutContext(count: count)
    contexts.withLock { $0[count] = made }
    return made
}

let benchmarks: @Sendable () -> Void = {
    for count in sizes {
        let configuration = Benchmark.Configuration(
            metrics: [.wallClock, .throughput, .mallocCountTotal],
            timeUnits: .microseconds,
            warmupIterations: 3,
            maxDuration: .seconds(3),
            maxIterations: count >= 100_000 ? 200 : 20_000)

        Benchmark("fanout.hub.n\(count)", configuration: configuration) { benchmark in
            let context = try await context(count)
            precondition(context.publishAndDrain() == count * frameSize, "every session got the event once")
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(context.publishAndDrain())
            }
            benchmark.stopMeasurement()
        }

        Benchmark("fanout.bare.n\(count)", configuration: configuration) { benchmark in
            let bare = BareContext(count: count)
            precondition(bare.appendAndDrain() == count * frameSize)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(bare.appendAndDrain())
            }
            benchmark.stopMeasurement()
        }
    }
}
