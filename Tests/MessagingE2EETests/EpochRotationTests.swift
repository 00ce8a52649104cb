import Foundation
import Testing
@testable import MessagingE2EE

@Suite("Epoch rotation and member removal")
struct EpochRotationTests {
    @Test("a removed device, given every later envelope and message, decrypts nothing of the new epoch")
    func removedMemberIsLockedOut() throws {
        let alice = try TestDevice.make(), bob = try TestDevice.make(), carol = try TestDevice.make()
        let conversation = UUID()
        let first = try EpochRotation.start(
            conversationID: conversation, epoch: 1, sender: alice.identity, devices: [alice.bundle, bob.bundle, carol.bundle])
        let carolReceiver = MessageReceiver(identity: carol.identity)
        try carolReceiver.accept(try #require(first.envelope(for: carol.identity.deviceID)), from: alice.bundle, conversationID: conversation)
        let before = try SealedMessage.seal(Array("before".utf8), clientMessageID: "1", with: first.key, from: alice.identity)
        #expect(try carolReceiver.receive(before, in: conversation, from: alice.bundle).plaintext == Array("before".utf8))

        // Carol is removed: the next epoch goes to Alice and Bob only.
        let second = try EpochRotation.next(after: first.key, sender: alice.identity, remainingDevices: [alice.bundle, bob.bundle])
        #expect(second.epoch == 2)
        #expect(second.envelopes.count == 2)
        #expect(second.envelope(for: carol.identity.deviceID) == nil)
        #expect(!second.key.hasSameKeyMaterial(as: first.key))

        let after = try SealedMessage.seal(Array("after".utf8), clientMessageID: "2", with: second.key, from: alice.identity)
        // Carol gets every later envelope and message and fails on all of them.
        for envelope in second.envelopes {
            let error = expectAnyE2EEError { try carolReceiver.accept(envelope, from: alice.bundle, conversationID: conversation) }
            #expect(error?.code == .wrongRecipient)
            // Even pretending to be the recipient (rewriting the address) cannot open it.
            var readdressed = envelope.serialized
            readdressed.replaceSubrange(74..<90, with: carol.identity.deviceID.wireBytes)
            readdressed.replaceSubrange(90..<122, with: carol.identity.agreementPublicKey.rawRepresentation)
            let forged = try KeyEnvelope(serialized: readdressed)
            let forgedError = expectAnyE2EEError { try forged.open(as: carol.identity, from: alice.bundle, conversationID: conversation) }
            #expect(forgedError?.code == .signatureInvalid)
        }
        expectE2EEError(.keyNotFound) { try carolReceiver.receive(after, in: conversation, from: alice.bundle) }
        // With her old epoch-1 key relabelled as epoch 2, the AEAD still fails.
        let guessed = ConversationKey(conversationID: conversation, epoch: 2, secret: first.key.secret)
        expectE2EEError(.authenticationFailed) { try after.open(with: guessed, from: alice.bundle) }

        // Bob, who remains, reads the new epoch.
        let bobReceiver = MessageReceiver(identity: bob.identity)
        try bobReceiver.accept(try #require(second.envelope(for: bob.identity.deviceID)), from: alice.bundle, conversationID: conversation)
        #expect(try bobReceiver.receive(after, in: conversation, from: alice.bundle).plaintext == Array("after".utf8))
    }

    @Test("rotation refuses an empty device list and duplicate devices")
    func invalidRotations() throws {
        let alice = try TestDevice.make()
        expectE2EEError(.invalidArgument) { try EpochRotation.start(conversationID: UUID(), epoch: 1, sender: alice.identity, devices: []) }
        expectE2EEError(.invalidArgument) {
            try EpochRotation.start(conversationID: UUID(), epoch: 1, sender: alice.identity, devices: [alice.bundle, alice.bundle])
        }
        let last = ConversationKey(conversationID: UUID(), epoch: .max, secret: SecretBytes(randomCount: 32, from: .system))
        expectE2EEError(.invalidArgument) { try EpochRotation.next(after: last, sender: alice.identity, remainingDevices: [alice.bundle]) }
    }

    @Test("the sender's own envelope lets it restore the key it generated")
    func selfEnvelope() throws {
        let alice = try TestDevice.make()
        let rotation = try EpochRotation.start(conversationID: UUID(), epoch: 4, sender: alice.identity, devices: [alice.bundle])
        let restored = try #require(rotation.envelope(for: alice.identity.deviceID))
            .open(as: alice.identity, from: alice.bundle, conversationID: rotation.conversationID, epoch: 4)
        #expect(restored.hasSameKeyMaterial(as: rotation.key))
    }
}
