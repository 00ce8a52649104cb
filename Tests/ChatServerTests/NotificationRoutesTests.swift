import Foundation
import MessagingCore
import MessagingWire
import TestSupport
import Testing

@Suite("ChatServer: notifications and push tokens over HTTP")
struct NotificationRoutesTests {
    /// Polls `GET /v1/notifications` until `done` holds (at most 15 s).
    static func notifications(
        _ http: HTTPClient, _ login: Login, until done: ([[String: Any]]) -> Bool
    ) async throws -> Answer {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            let answer = try await http.call("GET", "/v1/notifications", token: login.token)
            try #require(answer.status == 200, "\(answer)")
            if done(answer["notifications"] as? [[String: Any]] ?? []) { return answer }
            guard ContinuousClock.now < deadline else { throw TestFailure.timeout("notifications of \(login.handle)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test("a burst of 50 messages gives an offline member one notification; a connected member that acknowledged gets none")
    func burst() async throws {
        // A ten-minute window (tokens live fifteen): only the test's clock move closes it, however slowly a loaded
        // machine sends the burst.
        try await TestServer.with(configure: {
            $0.limits.rateLimits = .unlimited
            $0.notificationWindow = .seconds(600)
        }) { server in
            let http = HTTPClient(base: server.base)
            let (alice, bob, carol) = (try await http.user("alice"), try await http.user("bob"), try await http.user("carol"))
            let room = try await http.group(by: alice, members: [bob, carol])
            _ = try await Peer.with(server, token: carol.token, autoAck: true) { c in
                _ = try await c.ready()
                let subscribed = try await c.request(.subscribe(typed(room), after: 0))
                try #require(subscribed["type"] as? String == "ok", "\(subscribed)")
                for index in 1...50 {
                    let sent = try await http.call(
                        "POST", "/v1/conversations/\(room)/messages", token: alice.token,
                        json: ["clientMessageId": "burst-\(index)", "body": "message \(index)"])
                    try #require(sent.status == 201, "\(sent)")
                }
                try await c.event(room, seq: 50)
                // carol's acknowledgements are stored (the receipts show them) before the window closes.
                let deadline = ContinuousClock.now + .seconds(10)
                while true {
                    let receipts = try await http.call("GET", "/v1/conversations/\(room)/receipts", token: alice.token)
                    let carols = (receipts["receipts"] as? [[String: Any]])?.first { ($0["user"] as? String)?.lowercased() == carol.id.lowercased() }
                    if carols?.int("deliveredSeq") == 50 { break }
                    guard ContinuousClock.now < deadline else { throw TestFailure.timeout("carol's acknowledgements") }
                    try await Task.sleep(for: .milliseconds(50))
                }
                server.clock.advance(seconds: 601)
                let answer = try await Self.notifications(http, bob) { !$0.isEmpty }
                let records = answer["notifications"] as? [[String: Any]] ?? []
                #expect(records.count == 1, "one notification for the burst: \(records)")
                let record = try #require(records.first)
                #expect(record.int("count") == 50 && record.int("firstSeq") == 1 && record.int("latestSeq") == 50)
                #expect(record["reason"] as? String == "offline")
                #expect((record["conversation"] as? String)?.lowercased() == room.lowercased())
                #expect(record["readAt"] == nil || record["readAt"] is NSNull)
                #expect((answer["unread"] as? NSNumber)?.intValue == 1)
                // The scan has run (bob's record exists): carol, who received everything, has none; nor has the sender.
                let carols = try await http.call("GET", "/v1/notifications", token: carol.token)
                #expect((carols["notifications"] as? [[String: Any]])?.isEmpty == true, "\(carols)")
                let alices = try await http.call("GET", "/v1/notifications", token: alice.token)
                #expect((alices["notifications"] as? [[String: Any]])?.isEmpty == true, "\(alices)")

                // Marking read: another user's id changes nothing; bob's own does.
                let id = try #require(record["id"] as? String)
                let foreign = try await http.call("POST", "/v1/notifications/read", token: alice.token, json: ["ids": [id]])
                #expect(foreign.status == 200 && (foreign["marked"] as? NSNumber)?.intValue == 0, "\(foreign)")
                let marked = try await http.call("POST", "/v1/notifications/read", token: bob.token, json: ["ids": [id]])
                #expect(marked.status == 200 && (marked["marked"] as? NSNumber)?.intValue == 1 && (marked["unread"] as? NSNumber)?.intValue == 0, "\(marked)")
                let bad = try await http.call("POST", "/v1/notifications/read", token: bob.token, json: ["ids": ["not-an-id"]])
                #expect(bad.status == 400 && bad.errorCode == "invalid_input", "\(bad)")
                let tooMany = try await http.call(
                    "POST", "/v1/notifications/read", token: bob.token, json: ["ids": Array(repeating: id, count: 201)])
                #expect(tooMany.status == 400, "\(tooMany)")
                let badLimit = try await http.call("GET", "/v1/notifications?limit=0", token: bob.token)
                #expect(badLimit.status == 400, "\(badLimit)")
            }
        }
    }

    @Test("push tokens: registered per device, never echoed, validated per platform, removed idempotently")
    func pushTokens() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let device = "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6a"
            let token = String(repeating: "0f", count: 32)
            let saved = try await http.call(
                "PUT", "/v1/me/push-tokens/\(device)", token: alice.token, json: ["platform": "apns", "token": token, "sandbox": true])
            #expect(saved.status == 200, "\(saved)")
            let pushToken = saved["pushToken"] as? [String: Any]
            #expect(pushToken?["platform"] as? String == "apns" && pushToken?["sandbox"] as? Bool == true)
            #expect(pushToken?["token"] == nil, "the token is not echoed")
            let listed = try await http.call("GET", "/v1/me/push-tokens", token: alice.token)
            let tokens = listed["pushTokens"] as? [[String: Any]] ?? []
            #expect(tokens.count == 1 && (tokens.first?["device"] as? String)?.lowercased() == device)
            #expect(!String(decoding: listed.data, as: UTF8.self).contains(token), "never echoed")

            let platform = try await http.call(
                "PUT", "/v1/me/push-tokens/\(device)", token: alice.token, json: ["platform": "sms", "token": token])
            #expect(platform.status == 400 && platform.errorCode == "invalid_input", "\(platform)")
            let shape = try await http.call(
                "PUT", "/v1/me/push-tokens/\(device)", token: alice.token, json: ["platform": "apns", "token": "not hex"])
            #expect(shape.status == 400 && shape.errorCode == "invalid_input", "\(shape)")
            let sandboxFCM = try await http.call(
                "PUT", "/v1/me/push-tokens/\(device)", token: alice.token, json: ["platform": "fcm", "token": "abc", "sandbox": true])
            #expect(sandboxFCM.status == 400, "\(sandboxFCM)")
            let badDevice = try await http.call(
                "PUT", "/v1/me/push-tokens/123", token: alice.token, json: ["platform": "fcm", "token": "abc"])
            #expect(badDevice.status == 400, "\(badDevice)")

            #expect(try await http.call("DELETE", "/v1/me/push-tokens/\(device)", token: alice.token).status == 204)
            #expect(try await http.call("DELETE", "/v1/me/push-tokens/\(device)", token: alice.token).status == 204)
            let empty = try await http.call("GET", "/v1/me/push-tokens", token: alice.token)
            #expect((empty["pushTokens"] as? [[String: Any]])?.isEmpty == true)
        }
    }
}
