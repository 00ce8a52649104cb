import Foundation

/// One conversation-epoch key sealed to one recipient device and signed by the sending device.
///
/// The key is sealed with `crypto_box_seal` to the recipient's X25519 key, together with a
/// BLAKE2b digest of the envelope header, and the whole envelope is signed with the sender's
/// Ed25519 key. The recipient therefore learns who made it (sender device id and signing
/// key), for which conversation and epoch, and for which device and X25519 key, and
/// ``open(as:from:conversationID:epoch:)`` rejects any mismatch. The server relays envelopes
/// but cannot open them.
///
/// Binary form (300 bytes):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 1 | version 0x01 |
/// | 1 | 1 | kind 0x04 |
/// | 2 | 16 | conversation id |
/// | 18 | 8 | epoch (uint64 BE) |
/// | 26 | 16 | sender device id |
/// | 42 | 32 | sender Ed25519 public key |
/// | 74 | 16 | recipient device id |
/// | 90 | 32 | recipient X25519 public key |
/// | 122 | 2 | sealed length (uint16 BE, 112) |
/// | 124 | 112 | sealed box of key(32) ‖ BLAKE2b-256(binding label ‖ 0x00 ‖ bytes[0..<122]) |
/// | 236 | 64 | Ed25519 signature over envelope label ‖ 0x00 ‖ bytes[0..<236] |
///
/// Thread safety: an immutable value; `Sendable`.
public struct KeyEnvelope: WireRepresentable, Hashable, CustomStringConvertible {
    /// The conversation whose key this is.
    public let conversationID: UUID
    /// The key epoch.
    public let epoch: UInt64
    /// The device that made and signed the envelope.
    public let senderDeviceID: UUID
    /// The sender's Ed25519 public key, as stated in the envelope.
    public let senderSigningPublicKey: SigningPublicKey
    /// The device the envelope is for.
    public let recipientDeviceID: UUID
    /// The X25519 key the envelope is sealed to.
    public let recipientAgreementPublicKey: AgreementPublicKey
    /// The exact binary form.
    public let serialized: [UInt8]

    static let headerLength = 2 + 16 + 8 + 16 + 32 + 16 + 32
    static let sealedPlaintextLength = ConversationKey.length + 32
    static var sealedLength: Int { sealedPlaintextLength + SealedBox.overhead }
    static var signedLength: Int { headerLength + 2 + sealedLength }
    static var length: Int { signedLength + Ed25519.signatureLength }

    /// Range of the sealed box inside ``serialized``.
    var sealedRange: Range<Int> { Self.headerLength + 2..<Self.signedLength }

    /// Decodes an envelope and checks its structure (authenticity is checked by `open`).
    ///
    /// Throws ``E2EEError/Code/invalidFormat``, ``E2EEError/Code/unsupportedVersion``,
    /// ``E2EEError/Code/unsupportedKind`` or ``E2EEError/Code/wrongKind``.
    ///
    /// Thread safety: pure; safe from any thread.
    public init(serialized bytes: [UInt8]) throws {
        var reader = WireReader(bytes)
        try WireKind.readHeader(&reader, expecting: .keyEnvelope)
        conversationID = try reader.readUUID(field: "conversation id")
        epoch = try reader.readUInt64(field: "epoch")
        senderDeviceID = try reader.readUUID(field: "sender device id")
        senderSigningPublicKey = try SigningPublicKey(rawRepresentation: reader.readRaw(32, field: "sender signing key"))
        recipientDeviceID = try reader.readUUID(field: "recipient device id")
        recipientAgreementPublicKey = try AgreementPublicKey(
            rawRepresentation: reader.readRaw(32, field: "recipient agreement key"))
        let sealedLength = try reader.readUInt16(field: "sealed length")
        guard Int(sealedLength) == Self.sealedLength else {
            throw E2EEError.invalidFormat("sealed key length \(sealedLength) is wrong; version 1 envelopes hold \(Self.sealedLength) bytes")
        }
        _ = try reader.skip(Int(sealedLength), field: "sealed key")
        _ = try reader.skip(Ed25519.signatureLength, field: "signature")
        try reader.expectEnd(of: .keyEnvelope)
        serialized = bytes
    }

    init(validatedBytes bytes: [UInt8]) {
        do {
            try self.init(serialized: bytes)
        } catch {
            preconditionFailure("KeyEnvelope: freshly built envelope failed to parse: \(error)")
        }
    }

    /// The ids, epoch and direction (public metadata).
    public var description: String {
        "KeyEnvelope(conversation: \(conversationID), epoch: \(epoch), from: \(senderDeviceID), to: \(recipientDeviceID))"
    }

    /// Two envelopes are equal when their binary forms are.
    public static func == (lhs: KeyEnvelope, rhs: KeyEnvelope) -> Bool {
        lhs.serialized == rhs.serialized
    }

    /// Hashes the binary form.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(serialized)
    }
}
