import BenchSupport
import Benchmark
import Foundation
import MessagingCore
import MessagingPersistence

// Persisted sends, each benchmark on a fresh database (our schema, WAL, synchronous=NORMAL)
// in a temporary directory, names paired by shape:
//
//   send.single.ours        messaging.messages.send(draft, to:, by:), one message per transaction
//   send.single.raw         the same statements through the SQLite C API in one BEGIN IMMEDIATE … COMMIT
//   send.batch100.ours      messaging.messages.send([100 drafts], to:, by:), one transaction per batch
//   send.batch100.raw       the same statements for 100 messages in one raw C transaction
//   send.single.raw.full    send.single.raw with synchronous = FULL (an fsync per commit)
//   send.single.rawFloor    one bare raw C INSERT INTO messages per (autocommit) transaction
//   send.single.encrypted   an end-to-end encrypted send (EncryptedSend.swift)
//   send.single.verifyRaw   one bare Ed25519 verification, its cryptographic floor
//   send.concurrent{1,8,64}.ours  N senders sending at once (ConcurrentSend.swift)
//
// Batch benchmarks time one batch per iteration; divide by 100 for the time per message
// (report.sh does).

let batchSize = 100

let bodies = [
    "Morning! Is the deploy still planned for today?",
    "Yes, after the review meeting at 11.",
    "I pushed the fix for the login redirect; CI is green on the branch.",
    "Thanks, merging it now.",
    "Can someone look at the latency graph? p99 went up around 14:05.",
    "That lines up with the cache invalidation job, I'll move it to off-peak hours.",
    "ok",
    "Lunch?",
    "Customer says the export hangs on files over 2 GB, reproducible on staging too.",
    "Let's pair on it after standup. Bring the logs from yesterday's run if you still have them.",
    "👍",
    "Release branch is cut: 4.12.0-rc1. Please only land fixes there from now on.",
    "Retry with exponential backoff and jitter should be enough, we don't need a queue for this.",
    "Meeting notes are in the doc, action items at the bottom.",
    "Could you review my PR before the end of day? It's small.",
    "See you tomorrow!",
]

/// A fresh database for one benchmark, with a group conversation of two users.
final class SendFixture: @unchecked Sendable {
    // @unchecked: set up in `setup`, then used only by the benchmark closure of the same
    // benchmark, which the runner calls from one task at a time.
    var directory = ""
    var store: SQLiteMessagingStore?
    var messaging: Messaging?
    var raw: RawSender?
    var conversationID = ConversationID(UUIDv7(unixMilliseconds: 0, randomA: 0, randomB: 0))
    var senderID = UserID(UUIDv7(unixMilliseconds: 0, randomA: 0, randomB: 0))
    var counter = 0

    /// Makes the database through the use cases; with `raw`, then closes the store and
    /// opens a raw connection with the store's pragmas instead.
    func setUp(raw: Bool, synchronous: String = "NORMAL") async throws {
        directory = try BenchPaths.makeTemporaryDirectory("messaging-send")
        let path = "\(directory)/messages.sqlite"
        let store = try SQLiteMessagingStore(path: path)
        let messaging = Messaging(store: store)
        let alice = try await messaging.users.register(handle: "alice", displayName: "Alice")
        let bob = try await messaging.users.register(handle: "bob", displayName: "Bob")
        let room = try await messaging.conversations.create(.group(title: "Bench", members: [bob.id]), by: alice.id)
        conversationID = room.id
        senderID = alice.id
        counter = 0
        if raw {
            let database = try RawDatabase(path: path)
            try database.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = \(synchronous);")
            self.raw = try RawSender(database: database)
        } else {
            self.store = store
            self.messaging = messaging
        }
    }

    func tearDown() {
        raw = nil
        messaging = nil
        store = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The next client message id and body.
    func next() -> (text: String, clientMessageID: String) {
        counter += 1
        return (bodies[counter % bodies.count], "c-\(counter)")
    }
}

let benchmarks: @Sendable () -> Void = {
    let single = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        units: [.mallocCountTotal: .count],
        warmupIterations: 50,
        maxDuration: .seconds(5),
        maxIterations: 20_000)
    let batch = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        units: [.mallocCountTotal: .count],
        warmupIterations: 3,
        maxDuration: .seconds(5),
        maxIterations: 400)

    registerEncryptedSendBenchmarks(single)
    registerConcurrentSendBenchmarks(Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        units: [.mallocCountTotal: .count],
        warmupIterations: 5,
        maxDuration: .seconds(5),
        maxIterations: 2_000))

    do {
        let fixture = SendFixture()
        Benchmark("send.single.ours", configuration: single) { benchmark in
            let messaging = fixture.messaging!
            for _ in benchmark.scaledIterations {
                let next = fixture.next()
                let draft = try MessageDraft(text: next.text, clientMessageID: ClientMessageID(next.clientMessageID))
                blackHole(try await messaging.messages.send(draft, to: fixture.conversationID, by: fixture.senderID))
            }
        } setup: {
            try await fixture.setUp(raw: false)
        } teardown: {
            fixture.tearDown()
        }
    }

    do {
        let fixture = SendFixture()
        Benchmark("send.single.raw", configuration: single) { benchmark in
            let raw = fixture.raw!
            for _ in benchmark.scaledIterations {
                blackHole(try raw.send([fixture.next()], to: fixture.conversationID.uuid, by: fixture.senderID.uuid))
            }
        } setup: {
            try await fixture.setUp(raw: true)
        } teardown: {
            fixture.tearDown()
        }
    }

    do {
        let fixture = SendFixture()
        Benchmark("send.single.raw.full", configuration: single) { benchmark in
            let raw = fixture.raw!
            for _ in benchmark.scaledIterations {
                blackHole(try raw.send([fixture.next()], to: fixture.conversationID.uuid, by: fixture.senderID.uuid))
            }
        } setup: {
            try await fixture.setUp(raw: true, synchronous: "FULL")
        } teardown: {
            fixture.tearDown()
        }
    }

    do {
        let fixture = SendFixture()
        Benchmark("send.batch100.ours", configuration: batch) { benchmark in
            let messaging = fixture.messaging!
            for _ in benchmark.scaledIterations {
                let drafts = try (0..<batchSize).map { _ in
                    let next = fixture.next()
                    return try MessageDraft(text: next.text, clientMessageID: ClientMessageID(next.clientMessageID))
                }
                blackHole(try await messaging.messages.send(drafts, to: fixture.conversationID, by: fixture.senderID))
            }
        } setup: {
            try await fixture.setUp(raw: false)
        } teardown: {
            fixture.tearDown()
        }
    }

    do {
        let fixture = SendFixture()
        Benchmark("send.batch100.raw", configuration: batch) { benchmark in
            let raw = fixture.raw!
            for _ in benchmark.scaledIterations {
                let messages = (0..<batchSize).map { _ in fixture.next() }
                blackHole(try raw.send(messages, to: fixture.conversationID.uuid, by: fixture.senderID.uuid))
            }
        } setup: {
            try await fixture.setUp(raw: true)
        } teardown: {
            fixture.tearDown()
        }
    }

    do {
        let fixture = SendFixture()
        Benchmark("send.single.rawFloor", configuration: single) { benchmark in
            let raw = fixture.raw!
            for _ in benchmark.scaledIterations {
                let next = fixture.next()
                try raw.bareInsert(
                    next.text, clientMessageID: next.clientMessageID, seq: Int64(fixture.counter),
                    to: fixture.conversationID.uuid, by: fixture.senderID.uuid)
            }
        } setup: {
            try await fixture.setUp(raw: true)
        } teardown: {
            fixture.tearDown()
        }
    }
}
