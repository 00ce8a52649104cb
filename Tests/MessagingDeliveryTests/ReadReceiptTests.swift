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
}
