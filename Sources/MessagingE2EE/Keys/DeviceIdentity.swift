import Foundation
import MessagingSodium

/// A device's secret identity: an Ed25519 signing key pair and an X25519 key-agreement key
/// pair, bound to a device id and a user id.
///
/// Create one per device with ``generate(deviceID:userID:createdAt:)``, publish its
/// ``makeBundle()``, and keep it with ``exportSecretKeys(password:limits:)`` (or the plaintext
/// ``exportSecretKeys()`` inside a platform keychain). The secret keys live in buffers that
/// are zeroed when the identity is released, and never appear in `description`,
/// `debugDescription`, `dump` or any error.
///
/// Thread safety: immutable after `init`; `Sendable`, every member is safe to call from any
/// thread concurrently.
public final class DeviceIdentity: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The device's id (16 bytes; the SDK uses UUIDv7).
    public let deviceID: UUID
    /// The id of the user who owns the device.
    public let userID: UUID
    /// When the identity was created, at millisecond precision (as serialized).
    public var createdAt: Date { Date(millisecondsSince1970: createdAtMilliseconds) }
    /// The Ed25519 public key that verifies this device's signatures.
    public let signingPublicKey: SigningPublicKey
    /// The X25519 public key that key envelopes are sealed to.
    public let agreementPublicKey: AgreementPublicKey

    let createdAtMilliseconds: Int64
    /// libsodium's 64-byte Ed25519 secret key (seed ‖ public key).
    let signingSecretKey: SecretBytes
    /// The 32-byte X25519 secret key.
    let agreementSecretKey: SecretBytes

    /// Builds an identity from a signing seed and an X25519 secret key.
    init(
        deviceID: UUID, userID: UUID, createdAtMilliseconds: Int64,
        signingSeed: SecretBytes, agreementSecretKey: SecretBytes
    ) throws {
        let signing = try signingSeed.withUnsafeBytes { try Ed25519.keyPair(seed: $0) }
        self.deviceID = deviceID
        self.userID = userID
        self.createdAtMilliseconds = createdAtMilliseconds
        self.signingSecretKey = signing.secretKey
        self.signingPublicKey = try SigningPublicKey(rawRepresentation: signing.publicKey)
        self.agreementSecretKey = agreementSecretKey
        self.agreementPublicKey = try AgreementPublicKey(rawRepresentation: X25519.publicKey(secretKey: agreementSecretKey))
    }

    /// Generates a new identity with fresh random keys.
    ///
    /// Thread safety: safe from any thread.
    public static func generate(deviceID: UUID, userID: UUID, createdAt: Date = Date()) throws -> DeviceIdentity {
        try generate(deviceID: deviceID, userID: userID, createdAtMilliseconds: createdAt.millisecondsSince1970, random: .system)
    }

    /// Generates an identity from `random`; seeds go through `crypto_sign_seed_keypair` and
    /// `crypto_box_seed_keypair` (the deterministic source is used by the test vectors only).
    static func generate(deviceID: UUID, userID: UUID, createdAtMilliseconds: Int64, random: RandomSource) throws -> DeviceIdentity {
        try Sodium.ensureInitialized()
        let signingSeed = SecretBytes(randomCount: Ed25519.seedLength, from: random)
        let agreementSeed = SecretBytes(randomCount: X25519.keyLength, from: random)
        let agreement = try agreementSeed.withUnsafeBytes { try X25519.keyPair(seed: $0) }
        return try DeviceIdentity(
            deviceID: deviceID, userID: userID, createdAtMilliseconds: createdAtMilliseconds,
            signingSeed: signingSeed, agreementSecretKey: agreement.secretKey)
    }

    /// Signs `label ‖ 0x00 ‖ body` with the device's Ed25519 key.
    func sign(_ label: DomainLabel, _ body: some Collection<UInt8>) -> [UInt8] {
        Ed25519.sign(label.labelled(body), secretKey: signingSecretKey)
    }

    /// Signs already-labelled bytes.
    func sign(labelled bytes: UnsafeRawBufferPointer) -> [UInt8] {
        Ed25519.sign(bytes, secretKey: signingSecretKey)
    }

    /// The public, self-signed bundle that other devices use to address and verify this one.
    ///
    /// Thread safety: safe from any thread; returns a new value each call (deterministic bytes).
    public func makeBundle() -> DeviceBundle {
        DeviceBundle(signedBy: self)
    }

    /// Redacted: names the ids, never the keys.
    public var description: String {
        "DeviceIdentity(device: \(deviceID), user: \(userID), secret keys: redacted)"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror that shows only public fields, so `dump` cannot print secret keys.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "deviceID": deviceID, "userID": userID, "signingPublicKey": signingPublicKey,
            "agreementPublicKey": agreementPublicKey,
        ], displayStyle: .class)
    }
}

extension Date {
    /// Whole milliseconds since 1970 (rounded down), the wire representation of instants.
    var millisecondsSince1970: Int64 {
        let value = (timeIntervalSince1970 * 1000).rounded(.down)
        if value >= Double(Int64.max) { return .max }
        if value <= Double(Int64.min) { return .min }
        return Int64(value)
    }

    init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
