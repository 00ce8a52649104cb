import Foundation
import Testing

@Suite("ChatServer HTTP: reaction summaries, threads, replies, channels")
struct ThreadRoutesTests {
    /// Sends a reply in the thread of `root`; returns the message object.
    static func reply(
        _ text: String, to root: String, in room: String, as user: Login, client: HTTPClient
    ) async throws -> [String: Any] {
        let answer = try await client.call(
            "POST", "/v1/conversations/\(room)/messages", token: user.token,
            json: ["clientMessageId": UUID().uuidString, "body": text, "replyTo": root, "threadRoot": root])
        try #require(answer.status == 201, "reply: \(answer)")
        return try #require(answer["message"] as? [String: Any])
    }

    @Test("history and single-message reads carry reactions {emoji, count, me} for the caller and a root's thread summary")
    func summaries() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let bob = try await client.user("bob")
            let room = try await client.group(by: alice, members: [bob])
            let root = try #require(try await client.send("root", to: room, as: alice)["id"] as? String)
            for user in [alice, bob] {
                let reacted = try await client.call(
                    "PUT", "/v1/conversations/\(room)/messages/\(root)/reactions/%F0%9F%91%8D", token: user.token)
                #expect(reacted.status == 204)
            }
            let party = try await client.call(
                "PUT", "/v1/conversations/\(room)/messages/\(root)/reactions/%F0%9F%8E%89", token: bob.token)
            #expect(party.status == 204)
            _ = try await Self.reply("one", to: root, in: room, as: bob, client: client)
            let last = try await Self.reply("two", to: root, in: room, as: alice, client: client)

            let history = try await client.call("GET", "/v1/conversations/\(room)/messages", token: alice.token)
            let messages = try #require(history["messages"] as? [[String: Any]])
            let listedRoot = try #require(messages.first { $0["id"] as? String == root })
            let reactions = try #require(listedRoot["reactions"] as? [[String: Any]])
            #expect(reactions.map { $0["emoji"] as? String } == ["👍", "🎉"], "first left first")
            #expect(reactions.map { $0["count"] as? Int } == [2, 1])
            #expect(reactions.map { $0["me"] as? Bool } == [true, false], "alice left 👍, not 🎉")
            let thread = try #require(listedRoot["thread"] as? [String: Any])
            #expect(thread["replyCount"] as? Int == 2)
            #expect(thread["lastReplyId"] as? String == last["id"] as? String)
            #expect(thread["lastReplySeq"] as? Int == last["seq"] as? Int)
            #expect(thread["lastReplyAt"] as? Int == last["createdAt"] as? Int)
            let listedReply = try #require(messages.first { $0["id"] as? String == last["id"] as? String })
            #expect((listedReply["reactions"] as? [Any])?.isEmpty == true)
            #expect(listedReply["thread"] == nil)

            let single = try await client.call("GET", "/v1/conversations/\(room)/messages/\(root)", token: bob.token)
            #expect(single.status == 200)
            let message = try #require(single["message"] as? [String: Any])
            #expect((message["reactions"] as? [[String: Any]])?.map { $0["me"] as? Bool } == [true, true], "bob left both")
            #expect((message["thread"] as? [String: Any])?["replyCount"] as? Int == 2)
        }
    }

    @Test("replies page by keyset on seq with before and with after: every reply once, in order, across pages")
    func repliesPagination() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let room = try await client.group(by: alice, members: [])
            let root = try #require(try await client.send("root", to: room, as: alice)["id"] as? String)
            var sent: [Int] = []
            for index in 0..<7 {
                sent.append(try #require(try await Self.reply("r\(index)", to: root, in: room, as: alice, client: client)["seq"] as? Int))
                try await client.send("outside \(index)", to: room, as: alice)
            }
            for (parameter, expected) in [("before", Array(sent.reversed())), ("after", sent)] {
                var seen: [Int] = []
                var cursor: Int? = nil
                var pages = 0
                repeat {
                    let bound = cursor.map { "&\(parameter)=\($0)" } ?? (parameter == "after" ? "&after=0" : "")
                    let page = try await client.call(
                        "GET", "/v1/conversations/\(room)/messages/\(root)/replies?limit=3\(bound)", token: alice.token)
                    #expect(page.status == 200, "\(page)")
                    #expect((page["root"] as? [String: Any])?["id"] as? String == root)
                    #expect(((page["root"] as? [String: Any])?["thread"] as? [String: Any])?["replyCount"] as? Int == 7)
                    seen += (page["replies"] as? [[String: Any]] ?? []).compactMap { $0["seq"] as? Int }
                    cursor = page["nextCursor"] as? Int
                    #expect((page["hasMore"] as? Bool) == (cursor != nil))
                    pages += 1
                } while cursor != nil && pages < 10
                #expect(seen == expected, "\(parameter)")
                #expect(pages == 3, "\(parameter): 7 replies in pages of 3")
            }
        }
    }

    @Test("replies: non-members and removed members get 404; bad bounds, a reply as root and both directions get 400")
    func repliesRefusals() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let bob = try await client.user("bob")
            let mallory = try await client.user("mallory")
            let room = try await client.group(by: alice, members: [bob])
            let root = try #require(try await client.send("root", to: room, as: alice)["id"] as? String)
            let reply = try #require(try await Self.reply("r", to: root, in: room, as: bob, client: client)["id"] as? String)
            let path = "/v1/conversations/\(room)/messages/\(root)/replies"
            #expect(try await client.call("GET", path, token: mallory.token).status == 404)
            for query in [
                "?before=1&after=1", "?limit=0", "?limit=201", "?before=0", "?after=-1", "?before=99999999999999999999",
                "?after=1e3", "?limit=abc", "?cursor=1",
            ] {
                let answer = try await client.call("GET", path + query, token: alice.token)
                #expect(answer.status == 400, "\(query): \(answer)")
                #expect(answer.errorCode != nil)
            }
            let notRoot = try await client.call("GET", "/v1/conversations/\(room)/messages/\(reply)/replies", token: alice.token)
            #expect(notRoot.status == 400 && notRoot.errorCode == "invalid_input", "\(notRoot)")
            let missing = try await client.call(
                "GET", "/v1/conversations/\(room)/messages/0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6b/replies", token: alice.token)
            #expect(missing.status == 404)
            let other = try await client.group(by: alice, members: [])
            let elsewhere = try await client.call("GET", "/v1/conversations/\(other)/messages/\(root)/replies", token: alice.token)
            #expect(elsewhere.status == 404, "the root belongs to another conversation")
            #expect(try await client.call("DELETE", "/v1/conversations/\(room)/members/\(bob.id)", token: alice.token).status == 204)
            #expect(try await client.call("GET", path, token: bob.token).status == 404)
            #expect(try await client.call("GET", "/v1/conversations/\(room)/messages/\(root)", token: bob.token).status == 404)
        }
    }

    @Test("a send with replyTo and threadRoot is stored with both; a missing, foreign, deleted or malformed target is refused")
    func sendReplyFields() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let room = try await client.group(by: alice, members: [])
            let other = try await client.group(by: alice, members: [])
            let root = try #require(try await client.send("root", to: room, as: alice)["id"] as? String)
            let foreign = try #require(try await client.send("foreign", to: other, as: alice)["id"] as? String)
            let gone = try #require(try await client.send("gone", to: room, as: alice)["id"] as? String)
            #expect(try await client.call("DELETE", "/v1/conversations/\(room)/messages/\(gone)", token: alice.token).status == 200)
            let reply = try await Self.reply("ok", to: root, in: room, as: alice, client: client)
            #expect(reply["replyTo"] as? String == root && reply["threadRoot"] as? String == root)
            let replyID = try #require(reply["id"] as? String)

            let cases: [(String, String, Int, String)] = [
                ("replyTo", "not-a-uuid", 400, "invalid_input"),
                ("threadRoot", "0193a6c0-5b1e-4c41-9a55-3f1e2d4c5b6b", 400, "invalid_input"),  // a UUIDv4
                ("replyTo", "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6b", 400, "invalid_input"),  // no such message
                ("threadRoot", foreign, 400, "invalid_input"),
                ("replyTo", foreign, 400, "invalid_input"),
                ("replyTo", gone, 409, "conflict"),
                ("threadRoot", gone, 409, "conflict"),
                ("threadRoot", replyID, 400, "invalid_input"),
            ]
            for (field, value, status, code) in cases {
                let answer = try await client.call(
                    "POST", "/v1/conversations/\(room)/messages", token: alice.token,
                    json: ["clientMessageId": UUID().uuidString, "body": "x", field: value])
                #expect(answer.status == status && answer.errorCode == code, "\(field)=\(value): \(answer)")
            }
            let history = try await client.call("GET", "/v1/conversations/\(room)/messages", token: alice.token)
            #expect((history["messages"] as? [Any])?.count == 3, "refused sends stored nothing")
        }
    }

    @Test("POST /v1/conversations makes a channel: a title is required, the creator posts, plain members may not")
    func channels() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let bob = try await client.user("bob")
            let created = try await client.call(
                "POST", "/v1/conversations", token: alice.token,
                json: ["kind": "channel", "title": "announcements", "topic": "news", "members": [bob.id]])
            #expect(created.status == 201, "\(created)")
            let conversation = try #require(created["conversation"] as? [String: Any])
            #expect(conversation["kind"] as? String == "channel")
            #expect(conversation["topic"] as? String == "news")
            let channel = try #require(conversation["id"] as? String)
            try await client.send("hello all", to: channel, as: alice)
            let refused = try await client.call(
                "POST", "/v1/conversations/\(channel)/messages", token: bob.token,
                json: ["clientMessageId": "b-1", "body": "me too"])
            #expect(refused.status == 403 && refused.errorCode == "forbidden", "\(refused)")
            let untitled = try await client.call(
                "POST", "/v1/conversations", token: alice.token, json: ["kind": "channel", "members": [bob.id]])
            #expect(untitled.status == 400 && untitled.errorCode == "invalid_input")
            let blank = try await client.call(
                "POST", "/v1/conversations", token: alice.token, json: ["kind": "channel", "title": "   ", "members": []])
            #expect(blank.status == 400 && blank.errorCode == "invalid_input")
            let directTopic = try await client.call(
                "POST", "/v1/conversations", token: alice.token, json: ["kind": "direct", "topic": "x", "members": [bob.id]])
            #expect(directTopic.status == 400)
            let unknown = try await client.call(
                "POST", "/v1/conversations", token: alice.token, json: ["kind": "broadcast", "title": "x", "members": []])
            #expect(unknown.status == 400 && unknown.errorCode == "invalid_input")
        }
    }
}
