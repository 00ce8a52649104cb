import Foundation
import GRDB
@testable import MessagingE2EE
import Testing

/// `ChatClient` in end-to-end encrypted conversations against a real ChatServer: what users
/// see, what the server keeps, and what a client does with objects the server made up.
@Suite("ChatClient end-to-end encryption", .timeLimit(.minutes(5)))
struct ChatClientE2EETests {
    static func chat(_ arguments: [String], home: URL, _ profile: String, device password: String? = nil) async throws -> ChatClientTests.Run {
        try await ChatClientTests.chat(
            arguments + ["--profile", profile], home: home,
            environment: password.map { ["CHAT_DEVICE_PASSWORD": $0] } ?? [:])
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static func permissions(_ url: URL) throws -> Int? {
        (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue
    }

    @Test("two clients talk through a real server; a third member reads new messages; a removed member opens nothing of the new epoch; injected envelopes and bundles are refused; the database holds no plaintext")
    func conversation() async throws {
        let home = try TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try await TestServer.start()
        var stopped = false
        defer { if !stopped { Task { [server] in try? await server.stop() } } }
        let base = server.base
        let database = try DatabaseQueue(path: server.directory.appendingPathComponent("data/chat.sqlite").path)

        // Registering makes and publishes a device; Alice's keys are password-protected.
        let alicePassword = "alice device passphrase"
        for (handle, password) in [("alice", alicePassword), ("bob", nil), ("carol", nil)] as [(String, String?)] {
            let registered = try await Self.chat(["register", handle, "--server", base], home: home, handle, device: password)
            #expect(registered.status == 0, "\(registered)")
            #expect(registered.output.contains("made device"), "\(registered)")
            let deviceFile = home.appendingPathComponent("\(handle).device")
            #expect(try Self.permissions(deviceFile) == 0o600)
            #expect(try Self.json(deviceFile)["protection"] as? String == (password == nil ? "none" : "password"))
        }
        #expect(try await database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM devices") } == 3)

        let created = try await Self.chat(["create", "bob", "--title", "secret room", "--e2ee"], home: home, "alice", device: alicePassword)
        #expect(created.status == 0, "\(created)")
        let room = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(UUID(uuidString: room) != nil, "\(created)")
        #expect(created.errors.contains("end-to-end encrypted"))

        let secrets = ["plaintext one 4af1", "plaintext two 9c2e", "plaintext three 77d0", "plaintext four e5b3"]
        let first = try await Self.chat(["send", room, secrets[0]], home: home, "alice", device: alicePassword)
        #expect(first.status == 0 && first.output.contains("sent (seq"), "\(first)")
        #expect(first.errors.contains("started key epoch 1"), "\(first)")
        let second = try await Self.chat(["send", room, secrets[1], "--client-id", "bob-1"], home: home, "bob")
        #expect(second.status == 0, "\(second)")
        let retried = try await Self.chat(["send", room, secrets[1], "--client-id", "bob-1"], home: home, "bob")
        #expect(retried.status == 0 && retried.output.contains("already sent"), "a retry is recognised: \(retried)")
        let reused = try await Self.chat(["send", room, "other words", "--client-id", "bob-1"], home: home, "bob")
        #expect(reused.status != 0 && reused.errors.contains("conflict"), "a reused id with other text is a conflict: \(reused)")
        let bobHistory = try await Self.chat(["history", room], home: home, "bob")
        #expect(bobHistory.output.contains(secrets[0]) && bobHistory.output.contains(secrets[1]), "\(bobHistory)")
        let tailed = try await Self.chat(["tail", room, "--after", "0", "--count", "3"], home: home, "alice", device: alicePassword)
        #expect(tailed.output.contains(secrets[0]) && tailed.output.contains(secrets[1]), "\(tailed)")
        let wrongPassword = try await Self.chat(["history", room], home: home, "alice", device: "not the passphrase")
        #expect(!wrongPassword.output.contains(secrets[0]), "\(wrongPassword)")
        #expect((wrongPassword.output + wrongPassword.errors).contains("password"), "\(wrongPassword)")

        // Carol joins: she has no key until a member sends; then she reads the new message (and
        // the epoch's earlier ones, since the key is shared rather than rotated).
        #expect(try await Self.chat(["invite", room, "carol"], home: home, "alice", device: alicePassword).status == 0)
        let before = try await Self.chat(["history", room], home: home, "carol")
        #expect(before.output.contains("[cannot decrypt: missing envelope for epoch 1]"), "\(before)")
        let third = try await Self.chat(["send", room, secrets[2]], home: home, "bob")
        #expect(third.errors.contains("shared the key of epoch 1"), "\(third)")
        let carolHistory = try await Self.chat(["history", room], home: home, "carol")
        #expect(secrets[0...2].allSatisfy(carolHistory.output.contains), "\(carolHistory)")

        // Bob is removed: the next message starts epoch 2 for Alice's and Carol's devices only.
        let aliceToken = try #require(try Self.json(home.appendingPathComponent("alice.json"))["accessToken"] as? String)
        let bobID = try #require(try Self.json(home.appendingPathComponent("bob.json"))["userID"] as? String)
        let removed = try await HTTPClient(base: base).call(
            "DELETE", "/v1/conversations/\(room)/members/\(bobID)", token: aliceToken)
        #expect(removed.status < 300, "\(removed)")
        let fourth = try await Self.chat(["send", room, secrets[3]], home: home, "carol")
        #expect(fourth.errors.contains("started key epoch 2"), "\(fourth)")
        let afterRemoval = try await Self.chat(["history", room], home: home, "alice", device: alicePassword)
        #expect(secrets.allSatisfy(afterRemoval.output.contains), "\(afterRemoval)")

        // Nothing of epoch 2 went to Bob's device, and no key he received opens anything of epoch 2.
        let bobDevice = try Self.json(home.appendingPathComponent("bob.device"))
        let bobIdentity = try DeviceIdentity(importingSecretKeysText: try #require(bobDevice["keys"] as? String))
        let bobBlob = Data(withUnsafeBytes(of: bobIdentity.deviceID.uuid) { Array($0) })
        let (toBob, epoch2, messages, bobEnvelopes) = try await database.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM key_envelopes WHERE epoch >= 2 AND device_id = ?", arguments: [bobBlob]),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM key_envelopes WHERE epoch = 2"),
             try Data.fetchAll(db, sql: "SELECT body FROM messages WHERE key_epoch = 2"),
             try Data.fetchAll(db, sql: "SELECT envelope FROM key_envelopes WHERE device_id = ?", arguments: [bobBlob]))
        }
        #expect(toBob == 0 && epoch2 == 2 && messages.count == 1, "\(String(describing: toBob)) \(String(describing: epoch2)) \(messages.count)")
        let bundles = try await database.read { db in
            try Data.fetchAll(db, sql: "SELECT bundle FROM devices").map { try DeviceBundle(serialized: $0) }
        }
        #expect(bobEnvelopes.count == 1)
        let bobKeys = try bobEnvelopes.map { bytes in
            let envelope = try KeyEnvelope(serialized: bytes)
            return try envelope.open(
                as: bobIdentity, from: try #require(bundles.first { $0.deviceID == envelope.senderDeviceID }),
                conversationID: UUID(uuidString: room)!)
        }
        for bytes in messages {
            let sealed = try SealedMessage(serialized: bytes)
            let sender = try #require(bundles.first { $0.deviceID == sealed.senderDeviceID })
            #expect(bobKeys.allSatisfy { (try? sealed.open(with: $0, from: sender)) == nil }, "Bob opens an epoch-2 message")
        }

        // E2EE.md §6.2: what ChatClient seals is the text's UTF-8 bytes, nothing added.
        let carolIdentity = try DeviceIdentity(
            importingSecretKeysText: try #require(try Self.json(home.appendingPathComponent("carol.device"))["keys"] as? String))
        let carolBlob = Data(withUnsafeBytes(of: carolIdentity.deviceID.uuid) { Array($0) })
        let carolEnvelope = try await database.read { db in
            try Data.fetchOne(db, sql: "SELECT envelope FROM key_envelopes WHERE device_id = ? AND epoch = 2", arguments: [carolBlob])
        }
        let epoch2Envelope = try KeyEnvelope(serialized: try #require(carolEnvelope))
        let epoch2Key = try epoch2Envelope.open(
            as: carolIdentity, from: try #require(bundles.first { $0.deviceID == epoch2Envelope.senderDeviceID }),
            conversationID: UUID(uuidString: room)!)
        let fourthSealed = try SealedMessage(serialized: try #require(messages.first))
        let fourthPlaintext = try fourthSealed.open(
            with: epoch2Key, from: try #require(bundles.first { $0.deviceID == fourthSealed.senderDeviceID })).plaintext
        #expect(fourthPlaintext == Array(secrets[3].utf8), "E2EE.md §6.2: the plaintext is the text's UTF-8 bytes")

        // The server (or anyone with the database) injects a forged bundle and envelope.
        let carolDevice = try Self.json(home.appendingPathComponent("carol.device"))
        let carolBundle = try DeviceBundle(textEncoded: try #require(carolDevice["bundle"] as? String))
        let aliceBundle = try DeviceBundle(textEncoded: try #require(try Self.json(home.appendingPathComponent("alice.device"))["bundle"] as? String))
        let impostor = try DeviceIdentity.generate(deviceID: aliceBundle.deviceID, userID: aliceBundle.userID)
        let fakeKey = try ConversationKey.generate(conversationID: UUID(uuidString: room)!, epoch: 2)
        let injectedEnvelope = try KeyEnvelope.seal(fakeKey, to: carolBundle, from: impostor)
        var forgedBytes = try DeviceIdentity.generate(deviceID: E2EEDevice.newUUID(), userID: carolBundle.userID).makeBundle().serialized
        forgedBytes[80] ^= 1  // another X25519 key than the one signed
        let forgedBundle = forgedBytes
        let forgedID = Array(forgedBundle[2..<18])
        try await database.write { db in
            let carolID = Data(withUnsafeBytes(of: carolBundle.deviceID.uuid) { Array($0) })
            let seq = try Int64.fetchOne(db, sql: "UPDATE devices SET inbox_seq = inbox_seq + 1 WHERE id = ? RETURNING inbox_seq", arguments: [carolID])!
            try db.execute(
                sql: """
                    INSERT INTO key_envelopes (device_id, seq, conversation_id, epoch, sender_device, envelope, stored_at)
                    VALUES (?, ?, ?, 3, ?, ?, 0)
                    """,
                arguments: [carolID, seq, Data(injectedEnvelope.serialized[2..<18]), Data(injectedEnvelope.serialized[26..<42]),
                            Data(injectedEnvelope.serialized)])
            try db.execute(
                sql: "INSERT INTO devices (id, user_id, bundle, added_at) VALUES (?, ?, ?, 0)",
                arguments: [Data(forgedID), Data(forgedBundle[18..<34]), Data(forgedBundle)])
        }
        let carolAgain = try await Self.chat(["send", room, "after the injection"], home: home, "carol")
        #expect(carolAgain.status == 0, "\(carolAgain)")
        #expect(carolAgain.errors.contains("rejected key envelope"), "\(carolAgain)")
        let forgedText = UUID(uuid: forgedBundle[2..<18].withUnsafeBytes { $0.loadUnaligned(as: uuid_t.self) }).uuidString.lowercased()
        #expect(carolAgain.errors.contains(forgedText), "the forged device is named in a warning: \(carolAgain)")
        let sealedToForged = try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM key_envelopes WHERE device_id = ?", arguments: [Data(forgedID)])
        }
        #expect(sealedToForged == 0, "no key was sealed to the injected bundle")
        let list = try await Self.chat(["devices", "list", room], home: home, "carol")
        #expect(list.output.contains("NOT TRUSTED"), "\(list)")

        // Stored messages altered in the database: one tampered with, one replaced by a message
        // from a device nobody knows. The client says why it cannot show them.
        let strangerID = E2EEDevice.newUUID()
        let stranger = try DeviceIdentity.generate(deviceID: strangerID, userID: aliceBundle.userID)
        let replacement = try SealedMessage.seal(Array("forged".utf8), clientMessageID: "forged-1", with: fakeKey, from: stranger)
        try await database.write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT row_id, body FROM messages WHERE key_epoch IS NOT NULL ORDER BY seq")
            var tampered = try #require(rows.first?["body"] as Data?)
            tampered[tampered.count / 2] ^= 0x40
            try db.execute(sql: "UPDATE messages SET body = ? WHERE row_id = ?", arguments: [tampered, rows[0]["row_id"] as Int64])
            try db.execute(
                sql: "UPDATE messages SET body = ?, client_message_id = 'forged-1', sender_device = ?, key_epoch = 2 WHERE row_id = ?",
                arguments: [Data(replacement.serialized), Data(withUnsafeBytes(of: strangerID.uuid) { Array($0) }),
                            rows[rows.count - 1]["row_id"] as Int64])
        }
        let altered = try await Self.chat(["history", room], home: home, "carol")
        #expect(altered.status == 0, "\(altered)")
        #expect(altered.output.contains("[cannot decrypt: tampered"), "\(altered)")
        #expect(altered.output.contains("[cannot decrypt: unknown device \(strangerID.uuidString.lowercased())]"), "\(altered)")
        #expect(!altered.output.contains("forged") && !altered.output.contains(secrets[0]), "\(altered)")
        #expect(altered.output.contains(secrets[2]), "the untouched messages still open: \(altered)")

        // Nothing the server stored holds a plaintext.
        try await server.stop(removingFiles: false)
        stopped = true
        for file in try TestServer.files(under: server.directory.appendingPathComponent("data")) {
            let bytes = try Data(contentsOf: file)
            for secret in secrets + ["after the injection"] {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file.lastPathComponent) holds \"\(secret)\"")
            }
        }
        try? FileManager.default.removeItem(at: server.directory)
    }

    @Test("a key envelope with a valid header and signature but sealed to another X25519 key is rejected; the client survives, its inbox cursor moves past it, and the envelopes after it still open")
    func envelopeSealedToAnotherKey() async throws {
        let home = try TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        try await TestServer.with { server in try await Self.envelopeSealedToAnotherKey(server: server, home: home) }
    }

    static func envelopeSealedToAnotherKey(server: TestServer, home: URL) async throws {
        let database = try DatabaseQueue(path: server.directory.appendingPathComponent("data/chat.sqlite").path)
        for handle in ["alice", "bob"] {
            let registered = try await Self.chat(["register", handle, "--server", server.base], home: home, handle)
            #expect(registered.status == 0, "\(registered)")
        }
        let created = try await Self.chat(["create", "bob", "--title", "room", "--e2ee"], home: home, "alice")
        let room = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let conversation = try #require(UUID(uuidString: room), "\(created)")

        // Alice's device (a member's) signs an envelope for Bob's device and current X25519 key
        // whose sealed box was made for another key: a server cannot tell, so it stores it.
        let alice = try DeviceIdentity(importingSecretKeysText: try #require(try Self.json(home.appendingPathComponent("alice.device"))["keys"] as? String))
        let bob = try DeviceBundle(textEncoded: try #require(try Self.json(home.appendingPathComponent("bob.device"))["bundle"] as? String))
        let stranger = try DeviceIdentity.generate(deviceID: bob.deviceID, userID: bob.userID)
        let key = try ConversationKey.generate(conversationID: conversation, epoch: 5)
        var signed = Array(try KeyEnvelope.seal(key, to: stranger.makeBundle(), from: alice).serialized[0..<KeyEnvelope.signedLength])
        signed.replaceSubrange(90..<122, with: bob.agreementPublicKey.rawRepresentation)
        let bad = try KeyEnvelope(serialized: signed + alice.sign(.keyEnvelope, signed))
        try bad.verify(from: alice.makeBundle(), to: bob)
        let bobID = Data(withUnsafeBytes(of: bob.deviceID.uuid) { Array($0) })
        let badSeq = try await database.write { db in
            let seq = try Int64.fetchOne(db, sql: "UPDATE devices SET inbox_seq = inbox_seq + 1 WHERE id = ? RETURNING inbox_seq", arguments: [bobID])!
            try db.execute(
                sql: """
                    INSERT INTO key_envelopes (device_id, seq, conversation_id, epoch, sender_device, envelope, stored_at)
                    VALUES (?, ?, ?, 5, ?, ?, 0)
                    """,
                arguments: [bobID, seq, Data(bad.serialized[2..<18]), Data(bad.serialized[26..<42]), Data(bad.serialized)])
            return seq
        }

        // Alice's first message seals epoch 1 to both devices: Bob's good envelope comes after the bad one.
        let sent = try await Self.chat(["send", room, "after the bad envelope 31c7"], home: home, "alice")
        #expect(sent.status == 0 && sent.errors.contains("started key epoch 1"), "\(sent)")
        let goodSeq = try #require(try await database.read { db in
            try Int64.fetchOne(db, sql: "SELECT seq FROM key_envelopes WHERE device_id = ? AND epoch = 1", arguments: [bobID])
        })
        #expect(goodSeq > badSeq)

        let history = try await Self.chat(["history", room], home: home, "bob")
        #expect(history.status == 0, "the client survives the bad envelope: \(history)")
        #expect(history.errors.contains("rejected key envelope #\(badSeq)") && history.errors.contains("authenticationFailed"), "\(history)")
        #expect(history.output.contains("after the bad envelope 31c7"), "the good envelope after it opened: \(history)")
        let keyring = try Self.json(home.appendingPathComponent("bob.keys.json"))
        #expect((keyring["envelopeCursor"] as? NSNumber)?.int64Value == goodSeq, "the cursor moved past both: \(keyring)")
        #expect((keyring["envelopes"] as? [String: [String: String]])?[room.lowercased()]?["1"] != nil, "\(keyring)")
        #expect((keyring["envelopes"] as? [String: [String: String]])?[room.lowercased()]?["5"] == nil, "\(keyring)")

        // The bad envelope is not fetched again, and later messages still open.
        let later = try await Self.chat(["send", room, "later message 8e02"], home: home, "alice")
        #expect(later.status == 0, "\(later)")
        let again = try await Self.chat(["history", room], home: home, "bob")
        #expect(again.status == 0 && !again.errors.contains("rejected key envelope"), "\(again)")
        #expect(again.output.contains("after the bad envelope 31c7") && again.output.contains("later message 8e02"), "\(again)")
    }
}
