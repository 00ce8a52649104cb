import Foundation
import Testing
@testable import MessagingE2EE

@Suite("Committed test vectors")
struct TestVectorTests {
    static func committed() throws -> TestVectors {
        try JSONDecoder().decode(TestVectors.self, from: Fixtures.data("vectors.json"))
    }

    @Test("regenerating from the fixed seeds reproduces the committed vectors byte for byte")
    func deterministic() throws {
        let generated = try TestVectors.generate()
        if ProcessInfo.processInfo.environment["E2EE_UPDATE_VECTORS"] == "1" {
            try generated.encoded().write(to: PackagePaths.vectors)
            print("wrote \(PackagePaths.vectors.path)")
            return
        }
        let committed = try Self.committed()
        #expect(generated == committed, "formats or derivations changed: if intended, rerun with E2EE_UPDATE_VECTORS=1 and review the diff")
        #expect(try generated.encoded() == Fixtures.data("vectors.json"))
    }

    @Test("identity vectors: seeds give the recorded keys, bundles verify, exports import")
    func identities() throws {
        let vectors = try Self.committed()
        #expect(vectors.identities.count == 2)
        for vector in vectors.identities {
            let bundle = try DeviceBundle(serialized: [UInt8](hex: vector.bundle))
            #expect(try DeviceBundle(textEncoded: vector.bundleText) == bundle)
            #expect(bundle.deviceID.uuidString.lowercased() == vector.deviceID)
            #expect(bundle.signingPublicKey.rawRepresentation.hex == vector.signingPublicKey)
            #expect(bundle.agreementPublicKey.rawRepresentation.hex == vector.agreementPublicKey)
            let imported = try DeviceIdentity(importingSecretKeys: [UInt8](hex: vector.secretKeyExport))
            #expect(imported.makeBundle() == bundle)
            // crypto_sign_seed_keypair(seed) and crypto_scalarmult_base(secret) give the published keys.
            let signing = try [UInt8](hex: vector.signingSeed).withUnsafeBytes { try Ed25519.keyPair(seed: $0) }
            #expect(signing.publicKey.hex == vector.signingPublicKey)
            let agreement = try X25519.publicKey(secretKey: SecretBytes(copying: [UInt8](hex: vector.agreementSecretKey)))
            #expect(agreement.hex == vector.agreementPublicKey)
        }
    }

    @Test("envelope, message, password-export and media vectors verify and open")
    func openEverything() throws {
        let vectors = try Self.committed()
        let alice = try vectors.identity("alice"), bob = try vectors.identity("bob")
        let aliceBundle = try vectors.bundle("alice")
        let conversation = try #require(UUID(uuidString: vectors.conversation.conversationID))
        let identities = ["alice": alice, "bob": bob]
        var keys: [ConversationKey] = []
        for vector in vectors.envelopes {
            let envelope = try KeyEnvelope(serialized: [UInt8](hex: vector.serialized))
            #expect(try KeyEnvelope(textEncoded: vector.text) == envelope)
            let recipient = try #require(identities[vector.recipient])
            let key = try envelope.open(as: recipient, from: aliceBundle, conversationID: conversation, epoch: vectors.conversation.epoch)
            #expect(key.secret.copiedBytes().hex == vectors.conversation.key)
            keys.append(key)
        }
        let key = try #require(keys.first)
        let receiver = MessageReceiver(identity: bob)
        try receiver.add(key)
        for vector in vectors.messages {
            let message = try SealedMessage(serialized: [UInt8](hex: vector.serialized))
            #expect(try SealedMessage(textEncoded: vector.text) == message)
            let received = try receiver.receive(message, in: conversation, from: aliceBundle)
            #expect(!received.isReplay)
            #expect(received.plaintext.hex == vector.plaintext)
            #expect(received.message.clientMessageID == vector.clientMessageID)
        }
        let export = try PasswordProtectedKeys(serialized: [UInt8](hex: vectors.passwordExport.serialized))
        #expect(export.limits == PasswordHashingLimits(operations: vectors.passwordExport.opsLimit, memoryBytes: vectors.passwordExport.memLimit))
        #expect(try DeviceIdentity(importing: export, password: vectors.passwordExport.password).makeBundle() == bob.makeBundle())

        let carrier = try SealedMessage(serialized: [UInt8](hex: vectors.media.carriedInMessage))
        let reference = try MediaReference(serialized: receiver.receive(carrier, in: conversation, from: aliceBundle).plaintext)
        #expect(reference.serialized.hex == vectors.media.reference)
        #expect(reference.locator == vectors.media.locator && reference.chunkSize == vectors.media.chunkSize)
        let decryptor = try MediaDecryptor(reference: reference)
        let plaintext = try decryptor.decrypt([UInt8](hex: vectors.media.stream))
        try decryptor.finish()
        #expect(plaintext.hex == vectors.media.plaintext)
    }
}
