import Foundation
import Testing
@testable import MessagingE2EE

/// Flips bits in every byte of every format and checks that using the result fails with a
/// typed error: parsing, verifying or decrypting, whichever comes first.
@Suite("Tampering")
struct TamperingTests {
    let alice: TestDevice
    let bob: TestDevice
    let key: ConversationKey

    init() throws {
        alice = try TestDevice.make()
        bob = try TestDevice.make()
        key = try ConversationKey.generate(conversationID: UUID(), epoch: 12)
    }

    @Test("every bit of every byte of a key envelope")
    func envelopeBits() throws {
        let envelope = try KeyEnvelope.seal(key, to: bob.bundle, from: alice.identity)
        let bytes = envelope.serialized
        var failures = 0
        for index in 0..<bytes.count {
            for bit in 0..<8 {
                let error = expectAnyE2EEError("byte \(index) bit \(bit)") {
                    try KeyEnvelope(serialized: bytes.flippingBit(bit, at: index))
                        .open(as: bob.identity, from: alice.bundle, conversationID: key.conversationID, epoch: 12)
                }
                if error != nil { failures += 1 }
            }
        }
        #expect(failures == bytes.count * 8)
    }

    @Test("every bit of every byte of a sealed message, through the receiver")
    func messageBits() throws {
        let message = try SealedMessage.seal(Array("tamper with me".utf8), clientMessageID: "t-1", with: key, from: alice.identity)
        let bytes = message.serialized
        var failures = 0
        for index in 0..<bytes.count {
            for bit in 0..<8 {
                let receiver = MessageReceiver(identity: bob.identity, replayWindowCapacity: 1)
                try receiver.add(key)
                let error = expectAnyE2EEError("byte \(index) bit \(bit)") {
                    try receiver.receive(SealedMessage(serialized: bytes.flippingBit(bit, at: index)), in: key.conversationID, from: alice.bundle)
                }
                if error != nil { failures += 1 }
            }
        }
        #expect(failures == bytes.count * 8)
    }

    @Test("every byte of a device bundle, a secret-key export, a password export and a media reference")
    func otherFormats() throws {
        let bundle = alice.bundle.serialized
        for index in 0..<bundle.count {
            expectAnyE2EEError("bundle byte \(index)") { try DeviceBundle(serialized: bundle.flippingBit(index % 8, at: index)) }
        }
        let export = alice.identity.exportSecretKeys()
        for index in 0..<export.count {
            expectAnyE2EEError("export byte \(index)") { try DeviceIdentity(importingSecretKeys: export.flippingBit(index % 8, at: index)) }
        }
        let protected = try alice.identity.exportSecretKeys(password: "tamper password", limits: .minimum).serialized
        for index in 0..<protected.count {
            expectAnyE2EEError("password export byte \(index)") {
                try DeviceIdentity(importing: PasswordProtectedKeys(serialized: protected.flippingBit(index % 8, at: index)), password: "tamper password")
            }
        }
        let encryptor = try MediaEncryptor(chunkSize: 64)
        let blob = try encryptor.encrypt(MediaTests.pattern(300))
        let (tail, reference) = try encryptor.finish(contentType: "image/png", locator: "loc")
        let fullBlob = blob + tail
        let referenceBytes = reference.serialized
        for index in 0..<referenceBytes.count {
            expectAnyE2EEError("media reference byte \(index)") {
                let parsed = try MediaReference(serialized: referenceBytes.flippingBit(index % 8, at: index))
                _ = try MediaTests.decrypt(fullBlob, reference: parsed, piece: 4096)
            }
        }
    }

    @Test("an envelope fed to the message decoder and a message fed to the envelope decoder are rejected")
    func crossKind() throws {
        let envelope = try KeyEnvelope.seal(key, to: bob.bundle, from: alice.identity)
        let message = try SealedMessage.seal([1, 2, 3], clientMessageID: "x", with: key, from: alice.identity)
        expectE2EEError(.wrongKind) { try SealedMessage(serialized: envelope.serialized) }
        expectE2EEError(.wrongKind) { try KeyEnvelope(serialized: message.serialized) }
        // Even with the kind byte rewritten, the structure or the signature gives it away.
        var relabelled = envelope.serialized
        relabelled[1] = 0x05
        expectAnyE2EEError { try SealedMessage(serialized: relabelled).open(with: key, from: alice.bundle) }
        var relabelledMessage = message.serialized
        relabelledMessage[1] = 0x04
        expectAnyE2EEError {
            try KeyEnvelope(serialized: relabelledMessage).open(as: bob.identity, from: alice.bundle, conversationID: key.conversationID)
        }
    }

    @Test("signatures are domain-separated: a bundle signature does not verify as an envelope or message signature")
    func domainSeparation() throws {
        let labels = DomainLabel.allCases.map(\.prefix)
        #expect(Set(labels).count == labels.count)
        for a in labels {
            for b in labels where a != b {
                #expect(!b.starts(with: a), "a label prefix must not be a prefix of another")
            }
        }
        let body: [UInt8] = Array(repeating: 9, count: 40)
        let signature = alice.identity.sign(.deviceBundle, body)
        #expect(alice.identity.signingPublicKey.isValidSignature(signature, for: DomainLabel.deviceBundle.labelled(body)))
        for label in DomainLabel.allCases where label != .deviceBundle {
            #expect(!alice.identity.signingPublicKey.isValidSignature(signature, for: label.labelled(body)))
        }
    }
}
