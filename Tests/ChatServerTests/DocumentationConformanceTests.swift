import Foundation
import MessagingCore
import MessagingE2EE
import Testing

/// ChatServer.md, E2EE.md and `/openapi.json` against the running server: each test reads
/// the documented value or constraint and checks that the server enforces exactly that.
@Suite("ChatServer.md, E2EE.md and /openapi.json agree with the server")
struct DocumentationConformanceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A page of Documentation/ with every run of white space turned into one space.
    static func page(_ name: String) throws -> String {
        let text = try String(contentsOf: root.appendingPathComponent("Documentation/\(name)"), encoding: .utf8)
        return text.replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
    }

    /// The capture groups of the first match of `pattern` in `text`.
    static func captures(_ pattern: String, in text: String) throws -> [String] {
        let regex = try NSRegularExpression(pattern: pattern)
        let match = try #require(regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), "no match for \(pattern)")
        return (1..<match.numberOfRanges).map { String(text[Range(match.range(at: $0), in: text)!]) }
    }

    static func number(_ text: String) throws -> Int { try #require(Int(text.replacingOccurrences(of: ",", with: ""))) }

    /// `value` percent-encoded for a query string (everything but ASCII letters and digits).
    static func query(_ value: String) -> String {
        let plain = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return value.addingPercentEncoding(withAllowedCharacters: plain) ?? value
    }

    static let v7 = "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6a"
    static let v4 = "0193a6c0-5b1e-4c41-9a55-3f1e2d4c5b6a"

    // MARK: ChatServer.md: search

    @Test("search: the limits and answers ChatServer.md lists are the server's")
    func searchLimits() async throws {
        let page = try Self.page("ChatServer.md")
        let empty = try Self.captures(#"\| `q` present and not empty \| (\d{3}) `([a-z_]+)` \|"#, in: page)
        let length = try Self.captures(#"\| `q` at most ([0-9,]+) characters [^|]*\| (\d{3}) `([a-z_]+)` \|"#, in: page)
        let noWord = try Self.captures(#"\| at least one word \| (\d{3}) `([a-z_]+)` \|"#, in: page)
        let words = try Self.captures(#"\| at most (\d+) words \| (\d{3}) `([a-z_]+)` \|"#, in: page)
        let limit = try Self.captures(#"\| `limit` 1–(\d+) \(default (\d+)\) \| (\d{3}) `([a-z_]+)` \|"#, in: page)
        let maxCharacters = try Self.number(length[0])
        #expect(try Self.number(words[0]) == MessagingLimits.default.maxSearchWords)
        #expect(try Self.number(limit[0]) == MessagingLimits.default.maxSearchPage)

        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            func search(_ parameters: String) async throws -> Answer {
                try await client.call("GET", "/v1/search\(parameters)", token: alice.token)
            }
            func expect(_ answer: Answer, _ status: String, _ code: String, _ what: String) {
                #expect("\(answer.status)" == status && answer.errorCode == code, "\(what): ChatServer.md says \(status) \(code); the server: \(answer)")
            }
            expect(try await search(""), empty[0], empty[1], "no q")
            expect(try await search("?q="), empty[0], empty[1], "empty q")
            #expect(try await search("?q=" + String(repeating: "a", count: maxCharacters)).status == 200)
            // Characters, not bytes: 1,024 two-byte letters fit.
            #expect(try await search("?q=" + Self.query(String(repeating: "é", count: maxCharacters))).status == 200)
            expect(try await search("?q=" + String(repeating: "a", count: maxCharacters + 1)), length[1], length[2], "too long")
            expect(try await search("?q=" + Self.query("!!! ???")), noWord[0], noWord[1], "no word")
            let maxWords = try Self.number(words[0])
            let fits = (1...maxWords).map { "w\($0)" }.joined(separator: " ")
            #expect(try await search("?q=" + Self.query(fits)).status == 200)
            expect(try await search("?q=" + Self.query(fits + " more")), words[1], words[2], "too many words")
            let maxPage = try Self.number(limit[0])
            #expect(try await search("?q=a&limit=\(maxPage)").status == 200)
            expect(try await search("?q=a&limit=\(maxPage + 1)"), limit[2], limit[3], "limit too large")
        }
    }

    // MARK: UUIDv7

    @Test("ids are UUIDv7 in E2EE.md, ChatServer.md and every uuid of /openapi.json; a version 4 id gets 'must be a UUIDv7'")
    func idsAreUUIDv7() async throws {
        #expect(try Self.page("E2EE.md").contains("and must be **UUIDv7** (RFC 9562 version 7"))
        #expect(try Self.page("ChatServer.md").contains("ids are UUIDv7 strings"))
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let document = try #require(try await client.call("GET", "/openapi.json").json)
            var uuidSchemas: [[String: Any]] = []
            func collect(_ node: Any) {
                if let object = node as? [String: Any] {
                    if object["format"] as? String == "uuid" { uuidSchemas.append(object) }
                    object.values.forEach(collect)
                } else if let array = node as? [Any] {
                    array.forEach(collect)
                }
            }
            collect(document)
            #expect(uuidSchemas.count > 20)
            for schema in uuidSchemas {
                #expect(try SchemaCheck.accepts(Self.v7, schema) && SchemaCheck.accepts(Self.v7.uppercased(), schema))
                #expect(try !SchemaCheck.accepts(Self.v4, schema), "a uuid schema without the version 7 pattern: \(schema)")
                #expect(try !SchemaCheck.accepts(Self.v7.replacingOccurrences(of: "-9a55-", with: "-1a55-"), schema), "RFC 9562 variant")
            }

            let alice = try await client.user("alice")
            for (method, path, json) in [
                ("GET", "/v1/conversations/\(Self.v4)", nil), ("GET", "/v1/search?q=a&conversation=\(Self.v4)", nil),
                ("POST", "/v1/conversations", ["kind": "group", "members": [Self.v4]] as [String: Any]),
            ] as [(String, String, [String: Any]?)] {
                let answer = try await client.call(method, path, token: alice.token, json: json)
                #expect(answer.status == 400 && answer.errorCode == "invalid_input", "\(method) \(path): \(answer)")
                #expect(answer.errorMessage?.contains("must be a UUIDv7") == true && answer.errorMessage?.contains("version 4") == true,
                    "\(method) \(path): \(answer)")
            }
            #expect(try await client.call("GET", "/v1/conversations/\(Self.v7.uppercased())", token: alice.token).status == 404)

            // E2EE.md §3: the server refuses an E2EE object whose ids are not UUIDv7.
            let v4Device = try DeviceIdentity.generate(deviceID: UUID(), userID: try #require(UUID(uuidString: alice.id)))
            let published = try await client.call(
                "POST", "/v1/devices", token: alice.token, json: ["bundle": v4Device.makeBundle().textEncoded])
            #expect(published.status == 400 && published.errorMessage?.contains("not a UUIDv7") == true, "\(published)")
        }
    }

    // MARK: E2EE.md §11.6: the order of the server's checks on a sealed send

    @Test("a sealed send is checked in the order E2EE.md §11.6 lists: the first failing check is the answer")
    func sealedSendCheckOrder() async throws {
        let page = try Self.page("E2EE.md")
        let steps = [
            "the caller is a member (`not_found`)", "Idempotency:", "`senderDevice` is one of the caller's devices",
            "The key state:", "The sealed message (`SealedMessage.verifySignature(from:)`", "Its signed header equals",
            "References: `replyTo`",
        ]
        let positions = try steps.map { step in try #require(page.range(of: step)?.lowerBound, "E2EE.md §11.6 lacks \(step)") }
        #expect(positions == positions.sorted(), "E2EE.md lists the checks in another order")

        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await E2EEDevice.make(try await client.user("alice"), client: client)
            let bob = try await E2EEDevice.make(try await client.user("bob"), client: client)
            let carol = try await E2EEDevice.make(try await client.user("carol"), client: client)
            let room = try await EncryptedConversationTests.encryptedGroup(by: alice.login, members: [bob.login], client: client)
            func post(_ device: E2EEDevice, _ json: [String: Any]) async throws -> Answer {
                try await client.call("POST", "/v1/conversations/\(room)/messages", token: device.login.token, json: json)
            }
            let garbage = Data("not a sealed message".utf8).base64EncodedString()

            // Membership before everything: a stranger with garbage is not_found.
            let stranger = try await post(carol, ["clientMessageId": "s-1", "ciphertext": garbage, "epoch": 1, "senderDevice": carol.deviceID])
            #expect(stranger.status == 404 && stranger.errorCode == "not_found", "\(stranger)")
            // The sender device before the key state: no epoch yet, but another user's device is named.
            let foreign = try await post(alice, ["clientMessageId": "f-1", "ciphertext": garbage, "epoch": 1, "senderDevice": bob.deviceID])
            #expect(foreign.status == 400 && foreign.errorMessage?.contains("not one of your devices") == true, "\(foreign)")
            // The key state before the sealed message: garbage with no epoch distributed is rekey_required.
            let noKey = try await post(alice, ["clientMessageId": "k-1", "ciphertext": garbage, "epoch": 1, "senderDevice": alice.deviceID])
            #expect(noKey.status == 409 && noKey.errorCode == "rekey_required", "\(noKey)")

            let state = try await alice.devices(in: room)
            let (rotated, key) = try await alice.rotate(room, epoch: 1, to: state.bundles)
            try #require(rotated.status == 200, "\(rotated)")
            let ahead = try await post(alice, ["clientMessageId": "k-2", "ciphertext": garbage, "epoch": 2, "senderDevice": alice.deviceID])
            #expect(ahead.status == 400 && ahead.errorMessage?.contains("No envelopes were uploaded for epoch 2") == true, "\(ahead)")

            // The signature before the header: a forged signature and a mismatched client message id.
            var forged = try SealedMessage.seal(Array("x".utf8), clientMessageID: "sig-1", with: key, from: alice.identity).serialized
            forged[forged.count - 1] ^= 0x01
            let badSignature = try await post(alice, [
                "clientMessageId": "sig-other", "ciphertext": Data(forged).base64EncodedString(), "epoch": 1, "senderDevice": alice.deviceID,
            ])
            #expect(badSignature.status == 400 && badSignature.errorMessage?.contains("signatureInvalid") == true, "\(badSignature)")
            // The header before the references: a mismatched header and a mention of a non-member.
            let sealed = try SealedMessage.seal(Array("y".utf8), clientMessageID: "hdr-1", with: key, from: alice.identity)
            let mismatched = try await post(alice, [
                "clientMessageId": "hdr-other", "ciphertext": Data(sealed.serialized).base64EncodedString(), "epoch": 1,
                "senderDevice": alice.deviceID, "mentions": [carol.login.id],
            ])
            #expect(mismatched.status == 400 && mismatched.errorMessage?.contains("signed header") == true, "\(mismatched)")

            // Idempotency before the sender device: after the device is removed, the same bytes
            // answer the original and other bytes under the same id are a conflict.
            let first = try SealedMessage.seal(Array("z".utf8), clientMessageID: "dup-1", with: key, from: alice.identity)
            let original: [String: Any] = [
                "clientMessageId": "dup-1", "ciphertext": Data(first.serialized).base64EncodedString(), "epoch": 1,
                "senderDevice": alice.deviceID,
            ]
            #expect(try await post(alice, original).status == 201)
            let removed = try await client.call("DELETE", "/v1/devices/\(alice.deviceID)", token: alice.login.token)
            try #require(removed.status == 200, "\(removed)")
            let repeated = try await post(alice, original)
            #expect(repeated.status == 200 && repeated["duplicate"] as? Bool == true, "\(repeated)")
            let other = try SealedMessage.seal(Array("other".utf8), clientMessageID: "dup-1", with: key, from: alice.identity)
            var conflicting = original
            conflicting["ciphertext"] = Data(other.serialized).base64EncodedString()
            let conflict = try await post(alice, conflicting)
            #expect(conflict.status == 409 && conflict.errorCode == "conflict", "\(conflict)")
            // The removed device before the key state (requiredEpoch rose with the removal).
            let fresh = try SealedMessage.seal(Array("new".utf8), clientMessageID: "new-1", with: key, from: alice.identity)
            let refused = try await post(alice, [
                "clientMessageId": "new-1", "ciphertext": Data(fresh.serialized).base64EncodedString(), "epoch": 1,
                "senderDevice": alice.deviceID,
            ])
            #expect(refused.status == 403 && refused.errorCode == "forbidden", "\(refused)")
        }
    }
}
