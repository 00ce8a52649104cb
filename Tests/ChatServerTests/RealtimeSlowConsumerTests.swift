@testable import ChatServerApp
import Foundation
import MessagingCore
import MessagingDelivery
import MessagingTransport
import MessagingWebSocket
import Synchronization
import Testing

/// A client that stops reading costs the server a bounded amount of memory and is closed
/// for resync; the other subscribers of the conversation are not held back (issue #14).
@Suite("ChatServer realtime: a client that reads nothing", .timeLimit(.minutes(5)))
struct RealtimeSlowConsumerTests {
    @Test("100,000 events published while one subscriber reads nothing: its queue stays within the documented limit, it is closed for resync, a reader (resuming when it falls behind) gets all 100,000 in order")
    func nonReaderIsBoundedAndClosed() async throws {
        let total = 100_000
        let batch = 1_000
        try await TestServer.with(configure: { $0.limits.rateLimits = .unlimited }) { server in
            let limits = server.server.configuration.limits.outboundQueue
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            let carol = try await http.user("carol")
            let room = try await http.group(by: alice, members: [bob, carol])
            let roomID = try #require(ConversationID(room))
            let bobID = try #require(UserID(bob.id))
            let url = "ws://127.0.0.1:\(server.port)/v1/realtime"
            let subscribe = #"{"type":"subscribe","id":"s","conversation":"\#(room)","after":0}"#

            // Bob subscribes, then reads nothing until told.
            let subscribed = AsyncStream<Void>.makeStream()
            let released = AsyncStream<Void>.makeStream()
            let slow = Task {
                try await WebSocketTransportClient(url: url, bearerToken: bob.token, logger: .quiet).withConnection { connection in
                    _ = try await connection.receive()  // ready
                    try await connection.write(.text(subscribe))
                    _ = try await connection.receive()  // ok
                    subscribed.continuation.yield()
                    for await _ in released.stream {}
                    while try await connection.receive() != nil {}
                    return true
                }
            }
            // Carol reads everything and acknowledges as she goes; when she falls behind
            // (a busy machine) she is closed for resync like anyone, and resumes from her
            // last seq, as a client does.
            let carolReady = AsyncStream<Void>.makeStream()
            let fast = Task {
                var seqs: [Int64] = []
                seqs.reserveCapacity(total)
                var connections = 0
                let deadline = ContinuousClock.now + .seconds(240)
                while seqs.count < total, ContinuousClock.now < deadline {
                    connections += 1
                    let after = seqs.last ?? 0
                    let kept = try await WebSocketTransportClient(url: url, bearerToken: carol.token, logger: .quiet).withConnection {
                        connection in
                        _ = try await connection.receive()
                        try await connection.write(
                            .text(#"{"type":"subscribe","id":"s","conversation":"\#(room)","after":\#(after)}"#))
                        carolReady.continuation.yield()
                        var kept: [Int64] = []
                        var last = after
                        while last < Int64(total), let frame = try await connection.receive() {
                            guard let seq = Self.eventSeq(frame.bytes), seq > last else { continue }
                            #expect(seq == last + 1, "gapless within a connection")
                            kept.append(seq)
                            last = seq
                            if kept.count % 1_000 == 0 {
                                try await connection.write(.text(#"{"type":"ack","conversation":"\#(room)","seq":\#(seq)}"#))
                            }
                        }
                        return kept
                    }
                    seqs += kept.value
                }
                return (seqs, connections)
            }
            var waiter = subscribed.stream.makeAsyncIterator()
            _ = await waiter.next()
            var carolWaiter = carolReady.stream.makeAsyncIterator()
            _ = await carolWaiter.next()

            // The host publishes 100,000 events (100 transactions of 1,000 messages).
            let messaging = server.server.messaging
            let aliceID = try #require(UserID(alice.id))
            var peakBytes = 0
            var peakEvents = 0
            for start in stride(from: 0, to: total, by: batch) {
                let drafts = try (start..<(start + batch)).map {
                    try MessageDraft(text: "message \($0) " + String(repeating: "x", count: 150), clientMessageID: ClientMessageID("m\($0)"))
                }
                _ = try await messaging.messages.send(drafts, to: roomID, by: aliceID)
                let queued = server.server.gateway.queuedOutbound(of: bobID)
                peakBytes = max(peakBytes, queued.bytes)
                peakEvents = max(peakEvents, queued.events)
            }
            print("slow consumer: peak queued for the non-reader \(peakEvents) events, \(peakBytes) bytes (limits \(limits.maxEvents) events, \(limits.maxBytes) bytes)")
            #expect(peakBytes <= limits.maxBytes)
            #expect(peakEvents <= limits.maxEvents)

            // Bob's connection is closed (resync) without his reading anything.
            let deadline = ContinuousClock.now + .seconds(20)
            while server.server.gateway.connectionCount(of: bobID) > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(server.server.gateway.connectionCount(of: bobID) == 0, "the non-reader was closed")
            #expect(server.server.gateway.queuedOutbound(of: bobID).bytes == 0)
            released.continuation.finish()
            let outcome = try await slow.value
            #expect(outcome.close == nil || outcome.close?.code == .resyncRequired, "\(String(describing: outcome.close))")

            let (carolSeqs, carolConnections) = try await fast.value
            print("slow consumer: the reader took \(carolSeqs.count) events over \(carolConnections) connection(s)")
            #expect(carolSeqs.count == total)
            #expect(carolSeqs.first == 1 && carolSeqs.last == Int64(total))
            #expect(zip(carolSeqs, carolSeqs.dropFirst()).allSatisfy { $1 == $0 + 1 }, "gapless and in order")
        }
    }

    /// The `seq` of an event frame (the number after `"seq":` inside `"event":{…}`), or `nil`.
    static func eventSeq(_ bytes: [UInt8]) -> Int64? {
        let json = Peer.parse(String(decoding: bytes, as: UTF8.self))
        guard json.type == "event" else { return nil }
        return (json["event"] as? [String: Any])?.int("seq")
    }
}
