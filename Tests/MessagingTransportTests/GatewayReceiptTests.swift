import Foundation
import MessagingCore
@testable import MessagingTransport
@testable import MessagingWire
import TestSupport
import Testing

/// Read receipts and delivered positions over the realtime connection (Protocol.md §3 `receipts`, §4 `receipt`).
@Suite("Gateway: read receipts and delivered positions")
struct GatewayReceiptTests {
    /// Reads frames for `wait`, then up to a `pong`; returns the `receipt` frames seen.
    static func receipts(_ client: TestClient, for wait: Duration) async throws -> [JSONValue] {
        try await Task.sleep(for: wait)
        try await client.send(.ping)
        var receipts: [JSONValue] = []
        while let frame = try await client.next() {
            if frame["type"]?.string == "pong" { return receipts }
            if frame["type"]?.string == "receipt" { receipts.append(frame) }
        }
        return receipts
    }

    @Test("read frames reach the conversation's subscribers as receipt frames, coalesced per window, the reader's other devices too; a member who hides receipts sends none")
    func live() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let carol = try await h.user("carol")
            let phone = try await h.login("bob", bob.id)
            let room = try await h.group(alice, [bob, carol])
            for text in ["one", "two", "three"] { try await h.sendDirect(text, to: room, by: alice) }
            let last = try await h.messaging.conversations.conversation(room, for: alice.id).lastSeq
            try await h.messaging.users.updateSettings(UserSettings(hidesReadReceipts: true), of: carol.id)
            let (a, b, bobsPhone, c) = (
                try await h.connect(as: alice), try await h.connect(as: bob), try await h.connect(as: phone), try await h.connect(as: carol)
            )
            for client in [a, b, bobsPhone, c] {
                let answer = try await client.request(.subscribe(room, after: last))
                #expect(answer["type"]?.string == "ok", "\(answer)")
            }
            // A burst of reads: one receipt per window at most, and only for a position that
            // moved (three positions here, so at most three receipts, ascending, whatever the
            // windows), the highest last.
            for seq in [last - 2, last - 1, last, last - 1, last, last - 2, last, last, last - 1, last] {
                let read = try await b.request(.read(room, seq: seq))
                #expect(read["type"]?.string == "ok", "\(read)")
            }
            for client in [a, bobsPhone, c] {
                let seen = try await Self.receipts(client, for: .milliseconds(700))
                #expect((1...3).contains(seen.count), "coalesced: \(seen)")
                let positions = seen.compactMap { $0["readSeq"]?.int }
                #expect(positions == positions.sorted() && Set(positions).count == positions.count, "ascending, no repeat: \(positions)")
                #expect(seen.allSatisfy { $0["user"]?.string == "\(bob.id)" && $0["conversation"]?.string == "\(room)" })
                #expect(seen.last?["readSeq"]?.int == last)
            }
            // Carol hides hers: nobody hears of them.
            _ = try await c.request(.read(room, seq: last))
            #expect(try await Self.receipts(a, for: .milliseconds(700)).isEmpty, "a hidden read position is never sent")
            #expect(try await h.messaging.readState.receipts(in: room, for: carol.id).first { $0.userID == carol.id }?.readSeq == last,
                    "but it was written")
        }
    }

    @Test("receipts: each member's read position (none for one who hides it, except to themselves) and delivered position from acks; members only")
    func query() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let carol = try await h.user("carol")
            let outsider = try await h.user("outsider")
            let room = try await h.group(alice, [bob, carol])
            for text in ["one", "two"] { try await h.sendDirect(text, to: room, by: alice) }
            let last = try await h.messaging.conversations.conversation(room, for: alice.id).lastSeq
            try await h.messaging.users.updateSettings(UserSettings(hidesReadReceipts: true), of: carol.id)
            _ = try await h.messaging.readState.markRead(room, upTo: last, by: carol.id)
            _ = try await h.messaging.readState.markRead(room, upTo: last - 1, by: bob.id)
            let b = try await h.connect(as: bob)
            _ = try await b.request(.subscribe(room, after: 0))
            _ = try await b.events(Int(last))
            let acked = try await b.request(.ack(room, seq: last))
            #expect(acked["result"]?["seq"]?.int == last, "\(acked)")
            try await h.acks.flush()

            let a = try await h.connect(as: alice)
            let answer = try await a.request(.receipts(of: room))
            let list = try #require(answer["result"]?["receipts"]?.array, "\(answer)")
            let byUser = Dictionary(uniqueKeysWithValues: list.map { ($0["user"]?.string ?? "", $0) })
            #expect(byUser["\(bob.id)"]?["readSeq"]?.int == last - 1)
            #expect(byUser["\(bob.id)"]?["deliveredSeq"]?.int == last, "bob's device acknowledged everything")
            #expect(byUser["\(carol.id)"]?["readSeq"] == nil, "carol hides her read position: \(byUser["\(carol.id)"] ?? .null)")
            #expect(byUser["\(carol.id)"]?["deliveredSeq"]?.int == 0)
            #expect(byUser["\(alice.id)"] != nil && byUser.count == 3)

            let c = try await h.connect(as: carol)
            let own = try await c.request(.receipts(of: room))
            let mine = own["result"]?["receipts"]?.array?.first { $0["user"]?.string == "\(carol.id)" }
            #expect(mine?["readSeq"]?.int == last, "her own position is hers to see")

            let page = try await a.request(.receipts(of: room, limit: 1))
            #expect(page["result"]?["receipts"]?.array?.count == 1)
            let badLimit = try await a.request(["type": "receipts", "conversation": "\(room)", "limit": 0])
            #expect(badLimit["code"]?.string == "invalid_input", "\(badLimit)")
            let o = try await h.connect(as: outsider)
            let refused = try await o.request(.receipts(of: room))
            #expect(refused["code"]?.string == "not_found", "\(refused)")
        }
    }
}
