import Foundation
import Logging
@testable import MessagingClient
import MessagingCore
import MessagingE2EE
import MessagingTransport
import MessagingWire
import Synchronization
import Testing

/// `RealtimeClient` with `ClientEncryption` against a real ChatServer: sealed sends, opened
/// receives, new epochs for a joining member and after a removal, and the refusals.
@Suite("MessagingClient end-to-end encryption against a real ChatServer", .timeLimit(.minutes(3)))
struct RealtimeClientEncryptionTests {
    /// A client with encryption for `login` (a new device in memory).
    static func client(
        port: Int, login: Login, transport: ((any ClientTransport) -> any ClientTransport)? = nil
    ) throws -> (RealtimeClient, ClientEncryption) {
        let encryption = try ClientEncryption.open(userID: try #require(UUID(uuidString: login.id)), store: InMemoryKeyStore())
        let webSocket = WebSocketClientTransport(url: "ws://127.0.0.1:\(port)/v1/realtime", logger: RealtimeClientTests.quiet)
        let client = RealtimeClient(
            transport: transport?(webSocket) ?? webSocket,
            configuration: .init(backoffBase: .milliseconds(50), backoffCap: .milliseconds(500)), encryption: encryption,
            token: { _ in login.token }, logger: RealtimeClientTests.quiet)
        return (client, encryption)
    }

    /// Waits for the client's connection, then publishes its device and syncs its inbox.
    static func prepare(_ client: RealtimeClient) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while client.session == nil {
            guard ContinuousClock.now < deadline else { throw TestFailure.timeout("connection") }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await client.prepareEncryption()
    }

    /// The message of the event at `seq` (waits for it).
    static func message(_ collector: RealtimeClientTests.Collector, in room: ConversationID, seq: Int64) async throws -> ClientMessage {
        let events = try await collector.events(in: room, through: seq)
        return try #require(events.first { $0.seq == seq }?.message, "no message at seq \(seq)")
    }

    /// The error code `body` throws (nil when it does not throw a RealtimeClientError).
    static func code(_ body: () async throws -> DecryptedMessage) async -> RealtimeClientError.Code? {
        do {
            _ = try await body()
            return nil
        } catch {
            return (error as? RealtimeClientError)?.code
        }
    }

    /// A copy of `message` with some of its JSON keys replaced.
    static func altered(_ message: ClientMessage, _ changes: [String: ClientJSON]) throws -> ClientMessage {
        var object = try #require(message.json.object)
        for (key, value) in changes { object[key] = value }
        return try #require(ClientMessage(.object(object)))
    }

    @Test("two members exchange sealed messages both ways; the server stores only ciphertext; a joining member gets a new epoch, a removed one cannot read what follows; tampering, foreign signatures and replays are typed errors")
    func conversation() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let (alice, bob, carol) = (try await http.user("alice"), try await http.user("bob"), try await http.user("carol"))
            let roomText = try await EncryptedConversationTests.encryptedGroup(by: alice, members: [bob], client: http)
            let room = try #require(ConversationID(roomText))
            let plainRoom = try #require(ConversationID(try await http.group(by: alice, members: [bob])))
            let (a, aliceKeys) = try Self.client(port: server.port, login: alice)
            let (b, _) = try Self.client(port: server.port, login: bob)
            let (c, _) = try Self.client(port: server.port, login: carol)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in [a, b, c] { group.addTask { try await client.run() } }
                defer { group.cancelAll() }
                let (fromA, fromB, fromC) = (RealtimeClientTests.Collector(a), RealtimeClientTests.Collector(b), RealtimeClientTests.Collector(c))
                for client in [a, b, c] { try await Self.prepare(client) }
                try await a.subscribe(room, after: 0)
                try await b.subscribe(room, after: 0)

                // Both ways: sealed on send, opened on receipt.
                let hello = "hello bob, the launch code is 4711"
                let sent = try await a.send(text: hello, to: room)
                #expect(sent.message.kind == "encrypted" && sent.message.text == nil && sent.message.ciphertext != nil)
                #expect(sent.message.json["epoch"]?.integer == 1)
                let atBob = try await Self.message(fromB, in: room, seq: sent.message.seq)
                #expect(try await b.decrypt(atBob).text == hello)
                let reply = "hi alice, noted: 4711"
                let replied = try await b.send(text: reply, to: room)
                let atAlice = try await Self.message(fromA, in: room, seq: replied.message.seq)
                let opened = try await a.decrypt(atAlice)
                #expect(opened.text == reply && opened.epoch == 1)
                #expect(try await a.decrypt(sent.message).text == hello, "the sender opens its own message too")

                // The server keeps ciphertext only.
                let history = try await http.call("GET", "/v1/conversations/\(roomText)/messages?limit=50", token: alice.token)
                #expect(history.status == 200)
                for secret in [hello, reply, "4711"] { #expect(!history.text.contains(secret), "history holds plaintext: \(secret)") }
                let stored = history["messages"] as? [[String: Any]] ?? []
                #expect(stored.count == 2 && stored.allSatisfy { $0["kind"] as? String == "encrypted" && $0["ciphertext"] is String })

                // A plain conversation stays plain for the same client.
                let plain = try await a.send(text: "in the clear", to: plainRoom)
                #expect(plain.message.kind == "text" && plain.message.text == "in the clear")

                // Tampered bytes, a foreign signature, a device that is not the sender's, a replay.
                let ciphertext = try #require(atAlice.ciphertext)
                var bytes = try #require(Data(base64Encoded: ciphertext))
                bytes[bytes.count - 1] ^= 1
                let flipped = try Self.altered(atAlice, ["ciphertext": .string(bytes.base64EncodedString())])
                #expect(await Self.code { try await a.decrypt(flipped) } == .tampered)
                let bobDevice = try #require(atAlice.json["senderDevice"]?.string.flatMap(UUID.init(uuidString:)))
                let impostor = try DeviceIdentity.generate(deviceID: bobDevice, userID: try #require(UUID(uuidString: bob.id)))
                let key1 = try #require(await aliceKeys.key(conversation: roomText, epoch: 1))
                let forgedSeal = try SealedMessage.seal(Array("pay mallory".utf8), clientMessageID: "forged-1", with: key1, from: impostor)
                let forged = try Self.altered(
                    atAlice, ["ciphertext": .string(Data(forgedSeal.serialized).base64EncodedString()), "clientMessageId": "forged-1"])
                #expect(await Self.code { try await a.decrypt(forged) } == .tampered)
                let wrongSender = try Self.altered(sent.message, ["sender": .string(bob.id)])
                #expect(await Self.code { try await b.decrypt(wrongSender) } == .untrustedDevice)
                let replayed = try Self.altered(atAlice, ["seq": .integer(atAlice.seq + 100)])
                #expect(await Self.code { try await a.decrypt(replayed) } == .replayed)
                #expect(try await a.decrypt(atAlice).text == reply, "the same seq again is a redelivery, not a replay")
                #expect(await Self.code { try await a.decrypt(plain.message) } == .invalidArgument)

                // Carol joins: the next send starts epoch 2 for her; she reads it, not epoch 1.
                let added = try await http.call("POST", "/v1/conversations/\(roomText)/members", token: alice.token, json: ["user": carol.id])
                #expect(added.status == 201, "\(added)")
                try await c.subscribe(room, after: 0)
                let welcome = try await a.send(text: "welcome carol", to: room)
                #expect(welcome.message.json["epoch"]?.integer == 2)
                #expect(try await c.decrypt(try await Self.message(fromC, in: room, seq: welcome.message.seq)).text == "welcome carol")
                #expect(try await b.decrypt(try await Self.message(fromB, in: room, seq: welcome.message.seq)).text == "welcome carol")
                let old = try await Self.message(fromC, in: room, seq: sent.message.seq)
                #expect(await Self.code { try await c.decrypt(old) } == .missingKey)
                let fromCarol = try await c.send(text: "thanks alice", to: room)
                #expect(try await a.decrypt(try await Self.message(fromA, in: room, seq: fromCarol.message.seq)).text == "thanks alice")

                // Bob is removed: the next send starts epoch 3 without him; his client cannot open it.
                let removed = try await http.call("DELETE", "/v1/conversations/\(roomText)/members/\(bob.id)", token: alice.token)
                #expect(removed.status == 204, "\(removed)")
                let after = try await a.send(text: "bob is gone", to: room)
                #expect(after.message.json["epoch"]?.integer == 3)
                #expect(try await c.decrypt(try await Self.message(fromC, in: room, seq: after.message.seq)).text == "bob is gone")
                #expect(await Self.code { try await b.decrypt(after.message) } == .missingKey)
            }
        }
    }

    @Test("a removed device raises requiredEpoch: the next send starts a new epoch; the removed device can neither send nor open it")
    func removedDevice() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let (alice, bob) = (try await http.user("alice"), try await http.user("bob"))
            let roomText = try await EncryptedConversationTests.encryptedGroup(by: alice, members: [bob], client: http)
            let room = try #require(ConversationID(roomText))
            let (a, aliceKeys) = try Self.client(port: server.port, login: alice)
            let (b, bobKeys) = try Self.client(port: server.port, login: bob)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in [a, b] { group.addTask { try await client.run() } }
                defer { group.cancelAll() }
                for client in [a, b] { try await Self.prepare(client) }
                let first = try await a.send(text: "one", to: room)
                #expect(first.message.json["epoch"]?.integer == 1)
                // Bob retires his device from another session: requiredEpoch rises to 2.
                let removed = try await b.request(["type": "device.remove", "device": .string(bobKeys.identity.deviceID.uuidString.lowercased())])
                #expect(removed["device"]?["removedAt"] != nil)
                let second = try await a.send(text: "two", to: room)
                #expect(second.message.json["epoch"]?.integer == 2)
                #expect(await aliceKeys.key(conversation: roomText, epoch: 2) != nil)
                // A removed device can neither send nor get keys.
                do {
                    _ = try await b.send(text: "from a removed device", to: room)
                    Issue.record("a removed device sent")
                } catch let error as RealtimeClientError {
                    #expect(error.code == .deviceNotActive || error.code == .server, "\(error)")
                }
                #expect(await Self.code { try await b.decrypt(second.message) } == .missingKey)
            }
        }
    }

    @Test("a send the server answers with rekey_required (a member was removed meanwhile) starts a new epoch, seals again and is stored once")
    func rekeyRequired() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let (alice, bob, carol) = (try await http.user("alice"), try await http.user("bob"), try await http.user("carol"))
            let roomText = try await EncryptedConversationTests.encryptedGroup(by: alice, members: [bob, carol], client: http)
            let room = try #require(ConversationID(roomText))
            let removal = FirstSendHook.Flag()
            let (a, _) = try Self.client(port: server.port, login: alice) { inner in
                FirstSendHook(inner: inner, before: {
                    // Between Alice's key check and her send: Carol leaves, requiredEpoch rises.
                    let removed = try await http.call("DELETE", "/v1/conversations/\(roomText)/members/\(carol.id)", token: alice.token)
                    removal.fired.store(removed.status == 204, ordering: .relaxed)
                })
            }
            let (b, _) = try Self.client(port: server.port, login: bob)
            let (c, _) = try Self.client(port: server.port, login: carol)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in [a, b, c] { group.addTask { try await client.run() } }
                defer { group.cancelAll() }
                for client in [a, b, c] { try await Self.prepare(client) }
                let sent = try await a.send(text: "after the rekey", to: room, clientMessageID: "rekey-1")
                let removedFirst = removal.fired.load(ordering: .relaxed)
                #expect(removedFirst, "the removal ran before the first send frame")
                #expect(sent.message.json["epoch"]?.integer == 2, "epoch 1 was refused with rekey_required; epoch 2 went to Alice and Bob")
                #expect(try await b.decrypt(sent.message).text == "after the rekey")
                // Carol never pinned Alice's device and, no longer a member, cannot list it: refused
                // before the key is even looked for.
                let carolCode = await Self.code { try await c.decrypt(sent.message) }
                #expect(carolCode == .untrustedDevice || carolCode == .missingKey, "\(String(describing: carolCode))")
                let history = try await http.call("GET", "/v1/conversations/\(roomText)/messages?limit=50", token: alice.token)
                let stored = (history["messages"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "encrypted" }
                #expect(stored.count == 1 && stored.first?["clientMessageId"] as? String == "rekey-1", "\(history)")
            }
        }
    }
}
