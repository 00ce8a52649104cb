import Foundation
import MessagingSodium

/// A device's public bundle: device id, user id, both public keys and creation time, signed by
/// the device's own Ed25519 key.
///
/// A `DeviceBundle` value always carries a valid self-signature: decoding verifies it. The
/// self-signature proves the bundle was made by the holder of the signing key; it does not
/// prove the key belongs to ``userID``. Clients establish that separately (the server's
/// authenticated directory, plus comparing ``fingerprint`` out of band).
///
/// Binary form (170 bytes): version 0x01, kind 0x01, device id (16), user id (16), created-at
/// (int64 BE milliseconds), signing key (32), agreement key (32), signature (64) over
/// `"messaging-e2ee/v1/device-bundle" ‖ 0x00 ‖ bytes[0..<106]`.
///
/// Thread safety: an immutable value; `Sendable`.
public struct DeviceBundle: WireRepresentable, Hashable, CustomStringConvertible {
    /// The device's id.
    public let deviceID: UUID
    /// The owning user's id.
    public let userID: UUID
    /// When the device identity was created (millisecond precision).
    public var createdAt: Date { Date(millisecondsSince1970: createdAtMilliseconds) }
    /// The device's Ed25519 public key.
    public let signingPublicKey: SigningPublicKey
    /// The device's X25519 public key.
    public let agreementPublicKey: AgreementPublicKey
    /// The exact binary form, including the signature.
    public let serialized: [UInt8]

    let createdAtMilliseconds: Int64

    static let signedLength = 2 + 16 + 16 + 8 + 32 + 32
    static let length = signedLength + Ed25519.signatureLength

    init(signedBy identity: DeviceIdentity) {
        var writer = WireWriter(kind: .deviceBundle, capacity: Self.length)
        writer.write(identity.deviceID)
        writer.write(identity.userID)
        writer.write(identity.createdAtMilliseconds)
        writer.write(raw: identity.signingPublicKey.rawRepresentation)
        writer.write(raw: identity.agreementPublicKey.rawRepresentation)
        let signature = identity.sign(.deviceBundle, writer.bytes)
        writer.write(raw: signature)
        serialized = writer.bytes
        deviceID = identity.deviceID
        userID = identity.userID
        createdAtMilliseconds = identity.createdAtMilliseconds
        signingPublicKey = identity.signingPublicKey
        agreementPublicKey = identity.agreementPublicKey
    }

    /// Decodes a bundle and verifies its self-signature.
    ///
    /// Throws ``E2EEError/Code/invalidFormat``, ``E2EEError/Code/unsupportedVersion``,
    /// ``E2EEError/Code/unsupportedKind``, ``E2EEError/Code/wrongKind`` or
    /// ``E2EEError/Code/signatureInvalid``.
    ///
    /// Thread safety: pure; safe from any thread.
    public init(serialized bytes: [UInt8]) throws {
        try Sodium.ensureInitialized()
        var reader = WireReader(bytes)
        try WireKind.readHeader(&reader, expecting: .deviceBundle)
        deviceID = try reader.readUUID(field: "device id")
        userID = try reader.readUUID(field: "user id")
        createdAtMilliseconds = try reader.readInt64(field: "created-at")
        signingPublicKey = try SigningPublicKey(rawRepresentation: reader.readRaw(32, field: "signing key"))
        agreementPublicKey = try AgreementPublicKey(rawRepresentation: reader.readRaw(32, field: "agreement key"))
        let signature = try reader.readRaw(Ed25519.signatureLength, field: "signature")
        try reader.expectEnd(of: .deviceBundle)
        guard signingPublicKey.isValidSignature(
            signature, for: DomainLabel.deviceBundle.labelled(bytes[0..<Self.signedLength]))
        else {
            throw E2EEError(
                code: .signatureInvalid,
                message: "the device bundle's self-signature does not verify; the bundle was modified or forged")
        }
        serialized = bytes
    }

    /// A 32-byte BLAKE2b digest of both public keys, shown as 16 groups of 4 hex digits, for
    /// users to compare out of band ("safety number").
    ///
    /// Thread safety: pure; safe from any thread.
    public var fingerprint: String {
        let digest = Blake2b.hash(
            DomainLabel.deviceBundle.labelled(signingPublicKey.rawRepresentation + agreementPublicKey.rawRepresentation))
        let hex = Array(digest.hexString.utf8)
        return stride(from: 0, to: hex.count, by: 4)
            .map { String(decoding: hex[$0..<$0 + 4], as: UTF8.self) }
            .joined(separator: " ")
    }

    /// The ids and the signing key (public information).
    public var description: String {
        "DeviceBundle(device: \(deviceID), user: \(userID), signing key: \(signingPublicKey))"
    }

    /// Two bundles are equal when their binary forms are.
    public static func == (lhs: DeviceBundle, rhs: DeviceBundle) -> Bool {
        lhs.serialized == rhs.serialized
    }

    /// Hashes the binary form.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(serialized)
    }
}
