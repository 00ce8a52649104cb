import Foundation
import MessagingCore
@testable import MessagingTransport
@testable import MessagingWire
import TestSupport
import Testing

@Suite("Gateway: send, receive, ack, resume")
struct GatewayMessagingTests {
    /// Alice and Bob in a group, both connected and subscribed, with the creation events read.
    struct Pair {
        let alice: TestUser, bob: TestUser
        let room: ConversationID
        let a: TestClient, b: TestClient
    }

    func subscribedPair(_ h: Harness) async throws -> Pair {
        let alice = try await h.user("alice")
        let bob = try await h.user("bob")
        let room = try await h.group(alice, [bob])
        let a = try await h.connect(as: alice)
        let b = try await h.connect(as: bob)
        for client in [a, b] {
            let subscribed = try await client.request(.subscribe(room, after: 0))
            #expect(subscribed["type"]?.string == "ok", "\(subscribed)")
        }
        // The creation events (member joins) arrive first: read them.
        let backlog = try await h.messaging.sync.events(in: room, after: 0, limit: 100, for: alice.id).events.count
        _ = try await a.events(backlog)
        _ = try await b.events(backlog)
        return Pair(alice: alice, bob: bob, room: room, a: a, b: b)
    }

    /// Alice sends `text` with client message id `key`; returns the `ok` answer's message.
    func send(_ text: String, key: String, in pair: Pair) async throws -> JSONValue {
        let sent = try await pair.a.request(.send(text, key: key, to: pair.room))
        #expect(sent["type"]?.string == "ok", "\(sent)")
        #expect(sent["result"]?["duplicate"]?.bool == false)
        return try #require(sent["result"]?["message"])
    }

    @Test("a sent message reaches the other member as the documented message.created event and echoes to the sender")
    func sendReceive() async throws {
        try await Harness.with { h in
            let pair = try await subscribedPair(h)
            let message = try await send("hello bob", key: "c-1", in: pair)
            let seq = try #require(message["seq"]?.int)
            let received = try await pair.b.events(1)
            #expect(received[0]["seq"]?.int == seq)
            #expect(received[0]["actor"]?.string == "\(pair.alice.id)")
            // The documented event shape (Protocol.md §4).
            #expect(received[0]["kind"]?.string == "message.created")
            let created = received[0]["message"]
            #expect(created?["text"]?.string == "hello bob")
            #expect(created?["clientMessageId"]?.string == "c-1")
            #expect(created?["sender"]?.string == "\(pair.alice.id)")
            #expect(created?["contentDigest"] == nil)
            #expect(created == message, "the event and the send result carry the same Message object")
            #expect(received[0]["conversation"]?.string == "\(pair.room)")
            #expect(try await pair.a.events(1)[0]["seq"]?.int == seq, "the sender's own connection gets it too")
        }
    }

    @Test("acknowledgements are cumulative: a stale one keeps the cursor, one beyond what was delivered is invalid_ack")
    func acknowledgements() async throws {
        try await Harness.with { h in
            let pair = try await subscribedPair(h)
            let seq = try #require(try await send("hello bob", key: "c-1", in: pair)["seq"]?.int)
            _ = try await pair.b.events(1)
            let acked = try await pair.b.request(.ack(pair.room, seq: seq))
            #expect(acked["result"]?["seq"]?.int == seq, "\(acked)")
            let stale = try await pair.b.request(.ack(pair.room, seq: 1))
            #expect(stale["result"]?["seq"]?.int == seq)
            let future = try await pair.b.request(.ack(pair.room, seq: seq + 50))
            #expect(future["code"]?.string == "invalid_ack", "\(future)")
        }
    }

    @Test("a send repeated with the same clientMessageId returns the original; with other content it is a conflict")
    func idempotentSend() async throws {
        try await Harness.with { h in
            let pair = try await subscribedPair(h)
            let message = try await send("hello bob", key: "c-1", in: pair)
            let repeated = try await pair.a.request(.send("hello bob", key: "c-1", to: pair.room))
            #expect(repeated["result"]?["duplicate"]?.bool == true)
            #expect(repeated["result"]?["message"]?["id"] == message["id"])
            #expect(repeated["result"]?["message"]?["seq"] == message["seq"])
            let conflicting = try await pair.a.request(.send("something else", key: "c-1", to: pair.room))
            #expect(conflicting["code"]?.string == "conflict")
            let history = try await pair.b.request(.history(pair.room, limit: 10))
            #expect(history["result"]?["messages"]?.array?.count == 1, "stored once")
        }
    }

    @Test("a member reads the history and moves its read position over the connection")
    func historyAndRead() async throws {
        try await Harness.with { h in
            let pair = try await subscribedPair(h)
            let seq = try #require(try await send("hello bob", key: "c-1", in: pair)["seq"]?.int)
            let history = try await pair.b.request(.history(pair.room, limit: 10))
            #expect(history["result"]?["messages"]?.array?.first?["seq"]?.int == seq)
            let read = try await pair.b.request(.read(pair.room, seq: seq))
            #expect(read["result"]?["readSeq"]?.int == seq)
        }
    }

    @Test("disconnect, messages sent, reconnect from the last seq: exactly the missing events, in order")
    func resume() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let room = try await h.group(alice, [bob])
            let b1 = try await h.connect(as: bob)
            _ = try await b1.request(.subscribe(room, after: 0))
            try await h.sendDirect("one", to: room, by: alice)
            let head = try await h.messaging.sync.events(in: room, after: 0, limit: 100, for: bob.id).events
            let seen = try await b1.events(head.count)
            let lastSeq = try #require(seen.last?["seq"]?.int)
            await b1.close()

            var missing: [Int64] = []
            for index in 0..<5 { missing.append(try await h.sendDirect("missed \(index)", to: room, by: alice).seq) }

            let b2 = try await h.connect(as: bob)
            let subscribed = try await b2.request(.subscribe(room, after: lastSeq))
            #expect(subscribed["result"]?["seq"]?.int == missing.last)
            let events = try await b2.events(5)
            #expect(events.compactMap { $0["seq"]?.int } == missing)
            // Nothing more: the next frame is the answer to a ping.
            try await b2.send(.ping)
            #expect(try await b2.next()?["type"]?.string == "pong")
        }
    }

    @Test("a slow consumer is closed with resync required while others keep receiving; it resumes with nothing lost")
    func slowConsumer() async throws {
        var configuration = GatewayConfiguration.testing
        configuration.outboundQueue = .init(maxEvents: 48, maxBytes: 1 << 20)
        try await Harness.with(configuration: configuration, transport: .init(bufferCapacity: 4)) { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let carol = try await h.user("carol")
            let room = try await h.group(alice, [bob, carol])
            let slow = try await h.connect(as: bob)
            let fast = try await h.connect(as: carol)
            _ = try await slow.request(.subscribe(room, after: 0))
            _ = try await fast.request(.subscribe(room, after: 0))
            let base = try await h.messaging.sync.events(in: room, after: 0, limit: 100, for: bob.id).events.last?.seq ?? 0

            // Carol keeps up (she reads each event as it comes); Bob never reads.
            let count = 150
            var received = try await fast.events(Int(base))
            for index in 0..<count {
                try await h.sendDirect("m\(index)", to: room, by: alice)
                received += try await fast.events(1)
            }
            #expect(received.count == Int(base) + count)
            #expect(received.compactMap { $0["seq"]?.int } == Array(1...(base + Int64(count))))
            #expect(fast.connection.closeStatus == nil)

            // Bob's connection was closed with 4410; he read what was buffered before it.
            let (close, frames) = try await slow.closed()
            #expect(close?.code == .resyncRequired, "\(String(describing: close))")
            let seenSeqs = frames.compactMap { $0["event"]?["seq"]?.int }
            #expect(seenSeqs == Array(seenSeqs.sorted()))
            let last = seenSeqs.last ?? 0
            #expect(last < base + Int64(count))

            // He reconnects and resumes from his last seq: the rest, gapless.
            let again = try await h.connect(as: bob)
            _ = try await again.request(.subscribe(room, after: last))
            let rest = try await again.events(Int(base) + count - Int(last))
            #expect(rest.compactMap { $0["seq"]?.int } == Array((last + 1)...(base + Int64(count))))
        }
    }

    @Test("edits, deletions and reactions reach subscribers in order")
    func otherEvents() async throws {
        try await Harness.with { h in
            let pair = try await subscribedPair(h)
            let id = try #require(try await send("hi", key: "k", in: pair)["id"]?.string.flatMap(MessageID.init))
            #expect(try await pair.a.request(.edit(id, text: "hi!"))["type"]?.string == "ok")
            #expect(try await pair.a.request(.react("👍", to: id))["type"]?.string == "ok")
            #expect(try await pair.a.request(.unreact("👍", from: id))["type"]?.string == "ok")
            #expect(try await pair.a.request(.delete(id))["type"]?.string == "ok")
            let kinds = try await pair.b.events(5).compactMap { $0["kind"]?.string }
            #expect(kinds == ["message.created", "message.edited", "reaction.added", "reaction.removed", "message.deleted"])
        }
    }

    @Test("typing reaches the other members")
    func typing() async throws {
        try await Harness.with { h in
            let pair = try await subscribedPair(h)
            let typing = try await pair.a.request(.typing(pair.room, isTyping: true))
            #expect(typing["result"]?["throttled"]?.bool == false, "\(typing)")
            var notice: JSONValue?
            while notice == nil, let frame = try await pair.b.next() {
                if frame["type"]?.string == "typing" { notice = frame }
            }
            #expect(notice?["user"]?.string == "\(pair.alice.id)")
            #expect(notice?["typing"]?.bool == true)
        }
    }
}
