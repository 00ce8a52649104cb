import Foundation
import MessagingAuth
import MessagingCore
@testable import MessagingTransport
@testable import MessagingWire
import TestSupport
import Testing

/// One session's requests never change what another receives, and a session loses what its
/// rights no longer cover at once (issue #13, part A: items 1, 2 and 4).
@Suite("Gateway: isolation between sessions and live rights")
struct GatewayIsolationTests {
    @Test("subscribe with an `after` beyond the log's end is invalid_input, even Int64.max; a sweep afterwards does not trap")
    func afterBeyondTheLog() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let room = try await h.group(alice, [])
            try await h.sendDirect("one", to: room, by: alice)
            let client = try await h.connect(as: alice)
            let first = try await client.request(.subscribe(room, after: 0))
            #expect(first["type"]?.string == "ok")
            for after in [Int64(2), 5, Int64.max] {
                let answer = try await client.request(.subscribe(room, after: after))
                #expect(answer["code"]?.string == "invalid_input", "after \(after): \(answer)")
                #expect(answer["message"]?.string?.contains("last seq 1") == true, "\(answer)")
            }
            // The hub's housekeeping once trapped here (`floor + 1` with floor = Int64.max).
            h.hub.sweep()
            h.hub.sweep()
            h.hub.sweep()
            await h.acks.tick()
            // The connection still works; the refused re-subscribe left it unsubscribed, and
            // subscribing within the log works.
            let again = try await client.request(.subscribe(room, after: 1))
            #expect(again["type"]?.string == "ok")
            #expect(again["result"]?["seq"]?.int == 1)
        }
    }

    @Test("one member's subscribe past the end and its acks change nothing for the other members")
    func oneMemberCannotDisconnectTheRoom() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let room = try await h.group(alice, [bob])
            let last = try await h.sendDirect("one", to: room, by: alice).seq
            let bobClient = try await h.connect(as: bob)
            #expect(try await bobClient.request(.subscribe(room, after: 0))["type"]?.string == "ok")
            #expect(try await bobClient.events(1).first?["seq"]?.int == last)

            let mallory = try await h.connect(as: alice)
            let refused = try await mallory.request(.subscribe(room, after: last + 4))
            #expect(refused["code"]?.string == "invalid_input")
            // Two sweeps once skipped the room to mallory's floor and closed bob with 4410.
            h.hub.sweep()
            h.hub.sweep()
            h.hub.sweep()
            #expect(try await mallory.request(.subscribe(room, after: last))["type"]?.string == "ok")
            let ack = try await mallory.request(.ack(room, seq: last + 4))
            #expect(ack["code"]?.string == "invalid_ack", "\(ack)")
            h.hub.sweep()
            h.hub.sweep()
            try await h.sendDirect("two", to: room, by: alice)
            let live = try await bobClient.events(1)
            #expect(live.first?["seq"]?.int == last + 1)
            #expect(bobClient.connection.closeStatus == nil)
            // Mallory, subscribed within the log, gets the live event too.
            #expect(try await mallory.events(1).first?["seq"]?.int == last + 1)
        }
    }

    @Test("a removed member and a member who leaves get their member.left event and nothing after it")
    func removalEndsTheLiveFeed() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let carol = try await h.user("carol")
            let room = try await h.group(alice, [bob, carol])
            let bobClient = try await h.connect(as: bob)
            let carolClient = try await h.connect(as: carol)
            let aliceClient = try await h.connect(as: alice)
            for client in [bobClient, carolClient, aliceClient] {
                #expect(try await client.request(.subscribe(room, after: 0))["type"]?.string == "ok")
            }
            try await h.sendDirect("before", to: room, by: alice)
            for client in [bobClient, carolClient, aliceClient] { _ = try await client.events(1) }

            try await h.messaging.conversations.removeMember(bob.id, from: room, by: alice.id)
            try await h.messaging.conversations.leave(room, by: carol.id)
            let left = try await bobClient.events(1)
            #expect(left.first?["kind"]?.string == "member.left")
            #expect(left.first?["user"]?.string == "\(bob.id)")
            let carolLeft = try await carolClient.events(2)
            #expect(carolLeft.map { $0["kind"]?.string } == ["member.left", "member.left"])

            try await h.sendDirect("after", to: room, by: alice)
            _ = try await h.messaging.conversations.update(room, with: ConversationChanges(title: "renamed"), by: alice.id)
            // Alice, still a member, sees the removals, the message and the rename.
            let aliceEvents = try await aliceClient.events(4)
            #expect(aliceEvents.map { $0["kind"]?.string } == ["member.left", "member.left", "message.created", "conversation.updated"])
            // Bob and Carol see nothing more: a ping round trip shows their queues are empty.
            for client in [bobClient, carolClient] {
                let beforePong = try await client.roundTrip()
                #expect(!beforePong.contains { $0["type"]?.string == "event" }, "\(beforePong)")
                let more = try? await client.next(timeout: .milliseconds(300))
                #expect(more == nil || more?["type"]?.string != "event", "\(String(describing: more))")
                // Their subscription is gone: acks are not_subscribed, a new subscribe not_found.
                let ack = try await client.request(.ack(room, seq: 1))
                #expect(ack["code"]?.string == "not_subscribed")
                let again = try await client.request(.subscribe(room, after: 0))
                #expect(again["code"]?.string == "not_found")
            }
        }
    }

    @Test("an expired access token closes its live connection with 4401")
    func expiryClosesTheConnection() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let client = try await h.connect(as: alice)
            _ = try await client.roundTrip()
            let principal = try await h.tokens.verify(alice.token)
            let remaining = principal.expiresAt.millisecondsSince1970 - h.tokenClock.now().millisecondsSince1970
            h.tokenClock.advance(milliseconds: remaining + 1)
            let (close, _) = try await client.closed(timeout: .seconds(3))
            #expect(close?.code == .unauthorized)
            #expect(close?.reason.contains("expired") == true)
        }
    }

    @Test("a fresh token of the same session renews the connection past the old expiry; another session's token does not")
    func inBandRenewal() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let client = try await h.connect(as: alice)
            let old = try await h.tokens.verify(alice.token)
            // Half the lifetime later, the client refreshes and hands the new token over.
            let lifetime = old.expiresAt.millisecondsSince1970 - old.issuedAt.millisecondsSince1970
            h.tokenClock.advance(milliseconds: lifetime / 2)
            let pair = try await h.auth.refresh(encoded: alice.refreshToken)
            let renewed = try await client.request(.auth(token: pair.accessToken.compact))
            #expect(renewed["type"]?.string == "ok", "\(renewed)")
            let fresh = try await h.tokens.verify(pair.accessToken.compact)
            #expect(renewed["result"]?["expiresAt"]?.int == fresh.expiresAt.millisecondsSince1970)
            #expect(fresh.expiresAt > old.expiresAt)
            // Another session of the same user cannot take the connection over.
            let phone = try await h.login("alice", alice.id)
            let foreign = try await client.request(.auth(token: phone.token))
            #expect(foreign["code"]?.string == "already_authenticated", "\(foreign)")
            // Past the first token's expiry the connection still works...
            h.tokenClock.advance(milliseconds: lifetime / 2 + 1000)
            try await Task.sleep(for: .milliseconds(100))
            _ = try await client.roundTrip()
            // ...and it closes at the renewed token's expiry.
            h.tokenClock.advance(milliseconds: lifetime)
            let (close, _) = try await client.closed(timeout: .seconds(3))
            #expect(close?.code == .unauthorized)
        }
    }

    @Test("disabling an account closes its live connections with 4403")
    func disabledAccountClosesTheConnection() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let client = try await h.connect(as: alice)
            _ = try await client.roundTrip()
            let admin = AuthenticatedPrincipal(
                userID: UserID(UUIDv7Generator().next()), sessionID: SessionID(UUIDv7Generator().next()),
                roles: [.admin], issuedAt: h.tokenClock.now(), expiresAt: h.tokenClock.now())
            try await h.auth.setDisabled(true, account: alice.id, by: admin)
            let (close, _) = try await client.closed(timeout: .seconds(3))
            #expect(close?.code == .forbidden)
        }
    }
    @Test("another user naming my device id cannot move where I resume; a saved cursor past the end resumes at the end")
    func cursorsBelongToTheirUser() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let room = try await h.group(alice, [bob])
            for text in ["one", "two", "three"] { try await h.sendDirect(text, to: room, by: alice) }
            let device = DeviceID(UUIDv7Generator().next())
            func connect(_ user: TestUser) async throws -> TestClient {
                let client = try h.connect()
                let ready = try await client.request(.auth(token: user.token, device: device))
                #expect(ready["type"]?.string == "ready")
                return client
            }
            let a = try await connect(alice)
            #expect(try await a.request(.subscribe(room, after: 0))["type"]?.string == "ok")
            _ = try await a.events(3)
            #expect(try await a.request(.ack(room, seq: 1))["result"]?["seq"]?.int == 1)
            try await h.acks.flush()
            await a.close()

            let b = try await connect(bob)
            #expect(try await b.request(.subscribe(room, after: 0))["type"]?.string == "ok")
            _ = try await b.events(3)
            #expect(try await b.request(.ack(room, seq: 3))["type"]?.string == "ok")
            try await h.acks.flush()

            // Alice resumes from her own cursor (1): seqs 2 and 3 again.
            let again = try await connect(alice)
            let resumed = try await again.request(.subscribe(room, after: nil))
            #expect(resumed["type"]?.string == "ok")
            #expect(try await again.events(2).map { $0["seq"]?.int } == [2, 3])

            // A cursor stored past the log's end (a restored database, or saved before `after`
            // was bounded) resumes at the end instead of refusing the device for good.
            try await h.store.save(
                [AckCursor(deviceID: device, userID: alice.id, conversationID: room, ackedSeq: 99)],
                at: h.tokenClock.now())
            let later = try await connect(alice)
            let atEnd = try await later.request(.subscribe(room, after: nil))
            #expect(atEnd["result"]?["seq"]?.int == 3, "\(atEnd)")
        }
    }
    @Test("acking each event of a 1,100-event replay under the default rate limits is not limited (issue #13, item 10)")
    func ackingEveryEventIsNotRateLimited() async throws {
        var configuration = GatewayConfiguration.testing
        configuration.rateLimits = .default
        // Room for the acks a client sends while its replay is streamed (a socket's buffers).
        try await Harness.with(configuration: configuration, transport: .init(bufferCapacity: 4096)) { h in
            let alice = try await h.user("alice")
            let room = try await h.group(alice, [])
            for index in 0..<1100 { try await h.sendDirect("m\(index)", to: room, by: alice) }
            let client = try await h.connect(as: alice)
            try await client.send(["type": "subscribe", "id": "s", "conversation": "\(room)", "after": 0])
            var acked: Int64 = 0
            var limited = 0
            while acked < 1100 {
                guard let frame = try await client.next() else {
                    Issue.record("closed after ack \(acked): \(String(describing: client.connection.closeStatus))")
                    return
                }
                if frame["code"]?.string == "rate_limited" { limited += 1 }
                guard frame["type"]?.string == "event", let seq = frame["event"]?["seq"]?.int else { continue }
                try await client.send(.ack(room, seq: seq))
                acked = seq
            }
            let last = try await client.request(.ack(room, seq: 1100))
            #expect(last["result"]?["seq"]?.int == 1100, "\(last)")
            #expect(limited == 0)
            #expect(client.connection.closeStatus == nil)
        }
    }
}

extension TestClient {
    /// Sends `ping` and reads until its `pong` (which carries no `id`); returns the frames
    /// read before it.
    func roundTrip() async throws -> [JSONValue] {
        try await send(.ping)
        var before: [JSONValue] = []
        while let frame = try await next() {
            if frame["type"]?.string == "pong" { return before }
            before.append(frame)
        }
        throw TimedOut(what: "a pong (closed: \(String(describing: connection.closeStatus)))")
    }
}
