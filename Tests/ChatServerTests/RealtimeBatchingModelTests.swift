@testable import ChatServerApp
import Foundation
import MessagingCore
import MessagingDelivery
import MessagingTransport
import MessagingWebSocket
import Synchronization
import Testing
import TestSupport

/// Batched writes never reorder, drop or duplicate: random interleavings of realtime, HTTP
/// and host sends (single and in bursts), acknowledgements, reconnects that resume with
/// `after`, and readers that pause, checked against the gapless rule on every receiver
/// (issue #14).
@Suite("ChatServer realtime: batching model", .timeLimit(.minutes(5)))
struct RealtimeBatchingModelTests {
    /// One receiver: reconnects until told to stop, resumes after the last `seq` it kept,
    /// and records every rule violation it sees.
    final class Receiver: Sendable {
        struct State {
            var last: Int64 = 0
            var violations: [String] = []
            var paused = false
            var connection: WebSocketConnection?
            var stopped = false
            var connections = 0
            var redelivered = 0
        }

        let name: String
        let token: String
        let state = Mutex(State())

        init(name: String, token: String) {
            self.name = name
            self.token = token
        }

        var last: Int64 { state.withLock { $0.last } }

        func run(url: String, room: String) async {
            while !state.withLock({ $0.stopped }) {
                _ = try? await WebSocketTransportClient(url: url, bearerToken: token, logger: .quiet).withConnection { connection in
                    // Registered under the same lock `stop()` sets `stopped` with: a connection
                    // opened while stopping is either closed by `stop()` or ends here.
                    let (after, stopped) = self.state.withLock { state -> (Int64, Bool) in
                        state.connection = connection
                        state.connections += 1
                        return (state.last, state.stopped)
                    }
                    if stopped { return true }
                    _ = try await connection.receive()  // ready
                    try await connection.write(.text(#"{"type":"subscribe","id":"s","conversation":"\#(room)","after":\#(after)}"#))
                    var sinceAck = 0
                    var keptHere = 0
                    while let frame = try await connection.receive() {
                        while self.state.withLock({ $0.paused }) { try await Task.sleep(for: .milliseconds(5)) }
                        let json = Peer.parse(frame.string ?? "")
                        guard json.type == "event", let seq = (json["event"] as? [String: Any])?.int("seq") else { continue }
                        self.state.withLock { state in
                            if seq <= state.last {
                                state.redelivered += 1
                            } else if seq != state.last + 1 {
                                state.violations.append(
                                    "\(self.name): seq \(seq) after \(state.last) (connection \(state.connections), "
                                        + "subscribed after \(after), \(keptHere) kept on it before)")
                                state.last = seq
                                keptHere += 1
                            } else {
                                state.last = seq
                                keptHere += 1
                            }
                        }
                        sinceAck += 1
                        if sinceAck >= 7 {
                            sinceAck = 0
                            try await connection.write(.text(#"{"type":"ack","conversation":"\#(room)","seq":\#(self.last)}"#))
                        }
                    }
                    return true
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }

        func disconnect() async {
            let connection = state.withLock { $0.connection }
            await connection?.close(.normal, reason: "model: reconnect")
        }

        func stop() async {
            state.withLock { $0.stopped = true; $0.paused = false }
            await disconnect()
        }
    }

    @Test("random sends, bursts, acks, pauses and reconnects: every receiver sees 1…n in order, without gaps", arguments: [UInt64(14), 1_014])
    func model(seed: UInt64) async throws {
        try await TestServer.with(configure: {
            $0.limits.rateLimits = .unlimited
            // A small queue, so that pauses overflow it and exercise the resync path too.
            $0.limits.outboundQueue = SessionQueueLimits(maxEvents: 64, maxBytes: 1 << 20)
        }) { server in
            var random = SeededGenerator(seed: seed)
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let others = [try await http.user("bob"), try await http.user("carol"), try await http.user("dave")]
            let room = try await http.group(by: alice, members: others)
            let roomID = try #require(ConversationID(room))
            let aliceID = try #require(UserID(alice.id))
            let url = "ws://127.0.0.1:\(server.port)/v1/realtime"
            // Two receivers per member: one user's devices are independent sessions.
            let receivers = others.flatMap { user in
                [Receiver(name: "\(user.id)-a", token: user.token), Receiver(name: "\(user.id)-b", token: user.token)]
            }
            // The receivers run until stopped; stop them whatever happens to the steps.
            let runs = receivers.map { receiver in Task { await receiver.run(url: url, room: room) } }
            func stopAll() async {
                for receiver in receivers { await receiver.stop() }
                for run in runs { await run.value }
            }
            do {
                // Let them subscribe before the first send.
                try await Task.sleep(for: .milliseconds(300))
                for step in 0..<120 {
                    switch Int.random(in: 0..<10, using: &random) {
                    case 0...3:
                        _ = try await http.send("http \(step)", to: room, as: alice)
                    case 4, 5:
                        let count = Int.random(in: 2...80, using: &random)
                        let drafts = try (0..<count).map {
                            try MessageDraft(text: "burst \(step).\($0)", clientMessageID: ClientMessageID("b\(step).\($0)"))
                        }
                        _ = try await server.server.messaging.messages.send(drafts, to: roomID, by: aliceID)
                    case 6:
                        // The same client id again: only the first one appends an event.
                        let answer = try await http.call(
                            "POST", "/v1/conversations/\(room)/messages", token: alice.token,
                            json: ["clientMessageId": "repeat", "body": "http again"])
                        #expect(answer.status == 201 || answer.status == 200, "\(answer)")
                    case 7:
                        await receivers.randomElement(using: &random)?.disconnect()
                    case 8:
                        let receiver = receivers.randomElement(using: &random)
                        receiver?.state.withLock { $0.paused = true }
                        try await Task.sleep(for: .milliseconds(Int.random(in: 5...60, using: &random)))
                        receiver?.state.withLock { $0.paused = false }
                    default:
                        try await Task.sleep(for: .milliseconds(Int.random(in: 0...20, using: &random)))
                    }
                }
            } catch {
                await stopAll()
                throw error
            }
            let final = try await server.server.messaging.conversations.conversation(roomID, for: aliceID).lastSeq
            let deadline = ContinuousClock.now + .seconds(60)
            while receivers.contains(where: { $0.last < final }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            await stopAll()
            for receiver in receivers {
                let state = receiver.state.withLock { $0 }
                #expect(state.violations.isEmpty, "\(state.violations)")
                #expect(state.last == final, "\(receiver.name) kept through \(state.last) of \(final)")
            }
            let connections = receivers.map { $0.state.withLock { $0.connections } }.reduce(0, +)
            let redelivered = receivers.map { $0.state.withLock { $0.redelivered } }.reduce(0, +)
            print("batching model seed \(seed): \(final) events, \(connections) connections, \(redelivered) redeliveries")
        }
    }
}
