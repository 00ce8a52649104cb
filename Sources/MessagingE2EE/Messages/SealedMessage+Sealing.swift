import Foundation
import MessagingSodium

extension SealedMessage {
    /// The message label ‖ 0x00, computed once.
    static let labelPrefix = DomainLabel.message.prefix

    /// Encrypts and signs `plaintext` as `sender` under `key`, with a fresh random nonce.
    ///
    /// The nonce comes from `randombytes_buf` for every call; there is no way to pass one.
    /// Throws ``E2EEError/Code/invalidArgument`` for an empty or over-long client id or a
    /// plaintext over ``maximumPlaintextLength``.
    ///
    /// Thread safety: safe from any thread; `key` and `sender` may be shared by concurrent calls.
    public static func seal(
        _ plaintext: [UInt8], clientMessageID: String, with key: ConversationKey, from sender: DeviceIdentity
    ) throws -> SealedMessage {
        try plaintext.withUnsafeBytes {
            try seal($0, clientMessageID: clientMessageID, with: key, from: sender, random: .system)
        }
    }

    /// Encrypts and signs `plaintext` held in `Data`; see ``seal(_:clientMessageID:with:from:)``.
    ///
    /// Thread safety: safe from any thread.
    public static func seal(
        _ plaintext: Data, clientMessageID: String, with key: ConversationKey, from sender: DeviceIdentity
    ) throws -> SealedMessage {
        try plaintext.withUnsafeBytes {
            try seal($0, clientMessageID: clientMessageID, with: key, from: sender, random: .system)
        }
    }

    static func seal(
        _ plaintext: UnsafeRawBufferPointer, clientMessageID: String, with key: ConversationKey,
        from sender: DeviceIdentity, random: RandomSource
    ) throws -> SealedMessage {
        try Sodium.ensureInitialized()
        let idBytes = try validate(clientMessageID: clientMessageID)
        guard plaintext.count <= maximumPlaintextLength else {
            throw E2EEError.invalidArgument(
                "plaintext of \(plaintext.count) bytes exceeds \(maximumPlaintextLength); send large content as media")
        }
        let label = labelPrefix
        let headerLength = fixedHeaderLength + idBytes.count
        let ciphertextLength = plaintext.count + XChaCha20Poly1305.tagLength
        let bodyLength = headerLength + XChaCha20Poly1305.nonceLength + 4 + ciphertextLength

        // label ‖ header ‖ nonce ‖ length ‖ ciphertext, built in one buffer: the AD and the
        // signed bytes are both prefixes of it, so nothing is copied before signing.
        var writer = WireWriter(kind: .sealedMessage, capacity: headerLength)
        writer.write(key.conversationID)
        writer.write(key.epoch)
        writer.write(sender.deviceID)
        writer.write(UInt8(idBytes.count))
        writer.write(raw: idBytes)
        let header = writer.bytes

        let signedCount = label.count + bodyLength
        var signed = [UInt8](unsafeUninitializedCapacity: signedCount) { buffer, initialized in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!)
            label.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            header.withUnsafeBytes { (base + label.count).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            let nonce = base + label.count + headerLength
            random.fill(UnsafeMutableRawBufferPointer(start: nonce, count: XChaCha20Poly1305.nonceLength))
            withUnsafeBytes(of: UInt32(ciphertextLength).bigEndian) {
                (nonce + XChaCha20Poly1305.nonceLength).copyMemory(from: $0.baseAddress!, byteCount: 4)
            }
            key.secret.withUnsafeBytes { k in
                XChaCha20Poly1305.seal(
                    plaintext: plaintext,
                    associatedData: UnsafeRawBufferPointer(start: base, count: label.count + headerLength),
                    nonce: nonce, key: k.baseAddress!,
                    into: nonce + XChaCha20Poly1305.nonceLength + 4)
            }
            initialized = signedCount
        }
        let signature = signed.withUnsafeBytes { sender.sign(labelled: $0) }
        signed.removeFirst(label.count)
        signed.append(contentsOf: signature)
        return SealedMessage(validatedBytes: signed)
    }

    /// Verifies the sender's signature and decrypts the message with `key`.
    ///
    /// Checks, in order: the key's conversation and epoch match the message
    /// (``E2EEError/Code/wrongConversation``, ``E2EEError/Code/wrongEpoch``), `sender` is the
    /// device named in the message (``E2EEError/Code/wrongSender``), the signature verifies
    /// (``E2EEError/Code/signatureInvalid``) and the AEAD opens
    /// (``E2EEError/Code/authenticationFailed``). Does not detect replays; use
    /// ``MessageReceiver`` for that.
    ///
    /// Thread safety: safe from any thread.
    public func open(with key: ConversationKey, from sender: DeviceBundle) throws -> OpenedMessage {
        try Sodium.ensureInitialized()
        guard key.conversationID == conversationID else {
            throw E2EEError(
                code: .wrongConversation,
                message: "the message belongs to conversation \(conversationID), but the key is for \(key.conversationID)")
        }
        guard key.epoch == epoch else {
            throw E2EEError(code: .wrongEpoch, message: "the message was sealed under epoch \(epoch), but the key is for epoch \(key.epoch)")
        }
        guard sender.deviceID == senderDeviceID else {
            throw E2EEError(
                code: .wrongSender,
                message: "the message names sender device \(senderDeviceID), not the device bundle given to verify it")
        }
        let label = Self.labelPrefix
        var labelled = label
        labelled.reserveCapacity(label.count + signedLength)
        labelled.append(contentsOf: serialized[0..<signedLength])
        guard sender.signingPublicKey.isValidSignature(serialized[signedLength...], for: labelled) else {
            throw E2EEError(
                code: .signatureInvalid,
                message: "the message signature does not verify under the sender device's key; it was modified or forged")
        }
        let plaintextCount = ciphertextRange.count - XChaCha20Poly1305.tagLength
        let adCount = label.count + headerLength
        let nonceOffset = label.count + nonceRange.lowerBound
        let ciphertextOffset = label.count + ciphertextRange.lowerBound
        let ciphertextCount = ciphertextRange.count
        var plaintext = [UInt8](repeating: 0, count: Swift.max(plaintextCount, 1))
        try labelled.withUnsafeBytes { all in
            try plaintext.withUnsafeMutableBytes { output in
                try key.secret.withUnsafeBytes { k in
                    try XChaCha20Poly1305.open(
                        ciphertext: UnsafeRawBufferPointer(rebasing: all[ciphertextOffset..<ciphertextOffset + ciphertextCount]),
                        associatedData: UnsafeRawBufferPointer(rebasing: all[0..<adCount]),
                        nonce: all.baseAddress! + nonceOffset, key: k.baseAddress!,
                        into: output.baseAddress!)
                }
            }
        }
        if plaintextCount == 0 { plaintext.removeAll() }
        return OpenedMessage(
            conversationID: conversationID, epoch: epoch, senderDeviceID: senderDeviceID,
            senderUserID: sender.userID, clientMessageID: clientMessageID, plaintext: plaintext)
    }
}
