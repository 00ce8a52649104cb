import Foundation
import Logging
import MessagingCore
import MessagingDelivery
import MessagingTransport
import MessagingWebSocket
import MessagingWire
import TestSupport
import Testing

/// The realtime protocol end to end: ChatServer on loopback, real WebSocket clients.
@Suite("ChatServer realtime end to end", .timeLimit(.minutes(3)))
struct RealtimeEndToEndTests {
    @Test("two clients: send, receive, ack; a repeated send with the same client id returns the original")
    func sendReceiveAck() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            let room = try await http.group(by: alice, members: [bob])
            _ = try await Peer.with(server, token: alice.token) { a in
                _ = try await a.ready()
                _ = try await Peer.with(server, token: bob.token) { b in
                    _ = try await b.ready()
                    let subscribed = try await b.request(.subscribe(typed(room), after: 0))
                    #expect(subscribed.type == "ok", "\(subscribed)")
                    let first = try await a.request(.send("hi bob", key: "k1", to: typed(room)))
                    #expect(first.type == "ok" && first.result["duplicate"] as? Bool == false, "\(first)")
                    let original = first.result["message"] as? [String: Any] ?? [:]
                    let seq = try #require(original.int("seq"))
                    let event = try await b.event(room, seq: seq)
                    #expect(event["kind"] as? String == "message.created")
                    #expect(event.message["text"] as? String == "hi bob")
                    let ack = try await b.request(.ack(typed(room), seq: seq))
                    #expect(ack.type == "ok" && ack.result.int("seq") == seq, "\(ack)")

                    let repeated = try await a.request(.send("hi bob", key: "k1", to: typed(room)))
                    #expect(repeated.type == "ok" && repeated.result["duplicate"] as? Bool == true, "\(repeated)")
                    let again = repeated.result["message"] as? [String: Any] ?? [:]
                    #expect(again["id"] as? String == original["id"] as? String)
                    #expect(again.int("seq") == seq)

                    let second = try await a.request(.send("second", key: "k2", to: typed(room)))
                    #expect(second.result.message.int("seq") == seq + 1 || (second.result["message"] as? [String: Any])?["seq"] as? Int64 == seq + 1)
                    try await b.event(room, seq: seq + 1)
                    // The repeat produced no event: bob saw exactly seq, seq + 1.
                    #expect(b.seqs(in: room) == [seq, seq + 1])
                    return true
                }
                return true
            }
        }
    }

    @Test("an ack without id takes effect where it arrives, and never ahead of an earlier request of its connection")
    func inlineAckKeepsItsPlace() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            let room = try await http.group(by: alice, members: [bob])
            _ = try await Peer.with(server, token: bob.token) { b in
                _ = try await b.ready()
                #expect(try await b.request(.subscribe(typed(room), after: 0)).type == "ok")
                let first = try #require(try await http.send("one", to: room, as: alice).int("seq"))
                let second = try #require(try await http.send("two", to: room, as: alice).int("seq"))
                try await b.event(room, seq: second)
                // No id: nothing is answered, but the cursor moves (a later ack at or below it
                // answers the cursor).
                try await b.write(.ack(typed(room), seq: second))
                let check = try await b.request(.ack(typed(room), seq: first))
                #expect(check.type == "ok" && check.result.int("seq") == second, "\(check)")
                // An ack written right after an unsubscribe is judged after it: not_subscribed.
                let mark = b.all.count
                try await b.write(["type": "unsubscribe", "id": "u1", "conversation": room])
                try await b.write(.ack(typed(room), seq: second))
                let refused = try await b.wait(from: mark, "the ack's refusal") { $0.type == "error" && $0["id"] == nil }
                #expect(refused.code == "not_subscribed", "\(refused)")
                let order = b.all.dropFirst(mark).compactMap { frame -> String? in
                    frame["id"] as? String == "u1" ? "unsubscribe" : (frame.type == "error" ? "ack" : nil)
                }
                #expect(order == ["unsubscribe", "ack"], "answers in request order: \(order)")
                return true
            }
        }
    }

    @Test("a host calling messaging.messages.send directly reaches a subscribed WebSocket client; a subscriber of another room sees nothing")
    func hostSendReachesSubscribers() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            let carol = try await http.user("carol")
            let room = try await http.group(by: alice, members: [bob])
            let other = try await http.group(by: alice, members: [carol], title: "other")
            _ = try await Peer.with(server, token: bob.token) { b in
                _ = try await b.ready()
                _ = try await Peer.with(server, token: carol.token) { c in
                    _ = try await c.ready()
                    #expect(try await b.request(.subscribe(typed(room), after: 0)).type == "ok")
                    #expect(try await c.request(.subscribe(typed(other), after: 0)).type == "ok")
                    // No gateway and no HTTP route: the host calls the use case itself.
                    let sent = try await server.server.messaging.messages.send(
                        try MessageDraft(text: "from the host", clientMessageID: ClientMessageID("host-1")),
                        to: try #require(ConversationID(room)), by: try #require(UserID(alice.id)))
                    let event = try await b.event(room, seq: sent.message.seq)
                    #expect(event.message["text"] as? String == "from the host")
                    // A later event in carol's own room arrives, and it is the only event she got.
                    let forCarol = try await http.send("for carol", to: other, as: alice)
                    let mine = try await c.event(other, seq: try #require(forCarol.int("seq")))
                    #expect(mine.message["text"] as? String == "for carol")
                    let carolsEvents = c.all.filter { $0.type == "event" }.compactMap { $0["event"] as? [String: Any] }
                    #expect(carolsEvents.allSatisfy { ($0["conversation"] as? String)?.lowercased() == other.lowercased() }, "\(carolsEvents)")
                    #expect(c.seqs(in: room).isEmpty)
                    return true
                }
                return true
            }
        }
    }

    @Test("a client that reconnects receives exactly the events it missed, in order, then live ones")
    func resumeAfterDisconnect() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            let room = try await http.group(by: alice, members: [bob])
            let seen = try await Peer.with(server, token: bob.token) { b in
                _ = try await b.ready()
                _ = try await b.request(.subscribe(typed(room), after: 0))
                for index in 1...3 { try await http.send("before \(index)", to: room, as: alice) }
                try await b.event(room, seq: 3)
                return b.seqs(in: room)
            }.value
            #expect(seen == [1, 2, 3])
            for index in 4...8 { try await http.send("while away \(index)", to: room, as: alice) }
            let resumed = try await Peer.with(server, token: bob.token) { b in
                _ = try await b.ready()
                let answer = try await b.request(.subscribe(typed(room), after: 3))
                #expect(answer.type == "ok", "\(answer)")
                try await b.event(room, seq: 8)
                try await http.send("live", to: room, as: alice)
                let live = try await b.event(room, seq: 9)
                #expect(live.message["text"] as? String == "live")
                return (b.seqs(in: room), b.all.filter { $0.type == "event" }.map { ($0["event"] as? [String: Any])?.message["text"] as? String ?? "" })
            }.value
            #expect(resumed.0 == [4, 5, 6, 7, 8, 9])
            #expect(resumed.1 == ["while away 4", "while away 5", "while away 6", "while away 7", "while away 8", "live"])
        }
    }

    @Test("a server restart in the middle loses nothing: the client is told to go away, then resumes on the restarted server")
    func serverRestart() async throws {
        let directory = try TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try await TestServer.start(directory: directory)
        let http = HTTPClient(base: first.base)
        let alice = try await http.user("alice")
        let bob = try await http.user("bob")
        let room = try await http.group(by: alice, members: [bob])
        let before = try await Peer.with(first, token: bob.token) { b in
            _ = try await b.ready()
            _ = try await b.request(.subscribe(typed(room), after: 0))
            for index in 1...2 { try await http.send("before restart \(index)", to: room, as: alice) }
            try await b.event(room, seq: 2)
            // Stop the server while bob is connected.
            let stopper = Task { try await first.stop(removingFiles: false) }
            while b.connection.closeStatus == nil { try await Task.sleep(for: .milliseconds(10)) }
            return (b.seqs(in: room), stopper)
        }
        try await before.value.1.value
        #expect(before.close?.code == .goingAway, "\(String(describing: before.close))")
        #expect(before.value.0 == [1, 2])

        let second = try await TestServer.start(directory: directory)
        let http2 = HTTPClient(base: second.base)
        for index in 3...4 { try await http2.send("after restart \(index)", to: room, as: alice) }
        let after = try await Peer.with(second, token: bob.token) { b in
            _ = try await b.ready()
            _ = try await b.request(.subscribe(typed(room), after: 2))
            try await b.event(room, seq: 4)
            return b.seqs(in: room)
        }.value
        #expect(after == [3, 4])
        let history = try await http2.call("GET", "/v1/conversations/\(room)/messages", token: bob.token)
        let texts = (history["messages"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }.sorted()
        #expect(texts == ["after restart 3", "after restart 4", "before restart 1", "before restart 2"])
        try await second.stop(removingFiles: false)
    }

    @Test("a member removed over HTTP stops receiving on the open socket at once (issue #13, item 4)")
    func removedMemberStopsReceiving() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            let room = try await http.group(by: alice, members: [bob])
            try await http.send("before", to: room, as: alice)
            let seen = try await Peer.with(server, token: bob.token) { b in
                _ = try await b.ready()
                _ = try await b.request(.subscribe(typed(room), after: 0))
                try await b.event(room, seq: 1)
                let removed = try await http.call("DELETE", "/v1/conversations/\(room)/members/\(bob.id)", token: alice.token)
                #expect(removed.status == 204, "\(removed)")
                let left = try await b.event(room, seq: 2)
                #expect(left["kind"] as? String == "member.left")
                for index in 1...3 { try await http.send("after \(index)", to: room, as: alice) }
                _ = try await http.call("PATCH", "/v1/conversations/\(room)", token: alice.token, json: ["title": "renamed"])
                try await Task.sleep(for: .milliseconds(500))
                let again = try await b.request(.subscribe(typed(room), after: 0))
                #expect(again.code == "not_found")
                return b.seqs(in: room)
            }
            #expect(seen.value == [1, 2], "nothing after bob's own member.left: \(seen.value)")
        }
    }

    @Test("a slow consumer is closed with 4410 while others keep receiving; it resumes with nothing lost")
    func slowConsumer() async throws {
        try await TestServer.with(configure: {
            $0.limits.rateLimits = .unlimited
            $0.limits.outboundQueue = SessionQueueLimits(maxEvents: 64, maxBytes: 1 << 20)
        }) { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            let carol = try await http.user("carol")
            let room = try await http.group(by: alice, members: [bob, carol])
            let total: Int64 = 600
            let body = String(repeating: "z", count: 15_000)
            let url = "ws://127.0.0.1:\(server.port)/v1/realtime"
            // Bob subscribes, then does not read while ~9 MB of events are sent.
            let flooded = AsyncStream<Void>.makeStream()
            let slow = Task {
                try await WebSocketTransportClient(url: url, bearerToken: bob.token, logger: .quiet).withConnection { connection in
                    _ = try await connection.receive()  // ready
                    try await connection.write(.text(#"{"type":"subscribe","id":"s","conversation":"\#(room)","after":0}"#))
                    for await _ in flooded.stream {}
                    var last: Int64 = 0
                    while let frame = try await connection.receive() {
                        let json = Peer.parse(frame.string ?? "")
                        // Unacknowledged events are redelivered: keep each seq above the last kept.
                        if json.type == "event", let seq = (json["event"] as? [String: Any])?.int("seq"), seq > last {
                            #expect(seq == last + 1, "gapless until the close")
                            last = seq
                        }
                    }
                    return last
                }
            }
            let carolSeqs = try await Peer.with(server, token: carol.token, autoAck: true) { c in
                _ = try await c.ready()
                _ = try await c.request(.subscribe(typed(room), after: 0))
                for index in 1...total { try await http.send("\(index) \(body)", to: room, as: alice) }
                try await c.event(room, seq: total, timeout: .seconds(60))
                return c.keptSeqs(in: room)
            }.value
            flooded.continuation.finish()
            let outcome = try await slow.value
            #expect(carolSeqs == Array(1...total), "the reader got every event in order")
            // The server closed the connection with 4410. The close frame queues behind the
            // unread bytes, and the server stops waiting for them after its close timeout
            // (5 s): a client that resumes reading later sees the data, then the end of the
            // stream without a close frame (Protocol.md §12). Either way it resumes.
            #expect(outcome.close == nil || outcome.close?.code == .resyncRequired, "\(String(describing: outcome.close))")
            #expect(outcome.value < total, "bob was cut off before the end")
            // Bob resumes from the last seq he saw and gets the rest.
            let rest = try await Peer.with(server, token: bob.token, autoAck: true) { b in
                _ = try await b.ready()
                _ = try await b.request(.subscribe(typed(room), after: outcome.value))
                try await b.event(room, seq: total, timeout: .seconds(60))
                return b.keptSeqs(in: room)
            }.value
            #expect(rest == Array((outcome.value + 1)...total))
        }
    }

    @Test("frames: oversized → 1009; invalid JSON, unknown type, unknown field, invalid UTF-8 → typed errors; garbage never crashes the server")
    func badFrames() async throws {
        try await TestServer.with(configure: { $0.limits.maxFrameBytes = 4096 }) { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let url = "ws://127.0.0.1:\(server.port)/v1/realtime"
            let big = try await WebSocketTransportClient(url: url, bearerToken: alice.token, logger: .quiet).withConnection { connection in
                _ = try await connection.receive()
                try? await connection.write(.text(String(repeating: "a", count: 5000)))
                while try await connection.receive() != nil {}
                return true
            }
            #expect(big.close?.code == .messageTooBig)

            let codes = try await Peer.with(server, token: alice.token) { a in
                _ = try await a.ready()
                var codes: [String] = []
                for frame: TransportFrame in [
                    .text("{"), .text(#"{"type":"teleport","id":"t1"}"#), .text(#"{"type":"ping","sneaky":1}"#),
                    .text([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D]),
                ] {
                    let start = a.count
                    try await a.connection.write(frame)
                    codes.append(try await a.wait(from: start, "error frame") { $0.type == "error" }.code ?? "?")
                }
                let start = a.count
                try await a.write(.ping)
                _ = try await a.wait(from: start, "pong") { $0.type == "pong" }
                return codes
            }.value
            #expect(codes == ["bad_frame", "unknown_type", "unknown_field", "invalid_utf8"])

            // Random garbage on several connections: the server answers or closes, and lives.
            for _ in 0..<5 {
                _ = try await WebSocketTransportClient(url: url, bearerToken: alice.token, logger: .quiet).withConnection { connection in
                    _ = try await connection.receive()
                    var generator = SystemRandomNumberGenerator()
                    for _ in 0..<60 {
                        let length = Int.random(in: 0...300, using: &generator)
                        let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                        do { try await connection.write(Bool.random() ? .text(bytes) : .binary(bytes)) } catch { break }
                    }
                    await connection.close(.normal, reason: "done")
                    return true
                }
            }
            #expect(try await http.call("GET", "/healthz").status == 200)
            let again = try await Peer.with(server, token: alice.token) { a in try await a.ready().type }
            #expect(again.value == "ready")
        }
    }

    @Test("abuse: a flood of sends is rate-limited with a retry time; a revoked session's socket closes within a second")
    func abuse() async throws {
        try await TestServer.with(configure: {
            $0.limits.rateLimits.perUser[.message] = TokenBucketRule(burst: 5, perSecond: 0.01)
        }) { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            let room = try await http.group(by: alice, members: [bob])
            let flood = try await Peer.with(server, token: alice.token) { a in
                _ = try await a.ready()
                for index in 0..<80 {
                    try await a.write(["type": "send", "id": "f\(index)", "conversation": room, "clientMessageId": "f\(index)", "text": "spam"])
                }
                let limited = try await a.wait("rate_limited") { $0.code == "rate_limited" }
                return limited.int("retryAfterMs") ?? -1
            }
            #expect(flood.value > 0, "the error says when to retry")

            let revoked = try await Peer.with(server, token: bob.token) { b in
                _ = try await b.ready()
                let answer = try await http.call("DELETE", "/v1/sessions/\(bob.session)", token: alice.token)
                // Alice cannot revoke Bob's session; Bob can.
                #expect(answer.status == 404 || answer.status == 403, "\(answer)")
                #expect(b.connection.closeStatus == nil)
                let own = try await http.call("DELETE", "/v1/sessions/\(bob.session)", token: bob.token)
                #expect(own.status == 204, "\(own)")
                // From the moment the revocation is committed and answered.
                let start = ContinuousClock.now
                while b.connection.closeStatus == nil, ContinuousClock.now - start < .seconds(5) {
                    try await Task.sleep(for: .milliseconds(5))
                }
                return ContinuousClock.now - start
            }
            #expect(revoked.close?.code == .forbidden, "\(String(describing: revoked.close))")
            #expect(revoked.value < .seconds(1), "closed after \(revoked.value)")
        }
    }
}
