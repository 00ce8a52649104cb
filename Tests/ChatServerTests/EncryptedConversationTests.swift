import Foundation
import GRDB
import MessagingE2EE
import Testing

/// End-to-end encrypted conversations through a real ChatServer: the device registry, the
/// epoch rules, what the server refuses, and what it keeps (ciphertext only).
@Suite("ChatServer: end-to-end encrypted conversations")
struct EncryptedConversationTests {
    static func encryptedGroup(by owner: Login, members: [Login], client: HTTPClient) async throws -> String {
        let answer = try await client.call(
            "POST", "/v1/conversations", token: owner.token,
            json: ["kind": "group", "title": "secret", "members": members.map(\.id), "encrypted": true])
        try #require(answer.status == 201, "create: \(answer)")
        let conversation = try #require(answer["conversation"] as? [String: Any])
        #expect(conversation["encrypted"] as? Bool == true)
        return try #require(conversation["id"] as? String)
    }

    /// Opens every sealed message of `conversation` in the history with the keys given.
    static func readable(
        _ conversation: String, as device: E2EEDevice, keys: [UInt64: ConversationKey], senders: [DeviceBundle]
    ) async throws -> [String] {
        let history = try await device.client.call(
            "GET", "/v1/conversations/\(conversation)/messages?limit=200", token: device.login.token)
        try #require(history.status == 200, "history: \(history)")
        var texts: [String] = []
        for message in try #require(history["messages"] as? [[String: Any]]).reversed() {
            #expect(message["kind"] as? String == "encrypted")
            #expect(message["text"] == nil)
            let sealed = try SealedMessage(serialized: Data(base64Encoded: try #require(message["ciphertext"] as? String))!)
            #expect(message["epoch"] as? Int == Int(sealed.epoch))
            #expect(message["senderDevice"] as? String == sealed.senderDeviceID.uuidString.lowercased())
            guard let key = keys[sealed.epoch], let sender = senders.first(where: { $0.deviceID == sealed.senderDeviceID })
            else { continue }
            texts.append(String(decoding: try sealed.open(with: key, from: sender).plaintext, as: UTF8.self))
        }
        return texts
    }

    @Test("two devices exchange messages; a third member reads new ones; a removed member gets no key of the new epoch and its old epoch is refused; the database holds no plaintext")
    func lifecycle() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await E2EEDevice.make(try await client.user("alice"), client: client)
            let bob = try await E2EEDevice.make(try await client.user("bob"), client: client)
            let carolLogin = try await client.user("carol")
            let room = try await Self.encryptedGroup(by: alice.login, members: [bob.login], client: client)

            // No key yet: a message is refused with rekey_required, text is refused outright.
            let early = try ConversationKey.generate(conversationID: UUID(uuidString: room)!, epoch: 1)
            let refused = try await alice.send("too early", key: early, to: room)
            #expect(refused.status == 409 && refused.errorCode == "rekey_required", "\(refused)")
            let text = try await client.call(
                "POST", "/v1/conversations/\(room)/messages", token: alice.login.token,
                json: ["clientMessageId": "plain-1", "body": "in the clear"])
            #expect(text.status == 400 && text.errorCode == "invalid_input", "\(text)")

            // Epoch 1: Alice seals to every device (her own included).
            let state0 = try await alice.devices(in: room)
            #expect(state0.keyEpoch == 0 && state0.requiredEpoch == 1 && state0.bundles.count == 2)
            let partial = try await alice.rotate(room, epoch: 1, to: state0.bundles.filter { $0.deviceID == alice.identity.deviceID })
            #expect(partial.0.status == 409 && partial.0.errorCode == "conflict", "a new epoch must reach every device: \(partial.0)")
            let (rotated, key1) = try await alice.rotate(room, epoch: 1, to: state0.bundles)
            #expect(rotated.status == 200 && rotated["keyEpoch"] as? Int == 1 && rotated["stored"] as? Int == 2, "\(rotated)")

            let plaintexts = ["first secret 7f3a", "second secret 91bc", "third secret c0de", "fourth secret beef"]
            #expect(try await alice.send(plaintexts[0], key: key1, to: room).status == 201)
            let bobKey1 = try #require(try await bob.key(for: room, epoch: 1, senders: state0.bundles))
            #expect(bobKey1.hasSameKeyMaterial(as: key1))
            #expect(try await bob.send(plaintexts[1], key: bobKey1, to: room).status == 201)
            #expect(try await Self.readable(room, as: bob, keys: [1: bobKey1], senders: state0.bundles) == Array(plaintexts[0..<2]))

            // A header that does not match the sealed message, or a forged signature, is refused.
            let sealed = try SealedMessage.seal(Array("x".utf8), clientMessageID: "c-1", with: key1, from: alice.identity)
            let mismatched = try await client.call(
                "POST", "/v1/conversations/\(room)/messages", token: alice.login.token,
                json: ["clientMessageId": "c-2", "ciphertext": Data(sealed.serialized).base64EncodedString(), "epoch": 1,
                       "senderDevice": alice.deviceID])
            #expect(mismatched.status == 400 && mismatched.errorCode == "invalid_input", "\(mismatched)")
            let asBob = try await client.call(
                "POST", "/v1/conversations/\(room)/messages", token: bob.login.token,
                json: ["clientMessageId": "c-1", "ciphertext": Data(sealed.serialized).base64EncodedString(), "epoch": 1,
                       "senderDevice": alice.deviceID])
            #expect(asBob.status == 400 && asBob.errorCode == "invalid_input", "another user's device: \(asBob)")
            var forged = sealed.serialized
            forged[forged.count - 1] ^= 1
            let badSignature = try await client.call(
                "POST", "/v1/conversations/\(room)/messages", token: alice.login.token,
                json: ["clientMessageId": "c-1", "ciphertext": Data(forged).base64EncodedString(), "epoch": 1,
                       "senderDevice": alice.deviceID])
            #expect(badSignature.status == 400 && badSignature.errorCode == "invalid_input", "\(badSignature)")

            // Carol joins and publishes a device: she gets the current key from Alice and reads new messages.
            let added = try await client.call(
                "POST", "/v1/conversations/\(room)/members", token: alice.login.token, json: ["user": carolLogin.id])
            #expect(added.status == 201)
            let carol = try await E2EEDevice.make(carolLogin, client: client)
            let state1 = try await alice.devices(in: room)
            #expect(state1.keyEpoch == 1 && state1.bundles.count == 3)
            #expect(state1.hasKey[carol.deviceID] == false && state1.hasKey[alice.deviceID] == true)
            let carolBundle = try #require(state1.bundles.first { $0.deviceID == carol.identity.deviceID })
            let notHolder = try await carol.upload(
                [try KeyEnvelope.seal(key1, to: carolBundle, from: carol.identity)], epoch: 1, to: room)
            #expect(notHolder.status == 403, "only a device holding the epoch key may share it: \(notHolder)")
            let shared = try await alice.upload([try KeyEnvelope.seal(key1, to: carolBundle, from: alice.identity)], epoch: 1, to: room)
            #expect(shared.status == 200 && shared["keyEpoch"] as? Int == 1, "\(shared)")
            let again = try await alice.upload([try KeyEnvelope.seal(key1, to: carolBundle, from: alice.identity)], epoch: 1, to: room)
            #expect(again.status == 409, "a device gets one envelope per epoch: \(again)")
            let carolKey1 = try #require(try await carol.key(for: room, epoch: 1, senders: state1.bundles))
            #expect(try await alice.send(plaintexts[2], key: key1, to: room).status == 201)
            #expect(try await Self.readable(room, as: carol, keys: [1: carolKey1], senders: state1.bundles) == Array(plaintexts[0..<3]))

            // Bob is removed: epoch 1 is refused from now on, and the next epoch goes to the others only.
            let removed = try await client.call(
                "DELETE", "/v1/conversations/\(room)/members/\(bob.login.id)", token: alice.login.token)
            #expect(removed.status == 204, "\(removed)")
            let old = try await alice.send("after removal, old key", key: key1, to: room)
            #expect(old.status == 409 && old.errorCode == "rekey_required", "\(old)")
            #expect(old.errorMessage?.contains("epoch") == true)
            let state2 = try await alice.devices(in: room)
            #expect(state2.keyEpoch == 1 && state2.requiredEpoch == 2 && state2.bundles.count == 2)
            let withBob = try await alice.rotate(room, epoch: 2, to: state1.bundles)
            #expect(withBob.0.status == 409, "a removed member's device gets no envelope: \(withBob.0)")
            let (rotated2, key2) = try await alice.rotate(room, epoch: 2, to: state2.bundles)
            #expect(rotated2.status == 200 && rotated2["keyEpoch"] as? Int == 2, "\(rotated2)")
            #expect(try await alice.send(plaintexts[3], key: key2, to: room).status == 201)
            let gone = try await bob.send("bob is gone", key: bobKey1, to: room)
            #expect(gone.status == 404 && gone.errorCode == "not_found", "\(gone)")
            let carolKey2 = try #require(try await carol.key(for: room, epoch: 2, senders: state2.bundles))
            #expect(try await Self.readable(room, as: carol, keys: [1: carolKey1, 2: carolKey2], senders: state1.bundles) == plaintexts)

            // Nothing of epoch 2 was addressed to Bob; his inbox holds exactly his epoch-1 envelope,
            // and that key does not open the epoch-2 message stored after his removal.
            let database = try DatabaseQueue(path: server.directory.appendingPathComponent("data/chat.sqlite").path)
            let bobDeviceBlob = Data(withUnsafeBytes(of: bob.identity.deviceID.uuid) { Array($0) })
            let (toBob, epoch2Total, ciphertexts) = try await database.read { db in
                (try Int.fetchOne(db, sql: "SELECT count(*) FROM key_envelopes WHERE epoch >= 2 AND device_id = ?", arguments: [bobDeviceBlob]),
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM key_envelopes WHERE epoch = 2"),
                 try Data.fetchAll(db, sql: "SELECT body FROM messages WHERE key_epoch = 2"))
            }
            #expect(toBob == 0 && epoch2Total == 2 && ciphertexts.count == 1)
            let bobInbox = try await bob.inbox()
            #expect(bobInbox.count == 1 && bobInbox.first?["epoch"] as? Int == 1, "\(bobInbox)")
            // Every key Bob can get from his inbox (had the server sealed epoch 2 to him, it would be here).
            let bobKeys = try bobInbox.map { item in
                let envelope = try KeyEnvelope(textEncoded: try #require(item["envelope"] as? String))
                let sender = try #require(state1.bundles.first { $0.deviceID == envelope.senderDeviceID })
                return try envelope.open(as: bob.identity, from: sender, conversationID: UUID(uuidString: room)!)
            }
            for bytes in ciphertexts {
                let message = try SealedMessage(serialized: bytes)
                let sender = try #require(state1.bundles.first { $0.deviceID == message.senderDeviceID })
                #expect(message.epoch == 2)
                #expect(bobKeys.allSatisfy { (try? message.open(with: $0, from: sender)) == nil }, "Bob opens an epoch-2 message")
            }

            // Server-side search never sees encrypted conversations, and says so.
            let scoped = try await client.call("GET", "/v1/search?q=secret&conversation=\(room)", token: alice.login.token)
            #expect(scoped.status == 400 && scoped.errorMessage?.contains("end-to-end encrypted") == true, "\(scoped)")
            let plain = try await client.group(by: alice.login, members: [])
            try await client.send("a secret in the clear", to: plain, as: alice.login)
            let global = try await client.call("GET", "/v1/search?q=secret", token: alice.login.token)
            let hits = (global["results"] as? [[String: Any]])?.compactMap { ($0["message"] as? [String: Any])?["text"] as? String }
            #expect(global.status == 200 && hits == ["a secret in the clear"], "only the plain conversation is searched: \(global)")
            #expect(global["excludedEncryptedConversations"] as? Int == 1)

            // The database file (and its WAL), and every other file under the data directory
            // (media objects included), hold none of the plaintexts.
            try await server.stop(removingFiles: false)
            let files = try TestServer.files(under: server.directory.appendingPathComponent("data"))
            #expect(files.contains { $0.lastPathComponent == "chat.sqlite" })
            for file in files {
                let bytes = try Data(contentsOf: file)
                for plaintext in plaintexts + ["too early"] {
                    #expect(bytes.range(of: Data(plaintext.utf8)) == nil, "\(file.lastPathComponent) holds \"\(plaintext)\"")
                }
            }
            try? FileManager.default.removeItem(at: server.directory)
        }
    }

    @Test("the directory refuses a bundle for another user, forged bundles and replaced keys; devices are served to members only")
    func directory() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let bob = try await client.user("bob")
            let mallory = try await client.user("mallory")

            // A bundle naming Bob, uploaded by Alice.
            let bobs = try DeviceIdentity.generate(deviceID: E2EEDevice.newUUID(), userID: UUID(uuidString: bob.id)!)
            let foreign = try await client.call("POST", "/v1/devices", token: alice.token, json: ["bundle": bobs.makeBundle().textEncoded])
            #expect(foreign.status == 403 && foreign.errorCode == "forbidden", "\(foreign)")
            #expect(foreign.errorMessage?.contains("your own user id") == true)

            // A bundle whose signature does not verify, and bytes that are no bundle.
            let alices = try DeviceIdentity.generate(deviceID: E2EEDevice.newUUID(), userID: UUID(uuidString: alice.id)!)
            var tampered = alices.makeBundle().serialized
            tampered[80] ^= 0x01
            for bad in [Self.textForm(tampered), "AAAA", "not base64url!", String(repeating: "A", count: 227)] {
                let answer = try await client.call("POST", "/v1/devices", token: alice.token, json: ["bundle": bad])
                #expect(answer.status == 400, "\(bad.prefix(20)): \(answer)")
            }

            // Publishing is idempotent; another bundle under the same id is a conflict.
            let first = try await client.call("POST", "/v1/devices", token: alice.token, json: ["bundle": alices.makeBundle().textEncoded])
            #expect(first.status == 201)
            let repeated = try await client.call("POST", "/v1/devices", token: alice.token, json: ["bundle": alices.makeBundle().textEncoded])
            #expect(repeated.status == 200)
            let replacement = try DeviceIdentity.generate(deviceID: alices.deviceID, userID: alices.userID)
            let replaced = try await client.call(
                "POST", "/v1/devices", token: alice.token, json: ["bundle": replacement.makeBundle().textEncoded])
            #expect(replaced.status == 409 && replaced.errorCode == "conflict", "\(replaced)")

            // One direct conversation per pair: an encrypted one is refused where a plain one exists.
            let plainDirect = try await client.call(
                "POST", "/v1/conversations", token: alice.token, json: ["kind": "direct", "members": [bob.id]])
            #expect(plainDirect.status == 201)
            let encryptedDirect = try await client.call(
                "POST", "/v1/conversations", token: alice.token, json: ["kind": "direct", "members": [bob.id], "encrypted": true])
            #expect(encryptedDirect.status == 409 && encryptedDirect.errorCode == "conflict", "\(encryptedDirect)")
            let secretDirect = try await client.call(
                "POST", "/v1/conversations", token: alice.token, json: ["kind": "direct", "members": [mallory.id], "encrypted": true])
            #expect(secretDirect.status == 201 && (secretDirect["conversation"] as? [String: Any])?["encrypted"] as? Bool == true)
            let again = try await client.call(
                "POST", "/v1/conversations", token: mallory.token, json: ["kind": "direct", "members": [alice.id]])
            #expect((again["conversation"] as? [String: Any])?["encrypted"] as? Bool == true, "the existing (encrypted) one: \(again)")

            // Members only; and a plain conversation has no devices.
            let room = try await Self.encryptedGroup(by: alice, members: [bob], client: client)
            #expect(try await client.call("GET", "/v1/conversations/\(room)/devices", token: mallory.token).status == 404)
            // The flag cannot be turned off: the update request has no such field.
            let off = try await client.call("PATCH", "/v1/conversations/\(room)", token: alice.token, json: ["encrypted": false])
            #expect(off.status == 400, "\(off)")
            let still = try await client.call("GET", "/v1/conversations/\(room)", token: alice.token)
            #expect((still["conversation"] as? [String: Any])?["encrypted"] as? Bool == true)

            let plain = try await client.group(by: alice, members: [bob])
            #expect(try await client.call("GET", "/v1/conversations/\(plain)/devices", token: alice.token).status == 400)
            let plainSend = try await client.call(
                "POST", "/v1/conversations/\(plain)/messages", token: alice.token,
                json: ["clientMessageId": "p-1", "ciphertext": "AAAA", "epoch": 1, "senderDevice": alices.deviceID.uuidString.lowercased()])
            #expect(plainSend.status == 400, "epoch/senderDevice only in encrypted conversations: \(plainSend)")

            // Nobody reads another user's envelope inbox; a removed device gets no new keys and re-keying is required.
            let aliceDevice = alices.deviceID.uuidString.lowercased()
            #expect(try await client.call("GET", "/v1/devices/\(aliceDevice)/envelopes", token: bob.token).status == 404)
            let bobDevice = try await E2EEDevice.make(bob, client: client)
            let state = try await bobDevice.devices(in: room)
            #expect(state.bundles.count == 2)
            #expect(try await bobDevice.rotate(room, epoch: 1, to: state.bundles).0.status == 200)
            #expect(try await client.call("DELETE", "/v1/devices/\(aliceDevice)", token: bob.token).status == 404)
            let gone = try await client.call("DELETE", "/v1/devices/\(aliceDevice)", token: alice.token)
            #expect(gone.status == 200 && (gone["device"] as? [String: Any])?["removedAt"] != nil, "\(gone)")
            let after = try await bobDevice.devices(in: room)
            #expect(after.requiredEpoch == 2 && after.bundles.count == 1)
            let back = try await client.call("POST", "/v1/devices", token: alice.token, json: ["bundle": alices.makeBundle().textEncoded])
            #expect(back.status == 409, "a removed device cannot come back: \(back)")

            // The log announced both device changes and the key distribution, in order.
            let events = try await client.call("GET", "/v1/conversations/\(room)/events", token: bob.token)
            let kinds = try #require(events["events"] as? [[String: Any]]).compactMap { $0["kind"] as? String }
            #expect(kinds == ["device.added", "key.distributed", "device.removed"], "\(kinds)")
        }
    }

    /// The E2EE text form of raw bytes.
    private static func textForm(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
