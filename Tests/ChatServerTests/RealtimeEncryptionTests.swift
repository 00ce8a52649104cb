import Foundation
import MessagingE2EE
import MessagingCore
import MessagingWire
import TestSupport
import Testing

/// The end-to-end encryption requests of protocol v1 over a real WebSocket: publish a device,
/// list devices, upload and fetch envelopes, send and receive sealed messages, re-key after a
/// removal — and the events that tell other members when to act.
@Suite("ChatServer realtime: end-to-end encrypted conversations", .timeLimit(.minutes(3)))
struct RealtimeEncryptionTests {
    @Test("device.publish, devices, envelopes.upload, envelopes and an encrypted send over WebSocket; device and key events reach members")
    func flow() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            let room = try #require(
                (try await http.call(
                    "POST", "/v1/conversations", token: alice.token,
                    json: ["kind": "group", "title": "e2ee", "members": [bob.id], "encrypted": true])["conversation"]
                    as? [String: Any])?["id"] as? String)
            let roomUUID = try #require(UUID(uuidString: room))
            let aliceID = try DeviceIdentity.generate(deviceID: E2EEDevice.newUUID(), userID: try #require(UUID(uuidString: alice.id)))
            let bobID = try DeviceIdentity.generate(deviceID: E2EEDevice.newUUID(), userID: try #require(UUID(uuidString: bob.id)))
            let aliceDevice = aliceID.deviceID.uuidString.lowercased()
            let bobDevice = bobID.deviceID.uuidString.lowercased()

            _ = try await Peer.with(server, token: alice.token) { a in
                _ = try await a.ready()
                #expect(try await a.request(.subscribe(typed(room), after: 0)).type == "ok")
                let published = try await a.request(.publishDevice(bundle: Data(aliceID.makeBundle().serialized)))
                #expect(published.type == "ok", "\(published)")
                let device = published.result["device"] as? [String: Any] ?? [:]
                #expect(device["id"] as? String == aliceDevice && device["user"] as? String == alice.id)
                #expect(device["bundle"] as? String == aliceID.makeBundle().textEncoded)
                let foreign = try await a.request(.publishDevice(bundle: Data(bobID.makeBundle().serialized)))
                #expect(foreign.type == "error" && foreign.code == "forbidden", "\(foreign)")
                let garbage = try await a.request(["type": "device.publish", "bundle": "AAAA="])
                #expect(garbage.type == "error" && garbage.code == "bad_frame", "\(garbage)")

                _ = try await Peer.with(server, token: bob.token) { b in
                    _ = try await b.ready()
                    #expect(try await b.request(.publishDevice(bundle: Data(bobID.makeBundle().serialized))).type == "ok")
                    // Alice learns of Bob's device from the log: the event that tells her to share keys.
                    let added = try await a.wait("device.added for Bob's device") { frame in
                        let event = frame["event"] as? [String: Any]
                        return event?["kind"] as? String == "device.added" && event?["device"] as? String == bobDevice
                    }
                    #expect((added["event"] as? [String: Any])?["user"] as? String == bob.id)

                    let listed = try await a.request(.devices(typed(room)))
                    #expect(listed.result.int("keyEpoch") == 0 && listed.result.int("requiredEpoch") == 1, "\(listed)")
                    let devices = listed.result["devices"] as? [[String: Any]] ?? []
                    #expect(Set(devices.compactMap { $0["id"] as? String }) == [aliceDevice, bobDevice])
                    #expect(devices.allSatisfy { $0["hasKey"] as? Bool == false })

                    let rotation = try EpochRotation.start(
                        conversationID: roomUUID, epoch: 1, sender: aliceID, devices: [aliceID.makeBundle(), bobID.makeBundle()])
                    let uploaded = try await a.request(
                        .uploadEnvelopes(
                            .init(
                                conversationID: typed(room), epoch: 1, senderDeviceID: typed(aliceDevice),
                                envelopes: rotation.envelopes.map { Data($0.serialized) })))
                    #expect(uploaded.type == "ok" && uploaded.result.int("stored") == 2 && uploaded.result.int("keyEpoch") == 1, "\(uploaded)")
                    let distributed = try await a.wait("key.distributed") { frame in
                        (frame["event"] as? [String: Any])?["kind"] as? String == "key.distributed"
                    }
                    let event = distributed["event"] as? [String: Any] ?? [:]
                    #expect(event["rotated"] as? Bool == true && event["senderDevice"] as? String == aliceDevice)
                    #expect(Set(event["devices"] as? [String] ?? []) == [aliceDevice, bobDevice])

                    // Bob fetches the envelope addressed to his device and opens it.
                    let inbox = try await b.request(.envelopes(device: typed(bobDevice), after: 0, limit: 10))
                    let envelopes = inbox.result["envelopes"] as? [[String: Any]] ?? []
                    #expect(envelopes.count == 1 && inbox.result["hasMore"] as? Bool == false, "\(inbox)")
                    #expect(envelopes.first?.int("seq") == 1 && envelopes.first?["senderDevice"] as? String == aliceDevice)
                    let envelope = try KeyEnvelope(textEncoded: try #require(envelopes.first?["envelope"] as? String))
                    let key = try envelope.open(as: bobID, from: aliceID.makeBundle(), conversationID: roomUUID, epoch: 1)
                    let later = try await b.request(.envelopes(device: typed(bobDevice), after: 1, limit: 100))
                    #expect((later.result["envelopes"] as? [Any])?.isEmpty == true)
                    let notMine = try await b.request(.envelopes(device: typed(aliceDevice), after: 0, limit: 100))
                    #expect(notMine.code == "not_found", "\(notMine)")

                    // Bob sends a sealed message; Alice receives it as an event and opens it.
                    let sealed = try SealedMessage.seal(Array("over the socket".utf8), clientMessageID: "ws-1", with: key, from: bobID)
                    let sent = try await b.request(
                        .send(ciphertext: Data(sealed.serialized), key: "ws-1", to: typed(room), epoch: 1, device: typed(bobDevice)))
                    #expect(sent.type == "ok", "\(sent)")
                    let seq = try #require(sent.result.message.int("seq"))
                    let received = try await a.event(room, seq: seq)
                    #expect(received.message["epoch"] as? Int == 1 && received.message["senderDevice"] as? String == bobDevice)
                    let ciphertext = try #require(received.message["ciphertext"] as? String)
                    let bytes = try #require(Data(base64Encoded: ciphertext))
                    let opened = try SealedMessage(serialized: bytes).open(with: rotation.key, from: bobID.makeBundle())
                    #expect(String(decoding: opened.plaintext, as: UTF8.self) == "over the socket")
                    let plain = try await b.request(.send("clear", key: "ws-2", to: typed(room)))
                    #expect(plain.code == "invalid_input", "\(plain)")
                    let half = try await b.request([
                        "type": "send", "conversation": room, "clientMessageId": "ws-3", "ciphertext": "AAAA", "epoch": 1,
                    ])
                    #expect(half.code == "bad_frame", "\(half)")

                    // Bob removes his device: Alice sees it, and epoch 1 is closed to new messages.
                    let removed = try await b.request(.removeDevice(typed(bobDevice)))
                    #expect(removed.type == "ok" && (removed.result["device"] as? [String: Any])?["removedAt"] != nil, "\(removed)")
                    _ = try await a.wait("device.removed") { frame in
                        (frame["event"] as? [String: Any])?["kind"] as? String == "device.removed"
                    }
                    let stale = try SealedMessage.seal(Array("stale".utf8), clientMessageID: "ws-4", with: key, from: aliceID)
                    let refused = try await a.request(
                        .send(ciphertext: Data(stale.serialized), key: "ws-4", to: typed(room), epoch: 1, device: typed(aliceDevice)))
                    #expect(refused.code == "rekey_required", "\(refused)")
                    let state = try await a.request(.devices(typed(room)))
                    #expect(state.result.int("requiredEpoch") == 2 && (state.result["devices"] as? [Any])?.count == 1)
                    return true
                }
                return true
            }
        }
    }
}
