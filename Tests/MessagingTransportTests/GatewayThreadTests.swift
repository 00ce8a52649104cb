import Foundation
import MessagingCore
@testable import MessagingTransport
@testable import MessagingWire
import TestSupport
import Testing

@Suite("Gateway: replies and reaction summaries")
struct GatewayThreadTests {
    /// A thread in a group of alice and bob (mallory is no member): alice's root, five
    /// replies to it, and alice's 👍 on the root.
    struct Fixture {
        let bob: TestUser
        let mallory: TestUser
        let room: ConversationID
        let a: TestClient
        let root: String
        let rootID: MessageID
        let replySeqs: [Int]
    }

    static func thread(_ h: Harness) async throws -> Fixture {
        let alice = try await h.user("alice")
        let bob = try await h.user("bob")
        let mallory = try await h.user("mallory")
        let room = try await h.group(alice, [bob])
        let a = try await h.connect(as: alice)
        let root = try #require(try await a.request(.send("root", key: "root", to: room))["result"]?["message"]?["id"]?.string)
        let rootID = try #require(MessageID(root))
        var replySeqs: [Int] = []
        for index in 0..<5 {
            let sent = try await a.request(.send("reply \(index)", key: "r\(index)", to: room, replyTo: rootID, threadRoot: rootID))
            #expect(sent["result"]?["message"]?["threadRoot"]?.string == root, "\(sent)")
            replySeqs.append(try #require(sent["result"]?["message"]?["seq"]?.int.map(Int.init)))
        }
        let reacted = try await a.request(.react("👍", to: rootID, in: room))
        #expect(reacted["type"]?.string == "ok", "\(reacted)")
        return Fixture(bob: bob, mallory: mallory, room: room, a: a, root: root, rootID: rootID, replySeqs: replySeqs)
    }

    @Test("replies pages a thread's replies by keyset on seq, with the root's thread summary and reactions")
    func replies() async throws {
        try await Harness.with { h in
            let thread = try await Self.thread(h)
            let b = try await h.connect(as: thread.bob)
            var seen: [Int] = []
            var cursor: Int? = nil
            repeat {
                let page = try await b.request(.replies(to: thread.rootID, in: thread.room, limit: 2, cursor: cursor.map(Int64.init), direction: .forward))
                #expect(page["type"]?.string == "ok", "\(page)")
                let result = try #require(page["result"])
                #expect(result["root"]?["id"]?.string == thread.root)
                #expect(result["root"]?["thread"]?["replyCount"]?.int == 5)
                #expect(result["root"]?["thread"]?["lastReplySeq"]?.int.map(Int.init) == thread.replySeqs.last)
                #expect(result["root"]?["reactions"]?.array?.first?["me"]?.bool == false, "bob did not react")
                seen += result["replies"]?.array?.compactMap { $0["seq"]?.int.map(Int.init) } ?? []
                cursor = result["nextCursor"]?.int.map(Int.init)
            } while cursor != nil && seen.count < 20
            #expect(seen == thread.replySeqs)
        }
    }

    @Test("history lists a thread root with its reactions (me for the reactor) and its reply count")
    func historySummaries() async throws {
        try await Harness.with { h in
            let thread = try await Self.thread(h)
            let history = try await thread.a.request(.history(thread.room, limit: 10))
            let listed = history["result"]?["messages"]?.array?.first { $0["id"]?.string == thread.root }
            #expect(listed?["reactions"]?.array?.first?["emoji"]?.string == "👍")
            #expect(listed?["reactions"]?.array?.first?["count"]?.int == 1)
            #expect(listed?["reactions"]?.array?.first?["me"]?.bool == true, "alice reacted")
            #expect(listed?["thread"]?["replyCount"]?.int == 5)
        }
    }

    @Test("replies refuses a non-member with not_found, and a missing message or a zero limit")
    func repliesRefusals() async throws {
        try await Harness.with { h in
            let thread = try await Self.thread(h)
            let m = try await h.connect(as: thread.mallory)
            let b = try await h.connect(as: thread.bob)
            let refused = try await m.request(.replies(to: thread.rootID, in: thread.room))
            #expect(refused["code"]?.string == "not_found", "\(refused)")
            let missingField = try await b.request(["type": "replies", "conversation": "\(thread.room)"])
            #expect(missingField["type"]?.string == "error", "\(missingField)")
            let badLimit = try await b.request(["type": "replies", "conversation": "\(thread.room)", "message": thread.root, "limit": 0])
            #expect(badLimit["code"]?.string == "invalid_input", "\(badLimit)")
        }
    }
}
