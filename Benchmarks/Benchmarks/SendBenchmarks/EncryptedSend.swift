import BenchSupport
import Benchmark
import CSodium
import Foundation
import MessagingCore
import MessagingE2EE
import MessagingE2EEVerification
import MessagingPersistence

// The server's cost of an end-to-end encrypted send, against a plain send in the same run
// and against the one piece of cryptography the server adds (E2EE.md §11):
//
//   send.single.encrypted          messaging.messages.send of a sealed message into an
//                                  encrypted conversation: the plain send's work plus the
//                                  sender-device lookup, the key-state check and one Ed25519
//                                  verification of the sealed message (SodiumEndToEndVerifier)
//   send.single.verifyRaw          one bare crypto_sign_verify_detached over the same signed
//                                  bytes: the physical floor of what encryption adds
//
// Messages are sealed in setup (sealing is the client's work); the same 16 texts as the
// plain send benchmarks.

/// An encrypted conversation with one epoch distributed, and sealed drafts ready to send.
final class EncryptedSendFixture: @unchecked Sendable {
    // @unchecked: set up in `setup`, then used only by its benchmark closure.
    var directory = ""
    var messaging: Messaging?
    var conversationID = ConversationID(UUIDv7(unixMilliseconds: 0, randomA: 0, randomB: 0))
    var senderID = UserID(UUIDv7(unixMilliseconds: 0, randomA: 0, randomB: 0))
    var drafts: [MessageDraft] = []
    var signed: [(message: [UInt8], signature: [UInt8])] = []
    var publicKey: [UInt8] = []
    var counter = 0

    func setUp(count: Int) async throws {
        directory = try BenchPaths.makeTemporaryDirectory("messaging-send-e2ee")
        let messaging = Messaging(
            store: try SQLiteMessagingStore(path: "\(directory)/messages.sqlite"), verifier: SodiumEndToEndVerifier())
        let alice = try await messaging.users.register(handle: "alice", displayName: "Alice")
        let bob = try await messaging.users.register(handle: "bob", displayName: "Bob")
        let room = try await messaging.conversations.create(.group(title: "Bench", members: [bob.id]), by: alice.id, encrypted: true)
        let ids = UUIDv7Generator()
        func identity(for user: UserID) throws -> DeviceIdentity {
            try DeviceIdentity.generate(deviceID: UUID(uuidString: ids.next().uuidString)!, userID: UUID(uuidString: user.description)!)
        }
        let aliceDevice = try identity(for: alice.id)
        let bobDevice = try identity(for: bob.id)
        _ = try await messaging.devices.publish(Data(aliceDevice.makeBundle().serialized), by: alice.id)
        _ = try await messaging.devices.publish(Data(bobDevice.makeBundle().serialized), by: bob.id)
        let conversationUUID = UUID(uuidString: room.id.description)!
        let rotation = try EpochRotation.start(
            conversationID: conversationUUID, epoch: 1, sender: aliceDevice, devices: [aliceDevice.makeBundle(), bobDevice.makeBundle()])
        let senderDevice = DeviceID(UUIDv7(aliceDevice.deviceID.uuidString)!)
        _ = try await messaging.devices.uploadEnvelopes(
            rotation.envelopes.map { Data($0.serialized) }, epoch: 1, from: senderDevice, in: room.id, by: alice.id)
        let label = Array("messaging-e2ee/v1/message".utf8) + [0]
        drafts = []
        signed = []
        for index in 0..<count {
            let clientID = "e-\(index)"
            let sealed = try SealedMessage.seal(
                Array(bodies[index % bodies.count].utf8), clientMessageID: clientID, with: rotation.key, from: aliceDevice)
            drafts.append(try MessageDraft(
                ciphertext: Data(sealed.serialized), clientMessageID: ClientMessageID(clientID),
                encryption: EncryptionHeader(epoch: 1, senderDeviceID: senderDevice)))
            let bytes = sealed.serialized
            signed.append((label + bytes[..<(bytes.count - 64)], Array(bytes[(bytes.count - 64)...])))
        }
        publicKey = aliceDevice.signingPublicKey.rawRepresentation
        conversationID = room.id
        senderID = alice.id
        counter = 0
        self.messaging = messaging
    }

    func tearDown() {
        messaging = nil
        drafts = []
        signed = []
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Enough sealed messages for the warm-up and every measured iteration of `single`.
let encryptedSendCapacity = 20_100

func registerEncryptedSendBenchmarks(_ configuration: Benchmark.Configuration) {
    do {
        let fixture = EncryptedSendFixture()
        Benchmark("send.single.encrypted", configuration: configuration) { benchmark in
            let messaging = fixture.messaging!
            for _ in benchmark.scaledIterations {
                let draft = fixture.drafts[fixture.counter % fixture.drafts.count]
                fixture.counter += 1
                blackHole(try await messaging.messages.send(draft, to: fixture.conversationID, by: fixture.senderID))
            }
        } setup: {
            try await fixture.setUp(count: encryptedSendCapacity)
        } teardown: {
            fixture.tearDown()
        }
    }

    do {
        let fixture = EncryptedSendFixture()
        Benchmark("send.single.verifyRaw", configuration: configuration) { benchmark in
            let key = fixture.publicKey
            for _ in benchmark.scaledIterations {
                let item = fixture.signed[fixture.counter % fixture.signed.count]
                fixture.counter += 1
                let result = crypto_sign_verify_detached(item.signature, item.message, UInt64(item.message.count), key)
                precondition(result == 0)
                blackHole(result)
            }
        } setup: {
            try await fixture.setUp(count: 64)
        } teardown: {
            fixture.tearDown()
        }
    }
}
