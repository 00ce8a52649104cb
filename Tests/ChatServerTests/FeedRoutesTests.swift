import Foundation
import MessagingCore
import MessagingWire
import TestSupport
import Testing

@Suite("ChatServer: the per-user feed over HTTP and realtime")
struct FeedRoutesTests {
    @Test("HTTP changes reach the user's realtime feed; GET /v1/feed pages the same entries and checks its position")
    func feed() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            _ = try await Peer.with(server, token: bob.token) { b in
                _ = try await b.ready()
                let subscribed = try await b.request(.feedSubscribe(after: 0))
                #expect(subscribed.type == "ok", "\(subscribed)")
                #expect(subscribed.result.int("seq") == 0)
                let room = try await http.group(by: alice, members: [bob], title: "Team")
                let renamed = try await http.call("PATCH", "/v1/conversations/\(room)", token: alice.token, json: ["title": "Launch"])
                #expect(renamed.status == 200, "\(renamed)")
                let removed = try await http.call("DELETE", "/v1/conversations/\(room)/members/\(bob.id)", token: alice.token)
                #expect(removed.status == 204, "\(removed)")
                var entries: [[String: Any]] = []
                for seq in 1...3 {
                    let frame = try await b.wait("feed entry \(seq)") { frame in
                        frame["type"] as? String == "feed" && (frame["entry"] as? [String: Any])?.int("seq") == Int64(seq)
                    }
                    entries.append(frame["entry"] as? [String: Any] ?? [:])
                }
                #expect(entries.map { $0["change"] as? String } == ["conversation.joined", "conversation.updated", "conversation.left"])
                #expect(entries.allSatisfy { ($0["conversation"] as? String)?.lowercased() == room.lowercased() })
                #expect(entries[0]["title"] as? String == "Team")
                #expect(entries[1]["title"] as? String == "Launch")
                #expect((entries[2]["removedBy"] as? String)?.lowercased() == alice.id.lowercased())

                // The same entries over HTTP, paged.
                let first = try await http.call("GET", "/v1/feed?limit=2", token: bob.token)
                #expect(first.status == 200, "\(first)")
                #expect((first["entries"] as? [[String: Any]])?.compactMap { $0.int("seq") } == [1, 2])
                #expect(first["hasMore"] as? Bool == true)
                #expect((first["nextAfter"] as? NSNumber)?.intValue == 2)
                #expect((first["seq"] as? NSNumber)?.intValue == 3)
                let rest = try await http.call("GET", "/v1/feed?after=2", token: bob.token)
                let last = try #require((rest["entries"] as? [[String: Any]])?.first)
                #expect(last["change"] as? String == "conversation.left")
                #expect(rest["hasMore"] as? Bool == false)

                let past = try await http.call("GET", "/v1/feed?after=4", token: bob.token)
                #expect(past.status == 400 && past.errorCode == "invalid_input", "\(past)")
                let negative = try await http.call("GET", "/v1/feed?after=-1", token: bob.token)
                #expect(negative.status == 400, "\(negative)")
                let unknown = try await http.call("GET", "/v1/feed?user=\(alice.id)", token: bob.token)
                #expect(unknown.status == 400, "another user's feed cannot even be named: \(unknown)")
                let anonymous = try await http.call("GET", "/v1/feed")
                #expect(anonymous.status == 401)
                let alices = try await http.call("GET", "/v1/feed", token: alice.token)
                #expect((alices["entries"] as? [[String: Any]])?.map { $0["change"] as? String } == ["conversation.joined", "conversation.updated"],
                        "alice's own feed: created, renamed (she removed bob: not her membership)")
            }
        }
    }
}

@Suite("ChatServer: read receipts and settings over HTTP")
struct ReceiptRoutesTests {
    @Test("an HTTP read sends a receipt frame to subscribers; hiding read receipts stops them and blanks readSeq for others")
    func receipts() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            let room = try await http.group(by: alice, members: [bob])
            let sent = try await http.send("hello", to: room, as: alice)
            let seq = try #require((sent["seq"] as? NSNumber)?.int64Value)
            _ = try await Peer.with(server, token: alice.token) { a in
                _ = try await a.ready()
                let subscribed = try await a.request(.subscribe(typed(room), after: seq))
                #expect(subscribed.type == "ok", "\(subscribed)")
                let read = try await http.call("POST", "/v1/conversations/\(room)/read", token: bob.token, json: ["seq": seq])
                #expect(read.status == 200, "\(read)")
                let receipt = try await a.wait("bob's receipt") { $0["type"] as? String == "receipt" }
                #expect((receipt["user"] as? String)?.lowercased() == bob.id.lowercased())
                #expect(receipt.int("readSeq") == seq)

                let settings = try await http.call("GET", "/v1/me/settings", token: bob.token)
                #expect(settings["hideReadReceipts"] as? Bool == false, "\(settings)")
                let hidden = try await http.call("PUT", "/v1/me/settings", token: bob.token, json: ["hideReadReceipts": true])
                #expect(hidden.status == 200 && hidden["hideReadReceipts"] as? Bool == true, "\(hidden)")
                let bad = try await http.call("PUT", "/v1/me/settings", token: bob.token, json: ["hideReadReceipts": "yes"])
                #expect(bad.status == 400, "\(bad)")
                let receipts = try await http.call("GET", "/v1/conversations/\(room)/receipts", token: alice.token)
                let bobs = (receipts["receipts"] as? [[String: Any]])?.first { ($0["user"] as? String)?.lowercased() == bob.id.lowercased() }
                #expect(bobs != nil && bobs?["readSeq"] == nil, "hidden from alice: \(receipts)")
                let own = try await http.call("GET", "/v1/conversations/\(room)/receipts", token: bob.token)
                let mine = (own["receipts"] as? [[String: Any]])?.first { ($0["user"] as? String)?.lowercased() == bob.id.lowercased() }
                #expect((mine?["readSeq"] as? NSNumber)?.int64Value == seq, "not from bob himself: \(own)")
                let outsider = try await http.user("outsider")
                let refused = try await http.call("GET", "/v1/conversations/\(room)/receipts", token: outsider.token)
                #expect(refused.status == 404)
            }
        }
    }
}
