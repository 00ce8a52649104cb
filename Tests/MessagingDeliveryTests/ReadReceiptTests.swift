import Foundation
import MessagingCore
import MessagingDelivery
import Synchronization
import Testing

@Suite("Read-state coalescing")
struct ReadReceiptTests {
    @Test("many read updates of one member become one write of the highest seq and one broadcast; non-members are rejected")
    func coalesces() async throws {
        let fixture = try DeliveryFixture()
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob", "mallory")
        let room = try await fixture.group(Array(users.prefix(2)))
        for index in 1...5 { try await fixture.send("m\(index)", to: room, by: users[0].id) }
        let broadcasts = Mutex<[[ReadReceipt]]>([])
        let coalescer = ReadReceiptCoalescer(messaging: fixture.messaging, logger: .quiet) { receipts in
            broadcasts.withLock { $0.append(receipts) }
        }
        for seq: Int64 in [2, 4, 3, 1] { coalescer.markRead(room, upTo: seq, by: users[1].id) }
        coalescer.markRead(room, upTo: 5, by: users[2].id)
        let written = await coalescer.flush()
        #expect(written == [ReadReceipt(userID: users[1].id, conversationID: room, readSeq: 4)])
        #expect(broadcasts.withLock { $0 } == [written])
        let unread = try await fixture.messaging.readState.unreadCounts(for: users[1].id)
        #expect(unread.first?.readSeq == 4)
        #expect(await coalescer.flush().isEmpty, "nothing pending, nothing written")
        coalescer.markRead(room, upTo: 3, by: users[1].id)
        #expect(await coalescer.flush().isEmpty, "an older position changes nothing and is not broadcast")
    }

    @Test("recorded read frames: checked and answered at once, written once per member and conversation at the flush; bad ones fail alone and leave nothing pending")
    func recordDefersTheWrite() async throws {
        let fixture = try DeliveryFixture()
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob", "mallory")
        let room = try await fixture.group(Array(users.prefix(2)))
        for index in 1...50 { try await fixture.send("m\(index)", to: room, by: users[0].id) }
        let counting = CountingStore(fixture.store)
        let messaging = Messaging(store: counting, clock: fixture.clock)
        let coalescer = ReadReceiptCoalescer(messaging: messaging, logger: .quiet) { _ in }
        let (alice, bob) = (users[0].id, users[1].id)
        var answers: [Int64] = []
        for seq in Array(Int64(1)...50) + [20, 3] {
            answers.append(try await coalescer.record(room, upTo: seq, by: bob))
        }
        #expect(answers == Array(Int64(1)...50) + [50, 50], "each frame is answered with the position it leaves")
        _ = try await coalescer.record(room, upTo: 7, by: alice)
        await expectCode(.invalidInput) { _ = try await coalescer.record(room, upTo: 51, by: bob) }
        await expectCode(.notFound) { _ = try await coalescer.record(room, upTo: 1, by: users[2].id) }
        #expect(counting.commits == 0, "nothing is written before the flush")
        let written = await coalescer.flush()
        #expect(Set(written) == [
            ReadReceipt(userID: bob, conversationID: room, readSeq: 50),
            ReadReceipt(userID: alice, conversationID: room, readSeq: 7),
        ])
        #expect(counting.commits == 2, "one write per member and conversation")
        let unread = try await fixture.messaging.readState.unreadCounts(for: bob)
        #expect(unread.first?.readSeq == 50)
        #expect(try await coalescer.record(room, upTo: 10, by: bob) == 50, "a lower position answers the stored one")
    }

    private func expectCode(
        _ code: MessagingError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            Issue.record("expected \(code)", sourceLocation: sourceLocation)
        } catch let error as MessagingError {
            #expect(error.code == code, sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }
}

/// A store that counts the write transactions it forwards.
final class CountingStore: MessagingStore {
    let base: any MessagingStore
    private let count = Mutex(0)

    init(_ base: any MessagingStore) { self.base = base }

    var commits: Int { count.withLock { $0 } }

    func read<Result: Sendable>(_ body: @Sendable (any MessagingTransaction) throws -> Result) async throws -> Result {
        try await base.read(body)
    }

    func commit<Result: Sendable>(_ body: @Sendable (any MessagingTransaction) throws -> Result) async throws -> Committed<Result> {
        count.withLock { $0 += 1 }
        return try await base.commit(body)
    }
}
