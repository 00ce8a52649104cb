import Foundation
import Testing
@testable import MessagingE2EE

@Suite("Key envelopes")
struct KeyEnvelopeTests {
    let alice: TestDevice
    let bob: TestDevice
    let key: ConversationKey

    init() throws {
        alice = try TestDevice.make()
        bob = try TestDevice.make()
        key = try ConversationKey.generate(conversationID: UUID(), epoch: 3)
    }

    @Test("an envelope carries the key to its recipient, verified as the sender's")
    func roundTrip() throws {
        let envelope = try KeyEnvelope.seal(key, to: bob.bundle, from: alice.identity)
        #expect(envelope.serialized.count == 300)
        #expect(envelope.serialized[0] == 0x01 && envelope.serialized[1] == 0x04)
        #expect(envelope.conversationID == key.conversationID && envelope.epoch == 3)
        #expect(envelope.senderDeviceID == alice.identity.deviceID)
        #expect(envelope.recipientDeviceID == bob.identity.deviceID)
        let parsed = try KeyEnvelope(textEncoded: envelope.textEncoded)
        let opened = try parsed.open(as: bob.identity, from: alice.bundle, conversationID: key.conversationID, epoch: 3)
        #expect(opened.hasSameKeyMaterial(as: key))
        #expect(opened.conversationID == key.conversationID && opened.epoch == key.epoch)
    }

    @Test("another device cannot open it, and the recipient rejects wrong sender, conversation or epoch")
    func rejections() throws {
        let carol = try TestDevice.make()
        let envelope = try KeyEnvelope.seal(key, to: bob.bundle, from: alice.identity)
        expectE2EEError(.wrongRecipient) { try envelope.open(as: carol.identity, from: alice.bundle, conversationID: key.conversationID) }
        expectE2EEError(.wrongSender) { try envelope.open(as: bob.identity, from: carol.bundle, conversationID: key.conversationID) }
        expectE2EEError(.wrongConversation) { try envelope.open(as: bob.identity, from: alice.bundle, conversationID: UUID()) }
        expectE2EEError(.wrongEpoch) {
            try envelope.open(as: bob.identity, from: alice.bundle, conversationID: key.conversationID, epoch: 4)
        }
        // Same device id, new X25519 key (device re-provisioned): the old envelope is refused.
        let exported = bob.identity.exportSecretKeys()
        var replaced = exported
        replaced.replaceSubrange(74..<106, with: [UInt8](repeating: 7, count: 32))
        replaced.replaceSubrange(106..<122, with: DomainLabel.keyExport.checksum(replaced[0..<106]))
        let bobWithNewKey = try DeviceIdentity(importingSecretKeys: replaced)
        expectE2EEError(.wrongRecipient) { try envelope.open(as: bobWithNewKey, from: alice.bundle, conversationID: key.conversationID) }
    }

    @Test("a group member cannot re-sign another member's envelope as its own")
    func resigningIsDetected() throws {
        let mallory = try TestDevice.make()
        let envelope = try KeyEnvelope.seal(key, to: bob.bundle, from: alice.identity)
        // Mallory swaps in her sender id and key and signs the result with her own key.
        var bytes = Array(envelope.serialized[0..<KeyEnvelope.signedLength])
        bytes.replaceSubrange(26..<42, with: mallory.identity.deviceID.wireBytes)
        bytes.replaceSubrange(42..<74, with: mallory.identity.signingPublicKey.rawRepresentation)
        bytes += mallory.identity.sign(.keyEnvelope, bytes)
        let forged = try KeyEnvelope(serialized: bytes)
        // Signature is valid for Mallory, but the sealed key is bound to Alice's header.
        expectE2EEError(.authenticationFailed) { try forged.open(as: bob.identity, from: mallory.bundle, conversationID: key.conversationID) }
    }

    /// An envelope whose header names Bob's device and X25519 key and whose signature is
    /// valid, but whose sealed box was made for another X25519 key (issue 13 A.3).
    static func sealedToAnotherKey(_ key: ConversationKey, to recipient: DeviceBundle, from sender: DeviceIdentity) throws -> KeyEnvelope {
        let stranger = try DeviceIdentity.generate(deviceID: recipient.deviceID, userID: recipient.userID)
        let envelope = try KeyEnvelope.seal(key, to: stranger.makeBundle(), from: sender)
        var bytes = Array(envelope.serialized[0..<KeyEnvelope.signedLength])
        bytes.replaceSubrange(90..<122, with: recipient.agreementPublicKey.rawRepresentation)
        bytes += sender.sign(.keyEnvelope, bytes)
        return try KeyEnvelope(serialized: bytes)
    }

    @Test("an envelope signed correctly but sealed to another X25519 key throws authenticationFailed, every time, and verifies on the server side")
    func sealedToAnotherKeyIsRefused() throws {
        let envelope = try Self.sealedToAnotherKey(key, to: bob.bundle, from: alice.identity)
        // What a server checks passes: the header names Bob's current key and the signature is Alice's.
        try envelope.verify(from: alice.bundle, to: bob.bundle)
        for _ in 0..<20 {
            expectE2EEError(.authenticationFailed) {
                try envelope.open(as: bob.identity, from: alice.bundle, conversationID: key.conversationID, epoch: 3)
            }
        }
        // The process is intact: a good envelope still opens afterwards.
        let good = try KeyEnvelope.seal(key, to: bob.bundle, from: alice.identity)
        #expect(try good.open(as: bob.identity, from: alice.bundle, conversationID: key.conversationID).hasSameKeyMaterial(as: key))
    }

    @Test("the deterministic sealed-box construction opens with crypto_box_seal_open")
    func deterministicSealedBoxMatchesLibsodium() throws {
        let random = RandomSource.deterministic(seed: Array("sealed-box".utf8))
        let message = Array("hello sealed box".utf8)
        let sealed = try SealedBox.seal(message, to: bob.identity.agreementPublicKey.rawRepresentation, random: random)
        let opened = try SealedBox.open(
            sealed, publicKey: bob.identity.agreementPublicKey.rawRepresentation, secretKey: bob.identity.agreementSecretKey)
        #expect(opened.copiedBytes() == message)
    }

    @Test("sealing to a low-order X25519 key fails with invalidKey")
    func lowOrderRecipient() throws {
        var bytes = bob.bundle.serialized
        bytes.replaceSubrange(74..<106, with: [UInt8](repeating: 0, count: 32))
        // Build a bundle with a zero agreement key signed by its own holder.
        let body = Array(bytes[0..<106])
        let resigned = body + bob.identity.sign(.deviceBundle, body)
        let bad = try DeviceBundle(serialized: resigned)
        expectE2EEError(.invalidKey) { try KeyEnvelope.seal(key, to: bad, from: alice.identity) }
    }
}
