import Foundation
import MessagingTransport
import Testing

@Suite("ChatServer HTTP: conversations, messages, events, reads, reactions, search, unread")
struct MessagingRoutesTests {
    @Test("a repeated send with the same clientMessageId returns the original (200, duplicate) and stores nothing new")
    func idempotentSend() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let room = try await client.group(by: alice, members: [])
            let body: [String: Any] = ["clientMessageId": "retry-1", "body": "only once"]
            let first = try await client.call("POST", "/v1/conversations/\(room)/messages", token: alice.token, json: body)
            #expect(first.status == 201)
            #expect(first["duplicate"] as? Bool == false)
            let second = try await client.call("POST", "/v1/conversations/\(room)/messages", token: alice.token, json: body)
            #expect(second.status == 200)
            #expect(second["duplicate"] as? Bool == true)
            let firstMessage = try #require(first["message"] as? [String: Any])
            let secondMessage = try #require(second["message"] as? [String: Any])
            #expect(firstMessage["id"] as? String == secondMessage["id"] as? String)
            #expect(firstMessage["contentDigest"] == nil)
            let conflict = try await client.call(
                "POST", "/v1/conversations/\(room)/messages", token: alice.token,
                json: ["clientMessageId": "retry-1", "body": "something else"])
            #expect(conflict.status == 409)
            #expect(conflict.errorCode == "conflict")
            let history = try await client.call("GET", "/v1/conversations/\(room)/messages", token: alice.token)
            #expect((history["messages"] as? [Any])?.count == 1)
        }
    }

    @Test("the routes work end to end and encode messages and events flat, without content digests")
    func endToEnd() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let bob = try await client.user("bob")
            let carol = try await client.user("carol")

            let lookup = try await client.call("GET", "/v1/users/BOB", token: alice.token)
            #expect(lookup.status == 200)
            #expect((lookup["user"] as? [String: Any])?["id"] as? String == bob.id)
            #expect(try await client.call("GET", "/v1/users/nobody", token: alice.token).status == 404)

            let direct = try await client.call(
                "POST", "/v1/conversations", token: alice.token, json: ["kind": "direct", "members": [bob.id]])
            #expect(direct.status == 201)
            #expect((direct["conversation"] as? [String: Any])?["kind"] as? String == "direct")

            let room = try await client.group(by: alice, members: [bob], title: "team")
            let renamed = try await client.call(
                "PATCH", "/v1/conversations/\(room)", token: alice.token, json: ["title": "core team", "topic": "shipping"])
            #expect(renamed.status == 200)
            #expect((renamed["conversation"] as? [String: Any])?["title"] as? String == "core team")

            let added = try await client.call(
                "POST", "/v1/conversations/\(room)/members", token: alice.token, json: ["user": carol.id, "role": "admin"])
            #expect(added.status == 201)
            #expect((added["member"] as? [String: Any])?["role"] as? String == "admin")
            let role = try await client.call(
                "PUT", "/v1/conversations/\(room)/members/\(carol.id)/role", token: alice.token, json: ["role": "member"])
            #expect(role.status == 200)
            #expect((role["member"] as? [String: Any])?["role"] as? String == "member")
            let members = try await client.call("GET", "/v1/conversations/\(room)/members", token: bob.token)
            #expect((members["members"] as? [Any])?.count == 3)

            let hello = try await client.send("hello team", to: room, as: alice)
            let helloID = try #require(hello["id"] as? String)
            #expect(hello["text"] as? String == "hello team")
            #expect(hello["conversation"] as? String == room)
            #expect(hello["sender"] as? String == alice.id)
            try await client.send("second words", to: room, as: bob)

            let edited = try await client.call(
                "PATCH", "/v1/conversations/\(room)/messages/\(helloID)", token: alice.token, json: ["body": "hello, team"])
            #expect(edited.status == 200)
            #expect((edited["message"] as? [String: Any])?["editedAt"] != nil)
            let emoji = "%F0%9F%91%8D"  // 👍
            #expect(try await client.call(
                "PUT", "/v1/conversations/\(room)/messages/\(helloID)/reactions/\(emoji)", token: bob.token).status == 204)
            #expect(try await client.call(
                "DELETE", "/v1/conversations/\(room)/messages/\(helloID)/reactions/\(emoji)", token: bob.token).status == 204)

            let page = try await client.call("GET", "/v1/conversations/\(room)/messages?limit=1", token: carol.token)
            #expect(page["hasMore"] as? Bool == true)
            let cursor = try #require(page["nextCursor"] as? Int)
            let older = try await client.call("GET", "/v1/conversations/\(room)/messages?before=\(cursor)&limit=5", token: carol.token)
            #expect((older["messages"] as? [[String: Any]])?.first?["text"] as? String == "hello, team")

            let events = try await client.call("GET", "/v1/conversations/\(room)/events?after=0", token: carol.token)
            let kinds = (events["events"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } ?? []
            #expect(kinds == [
                "conversation.updated", "member.joined", "member.role_changed", "message.created", "message.created",
                "message.edited", "reaction.added", "reaction.removed",
            ])
            #expect(events["nextAfter"] as? Int == kinds.count)
            #expect(!events.text.contains("contentDigest"))
            let tail = try await client.call("GET", "/v1/conversations/\(room)/events?after=6&limit=1", token: carol.token)
            #expect((tail["events"] as? [[String: Any]])?.first?["emoji"] as? String == "👍")
            #expect(tail["nextAfter"] as? Int == 7)

            let unread = try await client.call("GET", "/v1/unread", token: carol.token)
            let counts = try #require(unread["conversations"] as? [[String: Any]])
            #expect(counts.first { $0["conversation"] as? String == room }?["unread"] as? Int == 2)
            let read = try await client.call("POST", "/v1/conversations/\(room)/read", token: carol.token, json: ["seq": kinds.count])
            #expect(read["readSeq"] as? Int == kinds.count)
            let after = try await client.call("GET", "/v1/unread", token: carol.token)
            #expect(((after["conversations"] as? [[String: Any]])?.first { $0["conversation"] as? String == room })?["unread"] as? Int == 0)

            let search = try await client.call("GET", "/v1/search?q=second&conversation=\(room)", token: carol.token)
            let results = try #require(search["results"] as? [[String: Any]])
            #expect(results.count == 1)
            #expect((results.first?["message"] as? [String: Any])?["text"] as? String == "second words")

            let list = try await client.call("GET", "/v1/conversations?limit=1", token: alice.token)
            #expect((list["conversations"] as? [Any])?.count == 1)
            let next = try #require(list["nextCursor"] as? String)
            let rest = try await client.call("GET", "/v1/conversations?limit=10&cursor=\(next)", token: alice.token)
            #expect((rest["conversations"] as? [Any])?.count == 1)

            let deleted = try await client.call("DELETE", "/v1/conversations/\(room)/messages/\(helloID)", token: alice.token)
            #expect(deleted.status == 200)
            #expect((deleted["message"] as? [String: Any])?["text"] == nil)
            #expect((deleted["message"] as? [String: Any])?["deletedAt"] != nil)

            #expect(try await client.call("DELETE", "/v1/conversations/\(room)/members/\(carol.id)", token: alice.token).status == 204)
            #expect(try await client.call("GET", "/v1/conversations/\(room)", token: carol.token).status == 404)
            #expect(try await client.call("POST", "/v1/conversations/\(room)/leave", token: bob.token).status == 204)
            #expect(try await client.call("GET", "/v1/conversations/\(room)", token: bob.token).status == 404)
        }
    }

    @Test("a message id from another conversation is not reachable through this one")
    func messageMustBelongToConversation() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let first = try await client.group(by: alice, members: [])
            let second = try await client.group(by: alice, members: [])
            let message = try await client.send("in the first", to: first, as: alice)
            let id = try #require(message["id"] as? String)
            let answer = try await client.call(
                "PATCH", "/v1/conversations/\(second)/messages/\(id)", token: alice.token, json: ["body": "moved?"])
            #expect(answer.status == 404)
            let history = try await client.call("GET", "/v1/conversations/\(first)/messages", token: alice.token)
            #expect((history["messages"] as? [[String: Any]])?.first?["text"] as? String == "in the first")
        }
    }

    @Test("sends are rate-limited per user with Retry-After")
    func sendRateLimit() async throws {
        try await TestServer.with(configure: { $0.limits.rateLimits.perUser[.message] = .init(burst: 3, perSecond: 0.01) }) { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let room = try await client.group(by: alice, members: [])
            var statuses: [Int] = []
            var last: Answer?
            for index in 0..<5 {
                let answer = try await client.call(
                    "POST", "/v1/conversations/\(room)/messages", token: alice.token,
                    json: ["clientMessageId": "k\(index)", "body": "m\(index)"])
                statuses.append(answer.status)
                last = answer
            }
            #expect(statuses == [201, 201, 201, 429, 429])
            #expect(last?.errorCode == "rate_limited")
            #expect(last?.header("Retry-After").flatMap(Int.init).map { $0 >= 1 } == true)
            let history = try await client.call("GET", "/v1/conversations/\(room)/messages", token: alice.token)
            #expect((history["messages"] as? [Any])?.count == 3)
        }
    }
}
