import Foundation
import MessagingCore
@testable import MessagingTransport
@testable import MessagingWire
import TestSupport
import Testing

@Suite("Gateway: handshake, validation, limits, revocation")
struct GatewaySecurityTests {
    @Test("no token, a bad token, an expired token, a revoked session: refused with 4401")
    func handshakeRefusals() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let room = try await h.group(alice, [])
            // A request before auth.
            let early = try h.connect()
            try await early.send(["type": "subscribe", "id": "1", "conversation": "\(room)"])
            let (close1, frames1) = try await early.closed()
            #expect(close1?.code == .unauthorized)
            #expect(frames1.first?["code"]?.string == "unauthorized")

            // An invalid frame before auth: its typed error, then 4401.
            let garbage = try h.connect()
            try await garbage.sendRaw(.text("{oops"))
            let (closeG, framesG) = try await garbage.closed()
            #expect(closeG?.code == .unauthorized)
            #expect(framesG.first?["code"]?.string == "bad_frame")


            let forged = try h.connect()
            try await forged.send(["type": "auth", "id": "a", "token": "eyJhbGciOiJub25lIn0.e30."])
            let (close2, frames2) = try await forged.closed()
            #expect(close2?.code == .unauthorized)
            #expect(frames2.first?["id"]?.string == "a")

            h.tokenClock.advance(milliseconds: 3_600_000)
            let expired = try h.connect()
            try await expired.send(["type": "auth", "id": "a", "token": alice.token])
            #expect(try await expired.closed().0?.code == .unauthorized)
            h.tokenClock.advance(milliseconds: -3_600_000)

            let principal = try await h.tokens.verify(alice.token)
            try await h.auth.revokeSession(alice.sessionID, by: principal)
            try await Task.sleep(for: .milliseconds(50))
            let revoked = try h.connect()
            try await revoked.send(["type": "auth", "id": "a", "token": alice.token])
            let (close4, frames4) = try await revoked.closed()
            #expect(close4?.code == .unauthorized)
            #expect(frames4.first?["code"]?.string == "unauthorized")
        }
    }

    @Test("the upgrade request's bearer token authenticates without an auth frame")
    func headerToken() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let client = try h.connect(bearer: alice.token)
            let ready = try #require(try await client.next())
            #expect(ready["type"]?.string == "ready")
            #expect(ready["user"]?.string == "\(alice.id)")
            #expect(ready["protocol"]?.int == 1)
            // The same token again renews nothing and is answered with its expiry.
            let again = try await client.request(.auth(token: alice.token))
            #expect(again["type"]?.string == "ok", "\(again)")
            #expect(again["result"]?["expiresAt"]?.int != nil)
        }
    }

    @Test("no auth frame within the handshake timeout: 4401; silence after it: 4408")
    func timeouts() async throws {
        var configuration = GatewayConfiguration.testing
        configuration.authTimeout = .milliseconds(200)
        configuration.idleTimeout = .milliseconds(300)
        configuration.pingInterval = .milliseconds(100)
        try await Harness.with(configuration: configuration) { h in
            let alice = try await h.user("alice")
            let silent = try h.connect()
            #expect(try await silent.closed().0?.code == .unauthorized)
            let idle = try await h.connect(as: alice)
            let (close, frames) = try await idle.closed()
            #expect(close?.code == .timeout)
            #expect(frames.contains { $0["type"]?.string == "ping" })
        }
    }

    @Test("invalid frames get typed error frames and the connection stays; oversized closes with 1009; a stream of garbage with 1008")
    func frameValidation() async throws {
        var configuration = GatewayConfiguration.testing
        configuration.protocolLimits = ProtocolLimits(maxFrameBytes: 2048, maxDepth: 6, maxConsecutiveInvalidFrames: 10)
        try await Harness.with(configuration: configuration) { h in
            let alice = try await h.user("alice")
            let client = try await h.connect(as: alice)
            let cases: [(TransportFrame, String)] = [
                (.text("{not json"), "bad_frame"),
                (.text(#"{"type":"fly","id":"x1"}"#), "unknown_type"),
                (.text(#"{"type":"ping","id":"x2","sneaky":true}"#), "unknown_field"),
                (.text(#"{"type":"ping","a":[[[[[[[]]]]]]]}"#), "too_deep"),
                (.text([0x7B, 0xC3, 0x28, 0x7D]), "invalid_utf8"),
                (.text(#"{"type":"subscribe","id":"x3"}"#), "missing_field"),
            ]
            for (frame, expected) in cases {
                try await client.sendRaw(frame)
                let answer = try #require(try await client.next())
                #expect(answer["type"]?.string == "error")
                #expect(answer["code"]?.string == expected, "\(answer)")
            }
            // Still open and serving.
            try await client.send(.ping)
            #expect(try await client.next()?["type"]?.string == "pong")

            try await client.sendRaw(.text(#"{"type":"ping","pad":""# + String(repeating: "a", count: 4096) + #""}"#))
            let (close, frames) = try await client.closed()
            #expect(close?.code == .messageTooBig)
            #expect(frames.first?["code"]?.string == "frame_too_big")

            let garbage = try await h.connect(as: alice)
            for _ in 0..<10 { try? await garbage.sendRaw(.text("]")) }
            #expect(try await garbage.closed().0?.code == .policyViolation)
        }
    }

    @Test("a send flood is rate-limited with a retry time, and a connection that keeps going is closed with 4429")
    func rateLimit() async throws {
        var configuration = GatewayConfiguration.testing
        configuration.rateLimits = RateLimits(
            // A slow refill (one token per 100 s) keeps the count exact however loaded the machine is.
            perUser: [.message: .init(burst: 5, perSecond: 0.01)], perAddress: [:], closeAfterConsecutiveRejections: 10)
        try await Harness.with(configuration: configuration) { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let room = try await h.group(alice, [bob])
            let client = try await h.connect(as: alice)
            var accepted = 0
            var limited: [JSONValue] = []
            for index in 0..<8 {
                let answer = try await client.request(.send("flood", key: "f\(index)", to: room))
                if answer["type"]?.string == "ok" { accepted += 1 } else { limited.append(answer) }
            }
            #expect(accepted == 5)
            #expect(limited.count == 3)
            #expect(limited.allSatisfy { $0["code"]?.string == "rate_limited" })
            let retry = try #require(limited.first?["retryAfterMs"]?.int)
            #expect(retry > 0 && retry <= 100_000)
            // Other actions are not affected.
            try await client.send(.ping)
            #expect(try await client.next()?["type"]?.string == "pong")
            // Keep flooding: the connection is closed.
            for index in 0..<40 {
                try? await client.send(["type": "send", "id": "g\(index)", "conversation": "\(room)", "clientMessageId": "g\(index)", "text": "x"])
            }
            let (close, _) = try await client.closed()
            #expect(close?.code == .rateLimited)
            #expect(close?.reason.contains("retry-after-ms=") == true)
            // Only the allowed ones were stored.
            let stored = try await h.messaging.messages.history(of: room, for: alice.id).messages.count
            #expect(stored == 5, "\(stored) stored")
        }
    }

    @Test("a revoked session's connection closes within a second with 4403; other sessions stay")
    func revocation() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let phone = try await h.login("alice", alice.id)
            let laptop = try await h.connect(as: alice)
            let other = try await h.connect(as: phone)
            let principal = try await h.tokens.verify(alice.token)
            try await h.auth.revokeSession(alice.sessionID, by: principal)
            // Timed from the committed revocation: the store write itself is not the feed's lag.
            let start = ContinuousClock.now
            let (close, _) = try await laptop.closed(timeout: .seconds(2))
            #expect(close?.code == .forbidden)
            #expect(ContinuousClock.now - start < .seconds(1))
            try await other.send(.ping)
            #expect(try await other.next()?["type"]?.string == "pong")
        }
    }

    @Test("connections per user are capped (4409)")
    func connectionCap() async throws {
        var configuration = GatewayConfiguration.testing
        configuration.maxConnectionsPerUser = 2
        try await Harness.with(configuration: configuration) { h in
            let alice = try await h.user("alice")
            let first = try await h.connect(as: alice)
            _ = try await h.connect(as: alice)
            let third = try h.connect()
            try await third.send(["type": "auth", "id": "a", "token": alice.token])
            let (close, frames) = try await third.closed()
            #expect(close?.code == .tooManyConnections)
            #expect(frames.first?["code"]?.string == "too_many_connections")
            await first.close()
            try await Task.sleep(for: .milliseconds(100))
            _ = try await h.connect(as: alice)
        }
    }
}
