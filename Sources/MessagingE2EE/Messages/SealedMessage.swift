import Foundation

/// An encrypted, signed message: XChaCha20-Poly1305 under the conversation-epoch key, with a
/// fresh random nonce, and an Ed25519 signature by the sending device.
///
/// The associated data binds the format version and kind, the message domain label, the
/// conversation, the epoch, the sender device and the message's client id; the signature
/// covers the same header plus nonce and ciphertext, so one member of a conversation cannot
/// pass a message off as another's. Seal with `seal(_:clientMessageID:with:from:)`; open
/// with a ``MessageReceiver`` (which also reports replays) or ``open(with:from:)``.
///
/// Binary form (`n` = client id length, `c` = ciphertext length = plaintext length + 16):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 1 | version 0x01 |
/// | 1 | 1 | kind 0x05 |
/// | 2 | 16 | conversation id |
/// | 18 | 8 | epoch (uint64 BE) |
/// | 26 | 16 | sender device id |
/// | 42 | 1 | client id length `n` (1...64) |
/// | 43 | n | client id (UTF-8) |
/// | 43+n | 24 | nonce |
/// | 67+n | 4 | ciphertext length `c` (uint32 BE) |
/// | 71+n | c | ciphertext ‖ tag |
/// | 71+n+c | 64 | Ed25519 signature over message label ‖ 0x00 ‖ bytes[0..<71+n+c] |
///
/// AEAD associated data: `"messaging-e2ee/v1/message" ‖ 0x00 ‖ bytes[0..<43+n]`.
///
/// Thread safety: an immutable value; `Sendable`.
public struct SealedMessage: WireRepresentable, Hashable, CustomStringConvertible {
    /// The conversation the message was sealed for.
    public let conversationID: UUID
    /// The key epoch the message was sealed under.
    public let epoch: UInt64
    /// The device that sealed and signed the message.
    public let senderDeviceID: UUID
    /// The sender's client-chosen message id (1...64 UTF-8 bytes), the idempotency key.
    public let clientMessageID: String
    /// The exact binary form.
    public let serialized: [UInt8]

    /// The largest plaintext a message may carry (64 MiB); larger content goes through media.
    public static let maximumPlaintextLength = 64 << 20
    /// The longest client message id, in UTF-8 bytes.
    public static let maximumClientMessageIDLength = 64

    static let fixedHeaderLength = 2 + 16 + 8 + 16 + 1

    /// Bytes covered by the associated data (version through client id).
    var headerLength: Int { Self.fixedHeaderLength + clientIDLength }
    var nonceRange: Range<Int> { headerLength..<headerLength + XChaCha20Poly1305.nonceLength }
    var ciphertextRange: Range<Int> { headerLength + XChaCha20Poly1305.nonceLength + 4..<signedLength }
    var signedLength: Int { serialized.count - Ed25519.signatureLength }
    private let clientIDLength: Int

    /// The nonce (internal: for tests that check uniqueness).
    var nonce: ArraySlice<UInt8> { serialized[nonceRange] }

    /// Decodes a message and checks its structure (authenticity is checked when opening).
    ///
    /// Throws ``E2EEError/Code/invalidFormat``, ``E2EEError/Code/unsupportedVersion``,
    /// ``E2EEError/Code/unsupportedKind`` or ``E2EEError/Code/wrongKind``.
    ///
    /// Thread safety: pure; safe from any thread.
    public init(serialized bytes: [UInt8]) throws {
        var reader = WireReader(bytes)
        try WireKind.readHeader(&reader, expecting: .sealedMessage)
        conversationID = try reader.readUUID(field: "conversation id")
        epoch = try reader.readUInt64(field: "epoch")
        senderDeviceID = try reader.readUUID(field: "sender device id")
        let idLength = Int(try reader.readUInt8(field: "client id length"))
        guard (1...Self.maximumClientMessageIDLength).contains(idLength) else {
            throw E2EEError.invalidFormat("client id length \(idLength) is outside 1...\(Self.maximumClientMessageIDLength)")
        }
        clientIDLength = idLength
        clientMessageID = try reader.readString(idLength, field: "client id")
        _ = try reader.skip(XChaCha20Poly1305.nonceLength, field: "nonce")
        let ciphertextLength = Int(try reader.readUInt32(field: "ciphertext length"))
        guard ciphertextLength >= XChaCha20Poly1305.tagLength,
              ciphertextLength - XChaCha20Poly1305.tagLength <= Self.maximumPlaintextLength
        else {
            throw E2EEError.invalidFormat(
                "ciphertext length \(ciphertextLength) is outside 16...\(Self.maximumPlaintextLength + XChaCha20Poly1305.tagLength)")
        }
        _ = try reader.skip(ciphertextLength, field: "ciphertext")
        _ = try reader.skip(Ed25519.signatureLength, field: "signature")
        try reader.expectEnd(of: .sealedMessage)
        serialized = bytes
    }

    init(validatedBytes bytes: [UInt8]) {
        do {
            try self.init(serialized: bytes)
        } catch {
            preconditionFailure("SealedMessage: freshly sealed message failed to parse: \(error)")
        }
    }

    /// Throws ``E2EEError/Code/invalidArgument`` unless `id` is 1...64 UTF-8 bytes.
    static func validate(clientMessageID id: String) throws -> [UInt8] {
        let bytes = Array(id.utf8)
        guard (1...maximumClientMessageIDLength).contains(bytes.count) else {
            throw E2EEError.invalidArgument(
                "client message ids are 1...\(maximumClientMessageIDLength) UTF-8 bytes, got \(bytes.count)")
        }
        return bytes
    }

    /// Public metadata only: ids, epoch and size (never the plaintext).
    public var description: String {
        "SealedMessage(conversation: \(conversationID), epoch: \(epoch), sender: \(senderDeviceID), id: \(clientMessageID), \(serialized.count) bytes)"
    }

    /// Two messages are equal when their binary forms are.
    public static func == (lhs: SealedMessage, rhs: SealedMessage) -> Bool {
        lhs.serialized == rhs.serialized
    }

    /// Hashes the binary form.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(serialized)
    }
}
