import Foundation
import MessagingCore
@testable import MessagingTransport
@testable import MessagingWire
import TestSupport
import Testing

@Suite("Gateway: per-address limits, protocol version, shutdown")
struct GatewayLifecycleTests {
    @Test("users behind one address share the address's bucket; another address is unaffected")
    func perAddress() async throws {
        var configuration = GatewayConfiguration.testing
        configuration.rateLimits = RateLimits(perUser: [:], perAddress: [.query: .init(burst: 3, perSecond: 0.001)])
        try await Harness.with(configuration: configuration) { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let room = try await h.group(alice, [bob])
            let a = try await h.connect(as: alice, address: "198.51.100.7")
            let b = try await h.connect(as: bob, address: "198.51.100.7")
            let elsewhere = try await h.connect(as: bob, address: "203.0.113.5")
            var codes: [String] = []
            for client in [a, b, a, b] {
                let answer = try await client.request(.history(room))
                codes.append(answer["type"]?.string == "ok" ? "ok" : answer["code"]?.string ?? "?")
            }
            #expect(codes == ["ok", "ok", "ok", "rate_limited"])
            let other = try await elsewhere.request(.history(room))
            #expect(other["type"]?.string == "ok")
        }
    }

    @Test("an auth frame asking for another protocol version is refused (1008)")
    func protocolVersion() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let client = try h.connect()
            try await client.send(["type": "auth", "id": "a", "token": alice.token, "protocol": 2])
            let (close, frames) = try await client.closed()
            #expect(close?.code == .policyViolation)
            #expect(frames.first?["code"]?.string == "unsupported_protocol")
        }
    }

    @Test("stopping the gateway closes every connection with 1001 going away")
    func shutdown() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(at: h.directory) }
        let alice = try await h.user("alice")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await h.gateway.run() }
            group.addTask { try await h.gateway.serve(h.transport) }
            let client = try await h.connect(as: alice)
            #expect(h.gateway.connectionCount == 1)
            h.transport.stopListening()
            group.cancelAll()
            let (close, _) = try await client.closed()
            #expect(close?.code == .goingAway)
            try await group.waitForAll()
        }
        #expect(h.gateway.connectionCount == 0)
    }

    @Test("presence: a watcher sees a member come online through presence frames")
    func presence() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            _ = try await h.group(alice, [bob])
            let a = try await h.connect(as: alice)
            let watched = try await a.request(.watch([bob.id]))
            #expect(watched["result"]?["presence"]?.array?.first?["state"]?.string == "offline", "\(watched)")
            let b = try await h.connect(as: bob)
            let beat = try await b.request(.presence(.active, status: .set("here")))
            #expect((beat["result"]?["ttlMs"]?.int ?? 0) > 0, "\(beat)")
            var online: JSONValue?
            while online == nil, let frame = try await a.next() {
                if frame["type"]?.string == "presence", frame["presence"]?["state"]?.string == "online" { online = frame }
            }
            #expect(online?["presence"]?["userID"]?.string == "\(bob.id)")
        }
    }

    @Test("a reaction from a connection not subscribed to the conversation reaches subscribers when it names the conversation")
    func reactionFanout() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let room = try await h.group(alice, [bob])
            let message = try await h.sendDirect("react to me", to: room, by: bob)
            let b = try await h.connect(as: bob)
            let subscribed = try await b.request(.subscribe(room, after: message.seq))
            #expect(subscribed["type"]?.string == "ok")
            let a = try await h.connect(as: alice)
            let reacted = try await a.request(.react("🔥", to: message.id, in: room))
            #expect(reacted["type"]?.string == "ok", "\(reacted)")
            let events = try await b.events(1)
            #expect(events[0]["kind"]?.string == "reaction.added")
            #expect(events[0]["emoji"]?.string == "🔥")
            #expect(events[0]["message"]?.string == "\(message.id)")
            #expect(events[0]["seq"]?.int == message.seq + 1)
        }
    }
}
