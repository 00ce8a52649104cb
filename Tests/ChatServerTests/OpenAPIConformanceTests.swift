import Foundation
import MessagingAuth
import MessagingCore
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The OpenAPI document against what the server does, beyond its routes (`OpenAPITests`):
/// one session that uses nearly every operation records every exchange, and
///
/// - every answer's status is documented for its operation, and every JSON answer (errors
///   included) validates against the documented schema (`Tests/Interop/openapi_exchanges.py`,
///   JSON Schema 2020-12 with formats, as OpenAPI 3.1 defines);
/// - every request body the server accepted validates against the documented request schema;
/// - before each accepted request with a JSON body, the same request without each required
///   property, and with a property the schema does not list, is refused with 400 and the
///   documented error body: the schemas' `required` and `additionalProperties: false` are the
///   server's validation rules.
@Suite("ChatServer /openapi.json against the answers and the validation rules")
struct OpenAPIConformanceTests {
    /// A session of API calls that probes each JSON request's validation rules first.
    struct Flow {
        let client: HTTPClient
        let document: [String: Any]
        let operations: [String: Set<Int>]

        /// The documented request schema of an operation, `$ref`s resolved one level.
        func requestSchema(_ method: String, _ path: String) -> [String: Any]? {
            guard let key = OpenAPITests.template(for: method, path: path, in: operations) else { return nil }
            let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
            let item = (document["paths"] as? [String: Any])?[parts[1]] as? [String: Any]
            let operation = item?[parts[0].lowercased()] as? [String: Any]
            let body = operation?["requestBody"] as? [String: Any]
            var schema = ((body?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
            if let reference = schema?["$ref"] as? String, let name = reference.split(separator: "/").last {
                schema = ((document["components"] as? [String: Any])?["schemas"] as? [String: Any])?[String(name)] as? [String: Any]
            }
            return schema
        }

        /// Sends `json` after the refused variants; returns the answer to `json` itself.
        @discardableResult
        func call(_ method: String, _ path: String, token: String? = nil, json: [String: Any]? = nil) async throws -> Answer {
            if let json, let schema = requestSchema(method, path) {
                let required = schema["required"] as? [String] ?? []
                for key in required {
                    var variant = json
                    variant[key] = nil
                    let refused = try await client.call(method, path, token: token, json: variant)
                    #expect(refused.status == 400 && refused.errorCode != nil, "\(method) \(path) without \(key): \(refused)")
                }
                if schema["additionalProperties"] as? Bool == false {
                    var variant = json
                    variant["notInTheSchema"] = 1
                    let refused = try await client.call(method, path, token: token, json: variant)
                    #expect(refused.status == 400 && refused.errorCode != nil, "\(method) \(path) with an unlisted property: \(refused)")
                }
            }
            return try await client.call(method, path, token: token, json: json)
        }

        @discardableResult
        func expect(_ method: String, _ path: String, token: String? = nil, json: [String: Any]? = nil, _ status: Int) async throws -> Answer {
            let answer = try await call(method, path, token: token, json: json)
            try #require(answer.status == status, "\(method) \(path): \(answer)")
            return answer
        }
    }

    @Test("a session over nearly every operation: each answer and each accepted request matches the document, each validation rule holds")
    func answersMatchTheDocument() async throws {
        guard let python = OpenAPITests.python() else {
            Issue.record("this test needs the interop venv (jsonschema): run make test or scripts/interop-venv.sh, or set MESSAGING_INTEROP_PYTHON")
            return
        }
        let recorder = ExchangeRecorder()
        let documentData = try await TestServer.with { server -> Data in
            let plain = HTTPClient(base: server.base)
            let documentAnswer = try await plain.call("GET", "/openapi.json")
            let document = try #require(documentAnswer.json)
            let flow = Flow(
                client: HTTPClient(base: server.base, recorder: recorder), document: document,
                operations: try OpenAPITests.operations(of: document))
            _ = try await server.server.accounts.register(handle: "root", password: Password(HTTPClient.password), roles: [.admin])
            try await Self.session(flow, server: server)
            return documentAnswer.data
        }
        let exchanges = recorder.all
        #expect(exchanges.count > 150, "the session made only \(exchanges.count) requests")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let documentFile = directory.appendingPathComponent("openapi.json")
        let exchangesFile = directory.appendingPathComponent("exchanges.json")
        try documentData.write(to: documentFile)
        let records: [[String: Any]] = exchanges.map { exchange in
            [
                "method": exchange.method, "path": exchange.path,
                "requestContentType": exchange.requestContentType ?? NSNull(),
                "requestBody": exchange.requestBody.map { String(decoding: $0, as: UTF8.self) } ?? NSNull(),
                "status": exchange.answer.status, "contentType": exchange.answer.header("Content-Type") ?? NSNull(),
                "body": String(decoding: exchange.answer.data, as: UTF8.self),
            ]
        }
        try JSONSerialization.data(withJSONObject: records).write(to: exchangesFile)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let (status, text) = try OpenAPITests.run(
            python, [root.appendingPathComponent("Tests/Interop/openapi_exchanges.py").path, documentFile.path, exchangesFile.path])
        print("openapi_exchanges.py: " + text.split(separator: "\n").suffix(2).joined(separator: "; "))
        #expect(status == 0, "openapi_exchanges.py:\n\(text)")
        // The session must cover the document: a new operation needs a call here.
        let covered = text.split(separator: "\n").first { $0.hasPrefix("operations not exercised: ") }
        #expect(covered == "operations not exercised: none", "\(text)")
    }

    /// The calls. Each `expect` probes the request's validation rules first (see ``Flow``).
    static func session(_ flow: Flow, server: TestServer) async throws {
        let client = flow.client
        // Accounts and sessions.
        try await flow.expect("POST", "/v1/auth/register", json: ["handle": "alice", "password": HTTPClient.password, "displayName": "Alice"], 201)
        let alice = try await client.login("alice")
        let bob = try await client.user("bob")
        let carol = try await client.user("carol")
        let dave = try await client.user("dave")
        let root = try await client.login("root")
        let loginAnswer = try await flow.expect(
            "POST", "/v1/auth/login", json: ["handle": "alice", "password": HTTPClient.password, "deviceName": "laptop"], 200)
        let laptopDevice = try #require((loginAnswer["device"] as? [String: Any])?["id"] as? String)
        let laptopRefresh = try #require(loginAnswer["refreshToken"] as? String)
        let laptopSession = try #require((loginAnswer["session"] as? [String: Any])?["id"] as? String)
        let refreshed = try await flow.expect("POST", "/v1/auth/refresh", json: ["refreshToken": laptopRefresh], 200)
        try await flow.expect("GET", "/v1/sessions", token: alice.token, 200)
        try await flow.expect("GET", "/v1/users/bob", token: alice.token, 200)
        try await flow.expect("GET", "/v1/users/nobody", token: alice.token, 404)

        // Conversations and members.
        let created = try await flow.expect(
            "POST", "/v1/conversations", token: alice.token,
            json: ["kind": "group", "title": "room", "topic": "things", "members": [bob.id]], 201)
        let room = try #require((created["conversation"] as? [String: Any])?["id"] as? String)
        try await flow.expect("GET", "/v1/conversations?limit=10", token: alice.token, 200)
        try await flow.expect("GET", "/v1/conversations/\(room)", token: alice.token, 200)
        try await flow.expect("PATCH", "/v1/conversations/\(room)", token: alice.token, json: ["title": "the room", "topic": "more"], 200)
        try await flow.expect("POST", "/v1/conversations/\(room)/members", token: alice.token, json: ["user": carol.id, "role": "member"], 201)
        try await flow.expect("PUT", "/v1/conversations/\(room)/members/\(carol.id)/role", token: alice.token, json: ["role": "admin"], 200)
        try await flow.expect("GET", "/v1/conversations/\(room)/members?limit=10", token: alice.token, 200)

        // Messages, threads, reactions, reads.
        let first = try await flow.expect(
            "POST", "/v1/conversations/\(room)/messages", token: alice.token, json: ["clientMessageId": "m1", "body": "hello bob"], 201)
        let message = try #require((first["message"] as? [String: Any])?["id"] as? String)
        try await flow.expect("POST", "/v1/conversations/\(room)/messages", token: alice.token, json: ["clientMessageId": "m1", "body": "hello bob"], 200)
        try await flow.expect(
            "POST", "/v1/conversations/\(room)/messages", token: bob.token,
            json: ["clientMessageId": "m2", "body": "hi @alice", "mentions": [alice.id], "replyTo": message], 201)
        let reply = try await flow.expect(
            "POST", "/v1/conversations/\(room)/messages", token: carol.token, json: ["clientMessageId": "m3", "body": "in a thread", "threadRoot": message], 201)
        let replyID = try #require((reply["message"] as? [String: Any])?["id"] as? String)
        try await flow.expect("GET", "/v1/conversations/\(room)/messages?limit=10", token: bob.token, 200)
        try await flow.expect("GET", "/v1/conversations/\(room)/messages/\(message)", token: bob.token, 200)
        try await flow.expect("PATCH", "/v1/conversations/\(room)/messages/\(message)", token: alice.token, json: ["body": "hello, bob"], 200)
        try await flow.expect("GET", "/v1/conversations/\(room)/messages/\(message)/replies?limit=10", token: bob.token, 200)
        try await flow.expect("PUT", "/v1/conversations/\(room)/messages/\(message)/reactions/%F0%9F%91%8D", token: bob.token, 204)
        try await flow.expect("GET", "/v1/conversations/\(room)/messages?limit=10", token: alice.token, 200)
        try await flow.expect("DELETE", "/v1/conversations/\(room)/messages/\(message)/reactions/%F0%9F%91%8D", token: bob.token, 204)
        try await flow.expect("GET", "/v1/conversations/\(room)/events?after=0&limit=50", token: bob.token, 200)
        try await flow.expect("POST", "/v1/conversations/\(room)/read", token: bob.token, json: ["seq": 2], 200)
        try await flow.expect("GET", "/v1/conversations/\(room)/receipts?limit=10", token: alice.token, 200)
        try await flow.expect("GET", "/v1/search?q=hello&limit=5", token: bob.token, 200)
        try await flow.expect("GET", "/v1/unread", token: bob.token, 200)
        try await flow.expect("GET", "/v1/feed?after=0&limit=50", token: bob.token, 200)
        try await flow.expect("GET", "/v1/me/settings", token: bob.token, 200)
        try await flow.expect("PUT", "/v1/me/settings", token: bob.token, json: ["hideReadReceipts": false], 200)

        // Moderation and conversation settings.
        try await flow.expect("PUT", "/v1/conversations/\(room)/pins/\(message)", token: alice.token, 200)
        try await flow.expect("GET", "/v1/conversations/\(room)/pins", token: bob.token, 200)
        try await flow.expect("DELETE", "/v1/conversations/\(room)/pins/\(message)", token: alice.token, 204)
        try await flow.expect("PUT", "/v1/conversations/\(room)/mute", token: bob.token, json: ["until": Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000], 200)
        try await flow.expect("DELETE", "/v1/conversations/\(room)/mute", token: bob.token, 204)
        try await flow.expect("PUT", "/v1/conversations/\(room)/slow-mode", token: alice.token, json: ["seconds": 0], 200)
        try await flow.expect("GET", "/v1/conversations/\(room)/retention", token: alice.token, 200)
        try await flow.expect("PUT", "/v1/conversations/\(room)/retention", token: alice.token, json: ["retentionDays": 30], 200)
        try await flow.expect("DELETE", "/v1/conversations/\(room)/retention", token: alice.token, 204)
        try await flow.expect("PUT", "/v1/conversations/\(room)/bans/\(dave.id)", token: alice.token, json: ["reason": "spam"], 200)
        try await flow.expect("GET", "/v1/conversations/\(room)/bans?limit=10", token: alice.token, 200)
        try await flow.expect("DELETE", "/v1/conversations/\(room)/bans/\(dave.id)", token: alice.token, 204)
        try await flow.expect("PUT", "/v1/blocks/\(bob.id)", token: dave.token, 200)
        try await flow.expect("GET", "/v1/blocks", token: dave.token, 200)
        try await flow.expect("DELETE", "/v1/blocks/\(bob.id)", token: dave.token, 204)

        // Notifications and push tokens (the mention of alice above made one once the scan ran).
        let deadline = ContinuousClock.now + .seconds(10)
        var notifications = try await flow.expect("GET", "/v1/notifications?limit=10", token: alice.token, 200)
        while (notifications["notifications"] as? [Any])?.isEmpty != false, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            notifications = try await flow.expect("GET", "/v1/notifications?limit=10", token: alice.token, 200)
        }
        let ids = (notifications["notifications"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        try await flow.expect("POST", "/v1/notifications/read", token: alice.token, json: ["ids": ids], 200)
        let apns = String(repeating: "ab", count: 32)
        try await flow.expect("PUT", "/v1/me/push-tokens/\(laptopDevice)", token: (refreshed["accessToken"] as? String) ?? alice.token,
            json: ["platform": "apns", "token": apns, "sandbox": true], 200)
        try await flow.expect("GET", "/v1/me/push-tokens", token: alice.token, 200)
        try await flow.expect("DELETE", "/v1/me/push-tokens/\(laptopDevice)", token: alice.token, 204)

        // Attachments: a slot, the upload, a message naming it, the download.
        let bytes = Data("%PDF-1.4 conformance".utf8)
        let slotAnswer = try await flow.expect(
            "POST", "/v1/conversations/\(room)/attachments", token: alice.token,
            json: ["fileName": "report.pdf", "contentType": "application/pdf", "size": bytes.count], 201)
        let attachment = try #require((slotAnswer["attachment"] as? [String: Any])?["id"] as? String)
        let upload = try #require(slotAnswer["upload"] as? [String: Any])
        let slot = UploadSlot(
            id: attachment, url: try #require(upload["url"] as? String), headers: try #require(upload["headers"] as? [String: String]))
        let uploaded = try await client.upload(bytes, to: slot)
        try #require((200..<300).contains(uploaded.status), "upload: \(uploaded)")
        try await flow.expect(
            "POST", "/v1/conversations/\(room)/messages", token: alice.token,
            json: ["clientMessageId": "m4", "body": "the report", "attachments": [attachment]], 201)
        let download = try await flow.expect("GET", "/v1/attachments/\(attachment)/download", token: bob.token, 200)
        let downloadURL = try #require(download["url"] as? String)
        let fetched = try await client.call("GET", try client.relative(downloadURL))
        #expect(fetched.status == 200 && fetched.data == bytes, "download: \(fetched)")

        // End-to-end encryption: devices, key envelopes, an encrypted message.
        let aliceDevice = try await E2EEDevice.make(alice, client: client)
        let bobDevice = try await E2EEDevice.make(bob, client: client)
        try await flow.expect("POST", "/v1/devices", token: alice.token, json: ["bundle": aliceDevice.bundleText], 200)
        let secret = try await flow.expect(
            "POST", "/v1/conversations", token: alice.token, json: ["kind": "group", "title": "secret", "members": [bob.id], "encrypted": true], 201)
        let secretRoom = try #require((secret["conversation"] as? [String: Any])?["id"] as? String)
        let state = try await aliceDevice.devices(in: secretRoom)
        let (rotated, key) = try await aliceDevice.rotate(secretRoom, epoch: state.requiredEpoch, to: state.bundles)
        try #require(rotated.status == 200, "envelopes: \(rotated)")
        let sealed = try await aliceDevice.send("sealed", key: key, to: secretRoom)
        try #require(sealed.status == 201, "encrypted send: \(sealed)")
        _ = try await bobDevice.inbox()
        try await flow.expect("DELETE", "/v1/devices/\(bobDevice.deviceID)", token: bob.token, 200)

        // Deleting and leaving.
        try await flow.expect("DELETE", "/v1/conversations/\(room)/messages/\(replyID)", token: carol.token, 200)
        try await flow.expect("POST", "/v1/conversations/\(room)/members/\(carol.id)/kick", token: alice.token, json: ["reason": "done"], 204)
        try await flow.expect("DELETE", "/v1/conversations/\(room)/members/\(bob.id)", token: alice.token, 204)
        let other = try await client.group(by: alice, members: [dave], title: "other")
        try await flow.expect("POST", "/v1/conversations/\(other)/leave", token: dave.token, 204)
        try await flow.expect("DELETE", "/v1/conversations/\(other)", token: alice.token, 204)

        // Account administration.
        try await flow.expect("GET", "/v1/admin/accounts/\(carol.id)", token: root.token, 200)
        try await flow.expect("PUT", "/v1/admin/accounts/\(carol.id)/roles", token: root.token, json: ["roles": ["moderator"]], 200)
        try await flow.expect("POST", "/v1/admin/accounts/\(carol.id)/disable", token: root.token, 200)
        try await flow.expect("POST", "/v1/admin/accounts/\(carol.id)/enable", token: root.token, 200)
        try await flow.expect("POST", "/v1/admin/accounts/\(carol.id)/password", token: root.token, json: ["password": "another long password"], 204)
        try await flow.expect("DELETE", "/v1/sessions/\(laptopSession)", token: alice.token, 204)
        try await flow.expect("POST", "/v1/account/password", token: dave.token,
            json: ["currentPassword": HTTPClient.password, "newPassword": "a new long password"], 204)
        let daveAgain = try await flow.expect("POST", "/v1/auth/login", json: ["handle": "dave", "password": "a new long password"], 200)
        let daveToken = try #require(daveAgain["accessToken"] as? String)
        try await flow.expect("POST", "/v1/account/delete", token: daveToken, json: ["password": "a new long password"], 204)
        try await flow.expect("DELETE", "/v1/admin/accounts/\(carol.id)", token: root.token, 204)
        try await flow.expect("POST", "/v1/auth/logout", token: bob.token, json: ["refreshToken": bob.refreshToken], 204)

        // Operations and the realtime entry points' refusals.
        try await flow.expect("GET", "/healthz", 200)
        try await flow.expect("GET", "/readyz", 200)
        try await flow.expect("GET", "/metrics", 200)
        try await flow.expect("GET", "/.well-known/jwks.json", 200)
        try await flow.expect("GET", "/openapi.json", 200)
        try await flow.expect("GET", "/v1/realtime", 426)
        let noStream = "/v1/realtime/events/" + String(repeating: "0", count: 32)
        try await flow.expect("POST", noStream, 404)
        try await flow.expect("DELETE", noStream, 404)
        let resumed = try await client.call("GET", "/v1/realtime/events", headers: ["Last-Event-ID": "x"])
        #expect(resumed.status == 400)
        try await flow.expect("GET", "/", 200)
        try await flow.expect("GET", "/web/app.js", 200)
    }
}
