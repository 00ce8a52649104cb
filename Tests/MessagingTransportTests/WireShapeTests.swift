import Foundation
import MessagingCore
@testable import MessagingTransport
@testable import MessagingWire
import Testing

/// Protocol v1 sends one documented Message shape in every frame (events and `ok` results),
/// and never Swift-only artefacts (`_0`, synthesized enum payloads) or internal fields
/// (`contentDigest`). Documentation/Protocol.md §3–4.
@Suite("Wire shape: messages and events in frames")
struct WireShapeTests {
    static let messageKeys: Set<String> = [
        "attachments", "clientMessageId", "conversation", "createdAt", "id", "kind", "mentions", "sender", "seq", "text",
    ]

    static func keys(_ value: JSONValue?) -> Set<String> {
        guard case .object(let fields)? = value else { return [] }
        return Set(fields.keys)
    }

    @Test("no frame of a full exchange contains contentDigest, _0 or the Swift payload shape")
    func noInternalFields() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let carol = try await h.user("carol")
            let room = try await h.group(alice, [bob])
            // Creation is not an event; adding a member is (member.joined, replayed below).
            _ = try await h.messaging.conversations.addMember(carol.id, role: .admin, to: room, by: alice.id)
            let a = try await h.connect(as: alice)
            let b = try await h.connect(as: bob)
            for client in [a, b] {
                #expect(try await client.request(["type": "subscribe", "conversation": "\(room)", "after": 0])["type"]?.string == "ok")
            }
            let backlog = try await h.messaging.sync.events(in: room, after: 0, limit: 100, for: alice.id).events
            let replayed = try await b.events(backlog.count)
            #expect(backlog.count == 1)
            #expect(replayed.first?["kind"]?.string == "member.joined", "\(replayed)")
            #expect(replayed.first?["user"]?.string == "\(carol.id)" && replayed.first?["role"]?.string == "admin")
            #expect(replayed.first?["actor"]?.string == "\(alice.id)" && replayed.first?["seq"]?.int == 1)

            let sent = try await a.request([
                "type": "send", "conversation": "\(room)", "clientMessageId": "w-1", "text": "hi bob",
                "mentions": ["\(bob.id)"],
            ])
            let message = try #require(sent["result"]?["message"])
            #expect(Self.keys(message) == Self.messageKeys, "\(message)")
            #expect(message["mentions"] == JSONValue.array([JSONValue.string("\(bob.id)")]))
            let id = try #require(message["id"]?.string)
            let reply = try await a.request([
                "type": "send", "conversation": "\(room)", "clientMessageId": "w-2", "text": "and again", "replyTo": id,
            ])
            #expect(reply["result"]?["message"]?["replyTo"]?.string == id, "\(reply)")

            let edited = try await a.request(["type": "edit", "message": id, "text": "hi, bob"])
            #expect(edited["result"]?["message"]?["text"]?.string == "hi, bob")
            #expect(edited["result"]?["message"]?["editedAt"]?.int != nil)
            #expect(try await a.request(["type": "react", "message": id, "emoji": "👍", "conversation": "\(room)"])["type"]?.string == "ok")
            #expect(try await a.request(["type": "unreact", "message": id, "emoji": "👍", "conversation": "\(room)"])["type"]?.string == "ok")
            let deleted = try await a.request(["type": "delete", "message": id])
            let tombstone = try #require(deleted["result"]?["message"])
            #expect(tombstone["text"] == nil && tombstone["deletedAt"]?.int != nil, "\(tombstone)")

            let events = try await b.events(6)
            #expect(events.compactMap { $0["kind"]?.string } == [
                "message.created", "message.created", "message.edited", "reaction.added", "reaction.removed", "message.deleted",
            ])
            #expect(events.allSatisfy { Self.keys($0).isSuperset(of: ["conversation", "seq", "kind", "actor", "at"]) })
            // Message events carry the message's state when read; live ones the state at the time.
            #expect(events[0]["message"] == message)
            #expect(events[3]["message"]?.string == id && events[3]["emoji"]?.string == "👍" && events[3]["user"]?.string == "\(alice.id)")

            let history = try await b.request(["type": "history", "conversation": "\(room)", "direction": "forward"])
            let messages = try #require(history["result"]?["messages"]?.array)
            #expect(messages.count == 2)
            #expect(messages[0]["id"]?.string == id && messages[0]["text"] == nil && messages[0]["deletedAt"] != nil)
            // A read adds the reader's view: `reactions` (here none) and, on a root with replies, `thread`.
            #expect(Self.keys(messages[1]) == Self.messageKeys.union(["replyTo", "reactions"]), "\(messages[1])")
            #expect(messages[1]["reactions"]?.array?.isEmpty == true)

            // Alice reads her copies of the events too, so her frames are checked as well.
            let echoed = try await a.events(backlog.count + 6)
            #expect(echoed.count == backlog.count + 6)
            for client in [a, b] {
                let frames = client.rawFrames
                #expect(frames.count >= 9, "ready, answers and events: \(frames.count)")
                for frame in frames {
                    #expect(!frame.contains("contentDigest"), "\(frame)")
                    #expect(!frame.contains("\"_0\""), "\(frame)")
                    #expect(!frame.contains("\"payload\""), "\(frame)")
                    // `presence` frames still carry UserPresence's own `userID` (MessagingPresence; not a message).
                    if !frame.contains(#""type":"presence""#) {
                        #expect(!frame.contains("ID\""), "no Swift property names such as conversationID: \(frame)")
                    }
                }
            }
        }
    }
}
