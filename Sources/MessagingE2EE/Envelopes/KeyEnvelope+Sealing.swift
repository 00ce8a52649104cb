import Foundation
import MessagingSodium

extension KeyEnvelope {
    /// Seals `key` to `recipient` and signs the envelope as `sender`.
    ///
    /// `recipient` must be a bundle the caller has authenticated (decoding already verified
    /// its self-signature). Throws ``E2EEError/Code/invalidKey`` when the recipient's X25519
    /// key is unusable.
    ///
    /// Thread safety: safe from any thread.
    public static func seal(_ key: ConversationKey, to recipient: DeviceBundle, from sender: DeviceIdentity) throws -> KeyEnvelope {
        try seal(key, to: recipient, from: sender, random: .system)
    }

    static func seal(
        _ key: ConversationKey, to recipient: DeviceBundle, from sender: DeviceIdentity, random: RandomSource
    ) throws -> KeyEnvelope {
        try Sodium.ensureInitialized()
        var writer = WireWriter(kind: .keyEnvelope, capacity: length)
        writer.write(key.conversationID)
        writer.write(key.epoch)
        writer.write(sender.deviceID)
        writer.write(raw: sender.signingPublicKey.rawRepresentation)
        writer.write(recipient.deviceID)
        writer.write(raw: recipient.agreementPublicKey.rawRepresentation)
        let header = writer.bytes

        var inner = key.secret.copiedBytes()
        defer { Sodium.wipe(&inner) }
        inner.append(contentsOf: bindingDigest(header: header))
        let sealed = try SealedBox.seal(inner, to: recipient.agreementPublicKey.rawRepresentation, random: random)

        writer.write(UInt16(sealed.count))
        writer.write(raw: sealed)
        writer.write(raw: sender.sign(.keyEnvelope, writer.bytes))
        return KeyEnvelope(validatedBytes: writer.bytes)
    }

    /// Verifies and opens the envelope as `recipient`, checking that `sender` made it for
    /// `conversationID` (and `epoch`, when given).
    ///
    /// Throws ``E2EEError/Code/wrongRecipient``, ``E2EEError/Code/wrongSender``,
    /// ``E2EEError/Code/wrongConversation``, ``E2EEError/Code/wrongEpoch``,
    /// ``E2EEError/Code/signatureInvalid`` or ``E2EEError/Code/authenticationFailed``.
    ///
    /// Thread safety: safe from any thread.
    public func open(
        as recipient: DeviceIdentity, from sender: DeviceBundle, conversationID expectedConversation: UUID,
        epoch expectedEpoch: UInt64? = nil
    ) throws -> ConversationKey {
        try Sodium.ensureInitialized()
        guard recipientDeviceID == recipient.deviceID else {
            throw E2EEError(code: .wrongRecipient, message: "the key envelope is addressed to device \(recipientDeviceID), not to this device")
        }
        guard recipientAgreementPublicKey == recipient.agreementPublicKey else {
            throw E2EEError(
                code: .wrongRecipient,
                message: "the key envelope is sealed to another X25519 key of this device id (an old or replaced key); ask the sender to re-seal it")
        }
        guard senderDeviceID == sender.deviceID, senderSigningPublicKey == sender.signingPublicKey else {
            throw E2EEError(
                code: .wrongSender,
                message: "the key envelope names sender device \(senderDeviceID), which is not the device bundle given to verify it")
        }
        guard conversationID == expectedConversation else {
            throw E2EEError(code: .wrongConversation, message: "the key envelope is for conversation \(conversationID), not \(expectedConversation)")
        }
        if let expectedEpoch, epoch != expectedEpoch {
            throw E2EEError(code: .wrongEpoch, message: "the key envelope is for epoch \(epoch), not \(expectedEpoch)")
        }
        let signature = serialized[Self.signedLength...]
        guard sender.signingPublicKey.isValidSignature(
            signature, for: DomainLabel.keyEnvelope.labelled(serialized[0..<Self.signedLength]))
        else {
            throw E2EEError(code: .signatureInvalid, message: "the key envelope's signature does not verify under the sender's key")
        }
        let inner = try SealedBox.open(
            Array(serialized[sealedRange]),
            publicKey: recipient.agreementPublicKey.rawRepresentation,
            secretKey: recipient.agreementSecretKey)
        guard inner.count == Self.sealedPlaintextLength else {
            throw E2EEError(code: .authenticationFailed, message: "the sealed key has the wrong length")
        }
        let expectedDigest = Self.bindingDigest(header: Array(serialized[0..<Self.headerLength]))
        let bound = inner.withUnsafeBytes { Sodium.constantTimeEquals(Array($0.suffix(32)), expectedDigest) }
        guard bound else {
            throw E2EEError(
                code: .authenticationFailed,
                message: "the sealed key is bound to a different envelope header; the envelope was re-signed or spliced")
        }
        let secret = inner.withUnsafeBytes { SecretBytes(copying: $0.prefix(ConversationKey.length)) }
        return ConversationKey(conversationID: conversationID, epoch: epoch, secret: secret)
    }

    /// BLAKE2b-256 of `binding label ‖ 0x00 ‖ header`.
    static func bindingDigest(header: [UInt8]) -> [UInt8] {
        Blake2b.hash(DomainLabel.keyEnvelopeBinding.labelled(header))
    }
}
