import MessagingSodium

extension KeyEnvelope {
    /// Checks what anyone can check without the recipient's secret key: the envelope names
    /// `sender` (device id and Ed25519 key) and `recipient` (device id and X25519 key), and the
    /// sender's signature verifies. A server uses it to refuse forged or misaddressed envelopes;
    /// recipients still run every check of ``open(as:from:conversationID:epoch:)``.
    ///
    /// Throws ``E2EEError/Code/wrongRecipient``, ``E2EEError/Code/wrongSender`` or
    /// ``E2EEError/Code/signatureInvalid``.
    ///
    /// Thread safety: safe from any thread.
    public func verify(from sender: DeviceBundle, to recipient: DeviceBundle) throws {
        try Sodium.ensureInitialized()
        guard recipientDeviceID == recipient.deviceID, recipientAgreementPublicKey == recipient.agreementPublicKey else {
            throw E2EEError(code: .wrongRecipient, message: "the key envelope is not sealed to the given recipient device's key")
        }
        guard senderDeviceID == sender.deviceID, senderSigningPublicKey == sender.signingPublicKey else {
            throw E2EEError(code: .wrongSender, message: "the key envelope names another sender device or key than the given one")
        }
        guard sender.signingPublicKey.isValidSignature(
            serialized[Self.signedLength...], for: DomainLabel.keyEnvelope.labelled(serialized[0..<Self.signedLength]))
        else {
            throw E2EEError(code: .signatureInvalid, message: "the key envelope's signature does not verify under the sender's key")
        }
    }
}

extension SealedMessage {
    /// Checks that `sender` is the device the message names and that its signature verifies,
    /// without decrypting (a server cannot). Recipients open the message with
    /// ``open(with:from:)``, which checks the same and more.
    ///
    /// Throws ``E2EEError/Code/wrongSender`` or ``E2EEError/Code/signatureInvalid``.
    ///
    /// Thread safety: safe from any thread.
    public func verifySignature(from sender: DeviceBundle) throws {
        try Sodium.ensureInitialized()
        guard sender.deviceID == senderDeviceID else {
            throw E2EEError(code: .wrongSender, message: "the message names sender device \(senderDeviceID), not the given device")
        }
        var labelled = Self.labelPrefix
        labelled.append(contentsOf: serialized[0..<signedLength])
        guard sender.signingPublicKey.isValidSignature(serialized[signedLength...], for: labelled) else {
            throw E2EEError(code: .signatureInvalid, message: "the message signature does not verify under the sender device's key")
        }
    }
}
