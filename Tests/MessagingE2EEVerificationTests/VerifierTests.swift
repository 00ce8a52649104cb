import Foundation
import MessagingCore
import MessagingE2EE
import MessagingE2EEVerification
import MessagingPersistence
import Testing

/// A fresh UUIDv7 as a Foundation UUID.
func newUUID() -> UUID { UUID(uuidString: UUIDv7Generator().next().uuidString)! }

/// A SQLite database in a fresh temporary directory, and the use cases over it with the
/// libsodium verifier.
struct TemporaryDatabase {
    let directory: URL

    init(_ name: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func messaging(limits: MessagingLimits = .default) throws -> Messaging {
        Messaging(
            store: try SQLiteMessagingStore(path: directory.appendingPathComponent("m.sqlite").path),
            configuration: MessagingConfiguration(limits: limits), verifier: SodiumEndToEndVerifier())
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

@Suite("SodiumEndToEndVerifier")
struct VerifierTests {
    let verifier = SodiumEndToEndVerifier()

    func code(_ body: () throws -> Void) -> (MessagingError.Code, String)? {
        do {
            try body()
            return nil
        } catch let error as MessagingError {
            return (error.code, error.message)
        } catch {
            return (.storage, "unexpected \(error)")
        }
    }

    @Test("a bundle's ids come out; any flipped bit, truncation or extension is refused with invalidInput")
    func bundles() throws {
        let identity = try DeviceIdentity.generate(deviceID: newUUID(), userID: newUUID())
        let bytes = identity.makeBundle().serialized
        let facts = try verifier.verifyBundle(Data(bytes))
        #expect(facts.deviceID.uuid.uuidString.lowercased() == identity.deviceID.uuidString.lowercased())
        #expect(facts.userID.uuid.uuidString.lowercased() == identity.userID.uuidString.lowercased())
        for index in bytes.indices {
            var flipped = bytes
            flipped[index] ^= 0x01
            let refused = code { _ = try verifier.verifyBundle(Data(flipped)) }
            #expect(refused?.0 == .invalidInput, "byte \(index)")
        }
        #expect(code { _ = try verifier.verifyBundle(Data(bytes.dropLast())) }?.0 == .invalidInput)
        #expect(code { _ = try verifier.verifyBundle(Data(bytes + [0])) }?.0 == .invalidInput)
        #expect(code { _ = try verifier.verifyBundle(Data()) }?.0 == .invalidInput)
        // Any 16 bytes are a valid E2EE id, but the server's ids are UUIDv7.
        let v4 = try DeviceIdentity.generate(deviceID: UUID(), userID: newUUID())
        let refused = code { _ = try verifier.verifyBundle(Data(v4.makeBundle().serialized)) }
        #expect(refused?.0 == .invalidInput && refused?.1.contains("UUIDv7") == true, "\(String(describing: refused))")
    }

    @Test("envelopes: header facts, and refusal of a wrong sender, a wrong recipient, a bad signature and a re-signed envelope")
    func envelopes() throws {
        let conversation = newUUID()
        let alice = try DeviceIdentity.generate(deviceID: newUUID(), userID: newUUID())
        let bob = try DeviceIdentity.generate(deviceID: newUUID(), userID: newUUID())
        let mallory = try DeviceIdentity.generate(deviceID: newUUID(), userID: newUUID())
        let key = try ConversationKey.generate(conversationID: conversation, epoch: 7)
        let envelope = try KeyEnvelope.seal(key, to: bob.makeBundle(), from: alice)
        let bytes = Data(envelope.serialized)
        let header = try verifier.envelopeHeader(bytes)
        #expect(header.epoch == 7)
        #expect(header.conversationID.uuid.uuidString.lowercased() == conversation.uuidString.lowercased())
        #expect(header.senderDeviceID.uuid.uuidString.lowercased() == alice.deviceID.uuidString.lowercased())
        #expect(header.recipientDeviceID.uuid.uuidString.lowercased() == bob.deviceID.uuidString.lowercased())
        let aliceBundle = Data(alice.makeBundle().serialized)
        let bobBundle = Data(bob.makeBundle().serialized)
        let malloryBundle = Data(mallory.makeBundle().serialized)
        try verifier.verifyEnvelope(bytes, senderBundle: aliceBundle, recipientBundle: bobBundle)
        #expect(code { try verifier.verifyEnvelope(bytes, senderBundle: malloryBundle, recipientBundle: bobBundle) }?.1.contains("wrongSender") == true)
        #expect(code { try verifier.verifyEnvelope(bytes, senderBundle: aliceBundle, recipientBundle: malloryBundle) }?.1.contains("wrongRecipient") == true)
        var forged = envelope.serialized
        forged[forged.count - 1] ^= 0x01
        #expect(code { try verifier.verifyEnvelope(Data(forged), senderBundle: aliceBundle, recipientBundle: bobBundle) }?.1.contains("signatureInvalid") == true)
        // Mallory takes Alice's envelope, puts her own sender fields in and re-signs: the server
        // sees a valid signature by Mallory (it cannot check the sealed binding), and Bob's
        // client refuses it when opening (authenticationFailed) — covered by MessagingE2EETests.
        #expect(code { _ = try verifier.envelopeHeader(Data(envelope.serialized.dropLast())) }?.0 == .invalidInput)
    }

    @Test("sealed messages: the signed header comes out only when the sender's signature verifies")
    func messages() throws {
        let conversation = newUUID()
        let alice = try DeviceIdentity.generate(deviceID: newUUID(), userID: newUUID())
        let bob = try DeviceIdentity.generate(deviceID: newUUID(), userID: newUUID())
        let key = try ConversationKey.generate(conversationID: conversation, epoch: 2)
        let sealed = try SealedMessage.seal(Array("hi".utf8), clientMessageID: "c-9", with: key, from: alice)
        let header = try verifier.verifyMessage(Data(sealed.serialized), senderBundle: Data(alice.makeBundle().serialized))
        #expect(header.epoch == 2 && header.clientMessageID == "c-9")
        #expect(header.senderDeviceID.uuid.uuidString.lowercased() == alice.deviceID.uuidString.lowercased())
        #expect(code { _ = try verifier.verifyMessage(Data(sealed.serialized), senderBundle: Data(bob.makeBundle().serialized)) }?.0 == .invalidInput)
        for index in stride(from: 0, to: sealed.serialized.count, by: 7) {
            var flipped = sealed.serialized
            flipped[index] ^= 0x80
            #expect(code { _ = try verifier.verifyMessage(Data(flipped), senderBundle: Data(alice.makeBundle().serialized)) }?.0 == .invalidInput, "byte \(index)")
        }
        #expect(code { _ = try verifier.verifyMessage(Data([1, 5, 0]), senderBundle: Data(alice.makeBundle().serialized)) }?.0 == .invalidInput)
    }
}
