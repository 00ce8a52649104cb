import Foundation
import MessagingCore
import MessagingWire
import TestSupport
import Testing

/// Moderation through a real ChatServer: kicks and bans (with a live socket), blocks (with a
/// live socket), slow mode over HTTP and realtime, mutes, pins.
@Suite("ChatServer: moderation (kicks, bans, blocks, slow mode, mutes, pins)", .timeLimit(.minutes(3)))
struct ModerationRoutesTests {
    static func events(_ room: String, as user: Login, client: HTTPClient) async throws -> [[String: Any]] {
        let answer = try await client.call("GET", "/v1/conversations/\(room)/events?after=0&limit=500", token: user.token)
        try #require(answer.status == 200, "\(answer)")
        return answer["events"] as? [[String: Any]] ?? []
    }

    @Test("a kick records its reason; a ban ends the banned member's live subscription at once and keeps them out until unbanned")
    func kickAndBan() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            let carol = try await http.user("carol")
            let room = try await http.group(by: alice, members: [bob, carol])
            let kicked = try await http.call(
                "POST", "/v1/conversations/\(room)/members/\(carol.id)/kick", token: alice.token, json: ["reason": "off topic"])
            #expect(kicked.status == 204, "\(kicked)")
            let left = try #require(try await Self.events(room, as: alice, client: http).last)
            #expect(left["kind"] as? String == "member.left")
            #expect(left["reason"] as? String == "off topic" && left["removedBy"] as? String == alice.id)
            let tooLong = try await http.call(
                "POST", "/v1/conversations/\(room)/members/\(bob.id)/kick", token: alice.token,
                json: ["reason": String(repeating: "x", count: 501)])
            #expect(tooLong.status == 400 && tooLong.errorCode == "invalid_input", "\(tooLong)")

            try await http.send("before", to: room, as: alice)
            let seen = try await Peer.with(server, token: bob.token) { b in
                _ = try await b.ready()
                _ = try await b.request(.subscribe(typed(room), after: 0))
                let last = try #require(try await Self.events(room, as: alice, client: http).last?["seq"] as? Int)
                try await b.event(room, seq: Int64(last))
                let banned = try await http.call("PUT", "/v1/conversations/\(room)/bans/\(bob.id)", token: alice.token, json: ["reason": "spam"])
                #expect(banned.status == 200, "\(banned)")
                #expect((banned["ban"] as? [String: Any])?["reason"] as? String == "spam")
                let event = try await b.event(room, seq: Int64(last + 1))
                #expect(event["kind"] as? String == "member.banned")
                #expect(event["user"] as? String == bob.id && event["reason"] as? String == "spam")
                for index in 1...3 { try await http.send("after \(index)", to: room, as: alice) }
                try await Task.sleep(for: .milliseconds(300))
                let again = try await b.request(.subscribe(typed(room), after: 0))
                #expect(again.code == "not_found")
                return (b.seqs(in: room), Int64(last + 1))
            }
            #expect(seen.value.0.last == seen.value.1, "nothing after bob's own member.banned: \(seen.value.0)")

            let readd = try await http.call("POST", "/v1/conversations/\(room)/members", token: alice.token, json: ["user": bob.id])
            #expect(readd.status == 403 && readd.errorCode == "banned", "\(readd)")
            let bans = try await http.call("GET", "/v1/conversations/\(room)/bans", token: alice.token)
            #expect((bans["bans"] as? [[String: Any]])?.map { $0["user"] as? String } == [bob.id])
            let unbanned = try await http.call("DELETE", "/v1/conversations/\(room)/bans/\(bob.id)", token: alice.token)
            #expect(unbanned.status == 204)
            #expect(try await Self.events(room, as: alice, client: http).last?["kind"] as? String == "member.unbanned")
            let added = try await http.call("POST", "/v1/conversations/\(room)/members", token: alice.token, json: ["user": bob.id])
            #expect(added.status == 201, "\(added)")
        }
    }

    @Test("blocks: list, block, unblock over HTTP; no direct conversation; a live blocker gets the blocked user's messages withheld at their seq")
    func blocks() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            let carol = try await http.user("carol")
            let room = try await http.group(by: carol, members: [alice, bob])
            let result = try await Peer.with(server, token: alice.token) { a in
                _ = try await a.ready()
                _ = try await a.request(.subscribe(typed(room), after: 0))
                let blocked = try await http.call("PUT", "/v1/blocks/\(bob.id)", token: alice.token)
                #expect(blocked.status == 200, "\(blocked)")
                #expect((blocked["block"] as? [String: Any])?["user"] as? String == bob.id)
                let list = try await http.call("GET", "/v1/blocks", token: alice.token)
                #expect((list["blocks"] as? [[String: Any]])?.map { $0["user"] as? String } == [bob.id])
                for (from, to) in [(alice, bob), (bob, alice)] {
                    let direct = try await http.call(
                        "POST", "/v1/conversations", token: from.token, json: ["kind": "direct", "members": [to.id]])
                    #expect(direct.status == 403 && direct.errorCode == "blocked", "\(direct)")
                }
                let hidden = try #require(try await http.send("secret", to: room, as: bob)["seq"] as? Int)
                let shown = try #require(try await http.send("visible", to: room, as: carol)["seq"] as? Int)
                let withheld = try await a.event(room, seq: Int64(hidden))
                #expect(withheld["kind"] as? String == "message.created")
                #expect(withheld.message["hidden"] as? Bool == true && withheld.message["text"] == nil)
                #expect(withheld.message["sender"] as? String == bob.id)
                #expect(try await a.event(room, seq: Int64(shown)).message["text"] as? String == "visible")
                // Realtime send by the blocked user: same withholding.
                let viaRealtime = try await Peer.with(server, token: bob.token) { b in
                    _ = try await b.ready()
                    let sent = try await b.request(.send("again", key: "rt-1", to: typed(room)))
                    return sent.result.message.int("seq") ?? 0
                }
                #expect(try await a.event(room, seq: viaRealtime.value).message["hidden"] as? Bool == true)
                let history = try await http.call("GET", "/v1/conversations/\(room)/messages", token: alice.token)
                let mine = (history["messages"] as? [[String: Any]] ?? []).first { ($0["seq"] as? Int) == hidden }
                #expect(mine?["hidden"] as? Bool == true && mine?["text"] == nil)
                let carols = try await http.call("GET", "/v1/conversations/\(room)/messages", token: carol.token)
                #expect((carols["messages"] as? [[String: Any]] ?? []).first { ($0["seq"] as? Int) == hidden }?["text"] as? String == "secret")
                // Unblock: the live connection gets bob's next message whole.
                let unblocked = try await http.call("DELETE", "/v1/blocks/\(bob.id)", token: alice.token)
                #expect(unblocked.status == 204)
                let after = try #require(try await http.send("hello again", to: room, as: bob)["seq"] as? Int)
                #expect(try await a.event(room, seq: Int64(after)).message["text"] as? String == "hello again")
                return a.keptSeqs(in: room)
            }
            #expect(result.value == Array(1...result.value.count).map(Int64.init), "gapless for the blocker: \(result.value)")
            let direct = try await http.call("POST", "/v1/conversations", token: alice.token, json: ["kind": "direct", "members": [bob.id]])
            #expect(direct.status == 201, "\(direct)")
            let me = try await http.call("PUT", "/v1/blocks/\(alice.id)", token: alice.token)
            #expect(me.status == 400, "\(me)")
        }
    }

    @Test("slow mode: a member's second send is refused with 429 slow_mode and Retry-After over HTTP, and an error frame with retryAfterMs over realtime")
    func slowMode() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            let room = try await http.group(by: alice, members: [bob])
            let refused = try await http.call("PUT", "/v1/conversations/\(room)/slow-mode", token: bob.token, json: ["seconds": 30])
            #expect(refused.status == 403, "\(refused)")
            let outOfRange = try await http.call("PUT", "/v1/conversations/\(room)/slow-mode", token: alice.token, json: ["seconds": 21_601])
            #expect(outOfRange.status == 400, "\(outOfRange)")
            let set = try await http.call("PUT", "/v1/conversations/\(room)/slow-mode", token: alice.token, json: ["seconds": 30])
            #expect(set.status == 200 && (set["conversation"] as? [String: Any])?["slowModeSeconds"] as? Int == 30, "\(set)")
            #expect(try await Self.events(room, as: bob, client: http).last?["kind"] as? String == "conversation.slow_mode")
            try await http.send("first", to: room, as: bob)
            let second = try await http.call(
                "POST", "/v1/conversations/\(room)/messages", token: bob.token, json: ["clientMessageId": "two", "body": "second"])
            #expect(second.status == 429 && second.errorCode == "slow_mode", "\(second)")
            // Whole seconds until the interval ends, rounded up: 30, or 29 when a second passed between the sends.
            #expect(Int(second.header("Retry-After") ?? "").map { (29...30).contains($0) } == true, "\(second.headers)")
            // The owner is exempt.
            try await http.send("owner 1", to: room, as: alice)
            try await http.send("owner 2", to: room, as: alice)
            _ = try await Peer.with(server, token: bob.token) { b in
                _ = try await b.ready()
                let answer = try await b.request(.send("too soon", key: "rt", to: typed(room)))
                #expect(answer.type == "error" && answer.code == "slow_mode", "\(answer)")
                let wait = try #require(answer.int("retryAfterMs"))
                #expect((1...30_000).contains(wait), "\(answer)")
                return true
            }
            server.clock.advance(seconds: 31)
            try await http.send("later", to: room, as: bob)
        }
    }

    @Test("mute: PUT and DELETE /mute; the conversation list shows muted and mutedUntil")
    func mute() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let room = try await http.group(by: alice, members: [])
            func listed() async throws -> [String: Any] {
                let list = try await http.call("GET", "/v1/conversations", token: alice.token)
                return try #require((list["conversations"] as? [[String: Any]])?.first)
            }
            #expect(try await listed()["muted"] as? Bool == false)
            let forever = try await http.call("PUT", "/v1/conversations/\(room)/mute", token: alice.token)
            #expect(forever.status == 200 && forever["muted"] as? Bool == true && forever["mutedUntil"] == nil, "\(forever)")
            #expect(try await listed()["muted"] as? Bool == true)
            let until = server.clock.now().millisecondsSince1970 + 60_000
            let timed = try await http.call("PUT", "/v1/conversations/\(room)/mute", token: alice.token, json: ["until": until])
            #expect(timed.status == 200 && (timed["mutedUntil"] as? NSNumber)?.int64Value == until, "\(timed)")
            #expect((try await listed()["mutedUntil"] as? NSNumber)?.int64Value == until)
            server.clock.advance(seconds: 61)
            #expect(try await listed()["muted"] as? Bool == false, "the mute ended at its time")
            let past = try await http.call("PUT", "/v1/conversations/\(room)/mute", token: alice.token, json: ["until": 1])
            #expect(past.status == 400, "\(past)")
            _ = try await http.call("PUT", "/v1/conversations/\(room)/mute", token: alice.token)
            let unmuted = try await http.call("DELETE", "/v1/conversations/\(room)/mute", token: alice.token)
            #expect(unmuted.status == 204)
            #expect(try await listed()["muted"] as? Bool == false)
        }
    }

    @Test("pins: owners and admins pin and unpin, members list, events in the log, at most 50")
    func pins() async throws {
        // 100 sends and pins in a row: more than the message bucket's burst.
        try await TestServer.with(configure: { $0.limits.rateLimits = .unlimited }) { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            let room = try await http.group(by: alice, members: [bob])
            let message = try #require(try await http.send("important", to: room, as: bob)["id"] as? String)
            let refused = try await http.call("PUT", "/v1/conversations/\(room)/pins/\(message)", token: bob.token)
            #expect(refused.status == 403, "\(refused)")
            let pinned = try await http.call("PUT", "/v1/conversations/\(room)/pins/\(message)", token: alice.token)
            #expect(pinned.status == 200, "\(pinned)")
            let pin = try #require(pinned["pin"] as? [String: Any])
            #expect((pin["message"] as? [String: Any])?["text"] as? String == "important" && pin["pinnedBy"] as? String == alice.id)
            let listed = try await http.call("GET", "/v1/conversations/\(room)/pins", token: bob.token)
            #expect((listed["pins"] as? [[String: Any]])?.count == 1)
            let events = try await Self.events(room, as: bob, client: http)
            #expect(events.last?["kind"] as? String == "message.pinned" && events.last?["message"] as? String == message)
            for index in 1..<50 {
                let other = try #require(try await http.send("m\(index)", to: room, as: alice)["id"] as? String)
                let answer = try await http.call("PUT", "/v1/conversations/\(room)/pins/\(other)", token: alice.token)
                try #require(answer.status == 200, "\(answer)")
            }
            let extra = try #require(try await http.send("one too many", to: room, as: alice)["id"] as? String)
            let full = try await http.call("PUT", "/v1/conversations/\(room)/pins/\(extra)", token: alice.token)
            #expect(full.status == 409 && full.errorCode == "limit_exceeded", "\(full)")
            let unpinned = try await http.call("DELETE", "/v1/conversations/\(room)/pins/\(message)", token: alice.token)
            #expect(unpinned.status == 204)
            #expect(try await Self.events(room, as: bob, client: http).last?["kind"] as? String == "message.unpinned")
        }
    }
}
