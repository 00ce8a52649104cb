import BenchSupport
import Benchmark
import Foundation
import MessagingCore
import MessagingPersistence

// Concurrent senders (group commit), names by the number of senders N:
//
//   send.concurrent{1,8,64}.ours   N members of one group conversation each send one message
//                                  at the same time through messaging.messages.send; one
//                                  iteration is one such round, timed until the last answer
//
//   send.concurrent64.full.ours    the same with synchronous = FULL (an fsync per commit: the
//                                  setting for commits that survive power loss), against
//                                  send.single.raw.full, the raw one-row rate at FULL
//
// Persisted sends/s = N / round time. The round time bounds every send's latency in it (each
// send is answered before the round ends). report.sh compares the rate with the raw C
// baselines of the same run: send.single.raw (one send per transaction, the raw
// one-row-per-transaction rate) and send.batch100.raw / 100 (the ideal batched rate).

/// A fresh database with one group conversation of `senders` members.
final class ConcurrentSendFixture: @unchecked Sendable {
    // @unchecked: set up in `setup`, then only read by the benchmark closure, which the
    // runner calls from one task at a time; `counter` is only touched by that closure.
    let senderCount: Int
    let synchronous: SQLiteConfiguration.Synchronous
    var directory = ""
    var messaging: Messaging?
    var store: SQLiteMessagingStore?
    var conversationID = ConversationID(UUIDv7(unixMilliseconds: 0, randomA: 0, randomB: 0))
    var senders: [UserID] = []
    var counter = 0

    init(senders: Int, synchronous: SQLiteConfiguration.Synchronous = .normal) {
        senderCount = senders
        self.synchronous = synchronous
    }

    func setUp() async throws {
        directory = try BenchPaths.makeTemporaryDirectory("messaging-send-concurrent")
        var configuration = SQLiteConfiguration()
        configuration.synchronous = synchronous
        let store = try SQLiteMessagingStore(path: "\(directory)/messages.sqlite", configuration: configuration)
        let messaging = Messaging(store: store)
        var users: [UserID] = []
        for index in 0..<senderCount {
            users.append(try await messaging.users.register(handle: "sender\(index)", displayName: "Sender \(index)").id)
        }
        let room = try await messaging.conversations.create(
            .group(title: "Concurrent", members: Array(users.dropFirst())), by: users[0])
        conversationID = room.id
        senders = users
        counter = 0
        self.store = store
        self.messaging = messaging
    }

    func tearDown() {
        messaging = nil
        store = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The drafts of the next round, one per sender.
    func nextRound() throws -> [MessageDraft] {
        try senders.indices.map { _ in
            counter += 1
            return try MessageDraft(text: bodies[counter % bodies.count], clientMessageID: ClientMessageID("c-\(counter)"))
        }
    }
}

func registerConcurrentSendBenchmarks(_ configuration: Benchmark.Configuration) {
    for (senders, synchronous) in [(1, .normal), (8, .normal), (64, .normal), (64, .full)] as [(Int, SQLiteConfiguration.Synchronous)] {
        let fixture = ConcurrentSendFixture(senders: senders, synchronous: synchronous)
        let name = synchronous == .full ? "send.concurrent\(senders).full.ours" : "send.concurrent\(senders).ours"
        Benchmark(name, configuration: configuration) { benchmark in
            let messaging = fixture.messaging!
            let room = fixture.conversationID
            let users = fixture.senders
            for _ in benchmark.scaledIterations {
                let drafts = try fixture.nextRound()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (user, draft) in zip(users, drafts) {
                        group.addTask { blackHole(try await messaging.messages.send(draft, to: room, by: user)) }
                    }
                    try await group.waitForAll()
                }
            }
        } setup: {
            try await fixture.setUp()
        } teardown: {
            fixture.tearDown()
        }
    }
}
