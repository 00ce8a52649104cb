import Foundation
import MessagingCore
@testable import MessagingTransport
@testable import MessagingWire
import Testing

@Suite("Gateway: replies and reaction summaries")
struct GatewayThreadTests {
    @Test("replies: a thread's replies by keyset on seq with the root's thread summary; history carries reactions with me; non-members get not_found")
    func replies() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let mallory = try await h.user("mallory")
            let room = try await h.group(alice, [bob])
            let a = try await h.connect(as: alice)
            let root = try #require(try await a.request([
                "type": "send", "conversation": "\(room)", "clientMessageId": "root", "text": "root",
            ])["result"]?["message"]?["id"]?.string)
            var replySeqs: [Int] = []
            for index in 0..<5 {
                let sent = try await a.request([
                    "type": "send", "conversation": "\(room)", "clientMessageId": "r\(index)", "text": "reply \(index)",
                    "replyTo": root, "threadRoot": root,
                ])
                #expect(sent["result"]?["message"]?["threadRoot"]?.string == root, "\(sent)")
                replySeqs.append(try #require(sent["result"]?["message"]?["seq"]?.int.map(Int.init)))
            }
            let reacted = try await a.request(["type": "react", "message": root, "emoji": "👍", "conversation": "\(room)"])
            #expect(reacted["type"]?.string == "ok", "\(reacted)")

            let b = try await h.connect(as: bob)
            var seen: [Int] = []
            var cursor: Int? = nil
            repeat {
                var request: [String: any Sendable] = [
                    "type": "replies", "conversation": "\(room)", "message": root, "direction": "forward", "limit": 2,
                ]
                if let cursor { request["cursor"] = cursor }
                let page = try await b.request(request)
                #expect(page["type"]?.string == "ok", "\(page)")
                let result = try #require(page["result"])
                #expect(result["root"]?["id"]?.string == root)
                #expect(result["root"]?["thread"]?["replyCount"]?.int == 5)
                #expect(result["root"]?["thread"]?["lastReplySeq"]?.int.map(Int.init) == replySeqs.last)
                #expect(result["root"]?["reactions"]?.array?.first?["me"]?.bool == false, "bob did not react")
                seen += result["replies"]?.array?.compactMap { $0["seq"]?.int.map(Int.init) } ?? []
                cursor = result["nextCursor"]?.int.map(Int.init)
            } while cursor != nil && seen.count < 20
            #expect(seen == replySeqs)

            let history = try await a.request(["type": "history", "conversation": "\(room)", "limit": 10])
            let listed = history["result"]?["messages"]?.array?.first { $0["id"]?.string == root }
            #expect(listed?["reactions"]?.array?.first?["emoji"]?.string == "👍")
            #expect(listed?["reactions"]?.array?.first?["count"]?.int == 1)
            #expect(listed?["reactions"]?.array?.first?["me"]?.bool == true, "alice reacted")
            #expect(listed?["thread"]?["replyCount"]?.int == 5)

            let m = try await h.connect(as: mallory)
            let refused = try await m.request(["type": "replies", "conversation": "\(room)", "message": root])
            #expect(refused["code"]?.string == "not_found", "\(refused)")
            let missingField = try await b.request(["type": "replies", "conversation": "\(room)"])
            #expect(missingField["type"]?.string == "error", "\(missingField)")
            let badLimit = try await b.request(["type": "replies", "conversation": "\(room)", "message": root, "limit": 0])
            #expect(badLimit["code"]?.string == "invalid_input", "\(badLimit)")
        }
    }
}
