import Foundation
import MessagingCore
@testable import MessagingTransport
@testable import MessagingWire
import TestSupport
import Testing

/// Moderation effects on live connections of the gateway: block lists (read at
/// authentication, refreshed on request and on the session feed's notice), bans, slow mode.
@Suite("Gateway: moderation on live connections")
struct GatewayModerationTests {
    @Test("a connection reads its user's block list when it authenticates and follows blockListChanged notices of the session feed, without closing")
    func blockList() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let carol = try await h.user("carol")
            let room = try await h.group(carol, [alice, bob])
            _ = try await h.messaging.blocks.block(bob.id, by: alice.id)
            let a = try await h.connect(as: alice)
            let subscribed = try await a.request(.subscribe(room, after: 0))
            #expect(subscribed["type"]?.string == "ok", "\(subscribed)")
            // Read at authentication: bob's message is withheld at its seq, carol's is whole.
            try await h.sendDirect("secret", to: room, by: bob)
            try await h.sendDirect("open", to: room, by: carol)
            let first = try await a.events(2)
            #expect(first.map { $0["seq"]?.int } == [1, 2])
            #expect(first[0]["message"]?["hidden"]?.bool == true && first[0]["message"]?["text"] == nil)
            #expect(first[1]["message"]?["text"]?.string == "open")
            // An unblock announced on the session feed (another node's change) reaches it; it stays open.
            #expect(try await h.messaging.blocks.unblock(bob.id, by: alice.id))
            await h.events.publish(SessionRevocation(
                sessionID: SessionID(UUIDv7Generator().next()), userID: alice.id, reason: .blockListChanged,
                revokedAt: Timestamp(Date())))
            var whole = false
            for index in 0..<50 where !whole {
                try await h.sendDirect("again \(index)", to: room, by: bob)
                whole = try await a.events(1).first?["message"]?["text"]?.string == "again \(index)"
                if !whole { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(whole, "the notice refreshed the connection's block list")
            // And a direct refresh after a block (what the HTTP route calls on its node).
            _ = try await h.messaging.blocks.block(bob.id, by: alice.id)
            await h.gateway.refreshBlockList(of: alice.id)
            let sent = try await h.sendDirect("hidden again", to: room, by: bob)
            let event = try #require(try await a.events(1).first)
            #expect(event["seq"]?.int == sent.seq && event["message"]?["hidden"]?.bool == true)
            let ping = try await a.request(.history(room, limit: 1))
            #expect(ping["type"]?.string == "ok", "the connection is still open: \(ping)")
            #expect(ping["result"]?["messages"]?.array?.first?["hidden"]?.bool == true, "history withholds too")
        }
    }

    @Test("a ban ends the banned member's subscription with member.banned; a slow-mode send is answered slow_mode with retryAfterMs")
    func banAndSlowMode() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let room = try await h.group(alice, [bob])
            let b = try await h.connect(as: bob)
            _ = try await b.request(.subscribe(room, after: 0))
            _ = try await h.messaging.moderation.setSlowMode(60, of: room, by: alice.id)
            _ = try await b.events(1)
            let first = try await b.request(.send("one", key: "s1", to: room))
            #expect(first["type"]?.string == "ok", "\(first)")
            _ = try await b.events(1)
            let second = try await b.request(.send("two", key: "s2", to: room))
            #expect(second["type"]?.string == "error" && second["code"]?.string == "slow_mode", "\(second)")
            #expect((1...60_000).contains(second["retryAfterMs"]?.int ?? 0), "\(second)")
            _ = try await h.messaging.moderation.ban(bob.id, from: room, reason: "spam", by: alice.id)
            let banned = try #require(try await b.events(1).first)
            #expect(banned["kind"]?.string == "member.banned" && banned["reason"]?.string == "spam")
            try await h.sendDirect("after the ban", to: room, by: alice)
            let ack = try await b.request(.ack(room, seq: 1))
            #expect(ack["code"]?.string == "not_subscribed", "\(ack)")
            let again = try await b.request(.subscribe(room, after: 0))
            #expect(again["code"]?.string == "not_found", "\(again)")
        }
    }
}
