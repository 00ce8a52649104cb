import Foundation
import MessagingCore
@testable import MessagingTransport
@testable import MessagingWire
import TestSupport
import Testing

/// The per-user feed over the realtime connection (Protocol.md §4a).
@Suite("Gateway: the per-user feed")
struct GatewayFeedTests {
    /// Reads frames until `count` `feed` frames arrived; returns their entries.
    static func feedEntries(_ client: TestClient, _ count: Int) async throws -> [JSONValue] {
        var entries: [JSONValue] = []
        while entries.count < count {
            guard let frame = try await client.next() else { throw TimedOut(what: "\(count) feed entries, got \(entries.count)") }
            if frame["type"]?.string == "feed", let entry = frame["entry"] { entries.append(entry) }
        }
        return entries
    }

    /// Sends a `ping` and reads up to its `pong`; returns the `feed` entries read meanwhile.
    static func feedEntriesUntilPong(_ client: TestClient) async throws -> [JSONValue] {
        try await client.send(.ping)
        var entries: [JSONValue] = []
        while let frame = try await client.next() {
            if frame["type"]?.string == "pong" { return entries }
            if frame["type"]?.string == "feed", let entry = frame["entry"] { entries.append(entry) }
        }
        return entries
    }

    @Test("every connection of the user gets being added, renamed, promoted and removed, live and in seq order; others get nothing")
    func live() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let carol = try await h.user("carol")
            let phone = try await h.login("bob", bob.id)
            let bobs = [try await h.connect(as: bob), try await h.connect(as: phone)]
            let c = try await h.connect(as: carol)
            for client in bobs + [c] {
                let answer = try await client.request(.feedSubscribe(after: nil))
                #expect(answer["type"]?.string == "ok", "\(answer)")
                #expect(answer["result"]?["seq"]?.int == 0)
                #expect(answer["result"]?["unread"]?.array?.isEmpty == true)
            }
            let room = try await h.messaging.conversations.create(.group(title: "Team", members: [bob.id]), by: alice.id)
            _ = try await h.messaging.conversations.update(room.id, with: ConversationChanges(topic: "plans"), by: alice.id)
            _ = try await h.messaging.conversations.changeRole(of: bob.id, to: .admin, in: room.id, by: alice.id)
            try await h.messaging.conversations.removeMember(bob.id, from: room.id, by: alice.id)
            for client in bobs {
                let entries = try await Self.feedEntries(client, 4)
                #expect(entries.map { $0["seq"]?.int } == [1, 2, 3, 4])
                #expect(entries.map { $0["change"]?.string } == [
                    "conversation.joined", "conversation.updated", "conversation.role", "conversation.left",
                ])
                #expect(entries.allSatisfy { $0["conversation"]?.string == "\(room.id)" })
                #expect(entries[0]["kind"]?.string == "group")
                #expect(entries[0]["title"]?.string == "Team")
                #expect(entries[0]["role"]?.string == "member")
                #expect(entries[0]["by"]?.string == "\(alice.id)")
                #expect(entries[1]["title"]?.string == "Team")
                #expect(entries[1]["topic"]?.string == "plans")
                #expect(entries[2]["role"]?.string == "admin")
                #expect(entries[3]["removedBy"]?.string == "\(alice.id)")
            }
            #expect(try await Self.feedEntriesUntilPong(c).isEmpty, "carol is in none of it")
        }
    }

    @Test("a reconnecting client resumes from its feed seq: what happened while it was away, nothing twice")
    func resume() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let first = try await h.connect(as: bob)
            _ = try await first.request(.feedSubscribe(after: 0))
            let room = try await h.messaging.conversations.create(.group(title: "One", members: [bob.id]), by: alice.id)
            let seen = try await Self.feedEntries(first, 1)
            let last = try #require(seen.last?["seq"]?.int)
            await first.close()

            // While bob is away.
            _ = try await h.messaging.conversations.update(room.id, with: ConversationChanges(title: "Renamed"), by: alice.id)
            let other = try await h.messaging.conversations.create(.group(title: "Two", members: [bob.id]), by: alice.id)
            _ = try await h.sendDirect("unread", to: other.id, by: alice)

            let second = try await h.connect(as: bob)
            let answer = try await second.request(.feedSubscribe(after: last))
            #expect(answer["result"]?["seq"]?.int == 3, "the head when subscribing")
            let unread = try #require(answer["result"]?["unread"]?.array)
            #expect(unread.first { $0["conversation"]?.string == "\(other.id)" }?["unread"]?.int == 1, "\(unread)")
            let missed = try await Self.feedEntries(second, 2)
            #expect(missed.map { $0["seq"]?.int } == [2, 3])
            #expect(missed.map { $0["change"]?.string } == ["conversation.updated", "conversation.joined"])
            #expect(missed[1]["conversation"]?.string == "\(other.id)")
            // Live again after the backlog.
            try await h.messaging.conversations.leave(other.id, by: bob.id)
            #expect(try await Self.feedEntries(second, 1).map { $0["seq"]?.int } == [4])
            #expect(try await Self.feedEntriesUntilPong(second).isEmpty, "nothing repeated")
        }
    }

    @Test("positions: past the head and negative are invalid_input; without after the feed starts now; unsubscribe stops it")
    func positions() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            _ = try await h.messaging.conversations.create(.group(title: "Old", members: [bob.id]), by: alice.id)
            let client = try await h.connect(as: bob)
            let past = try await client.request(["type": "feed.subscribe", "after": 2])
            #expect(past["code"]?.string == "invalid_input", "\(past)")
            let negative = try await client.request(["type": "feed.subscribe", "after": -1])
            #expect(negative["code"]?.string == "invalid_input", "\(negative)")
            let huge = try await client.request(["type": "feed.subscribe", "after": Int64.max])
            #expect(huge["code"]?.string == "invalid_input", "\(huge)")

            let now = try await client.request(.feedSubscribe(after: nil))
            #expect(now["result"]?["seq"]?.int == 1)
            #expect(try await Self.feedEntriesUntilPong(client).isEmpty, "without after, the existing entry is not replayed")
            let room = try await h.messaging.conversations.create(.group(title: "New", members: [bob.id]), by: alice.id)
            #expect(try await Self.feedEntries(client, 1).first?["conversation"]?.string == "\(room.id)")

            let off = try await client.request(.feedUnsubscribe)
            #expect(off["type"]?.string == "ok", "\(off)")
            _ = try await h.messaging.conversations.create(.group(title: "Unseen", members: [bob.id]), by: alice.id)
            #expect(try await Self.feedEntriesUntilPong(client).isEmpty, "unsubscribed: no entries")
            #expect(h.hub.feeds.count == 0, "the follower is gone")
        }
    }

    @Test("a closed connection's follower is released")
    func release() async throws {
        try await Harness.with { h in
            let bob = try await h.user("bob")
            let client = try await h.connect(as: bob)
            _ = try await client.request(.feedSubscribe(after: nil))
            #expect(h.hub.feeds.count == 1)
            await client.close()
            let deadline = ContinuousClock.now + .seconds(5)
            while h.hub.feeds.count > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(h.hub.feeds.count == 0)
        }
    }
}
