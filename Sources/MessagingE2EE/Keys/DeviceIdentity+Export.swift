import Foundation
import MessagingSodium

/// Plaintext export and import of a device's secret keys.
///
/// Binary form (122 bytes): version 0x01, kind 0x02, device id (16), user id (16), created-at
/// (int64 BE ms), Ed25519 seed (32), X25519 secret key (32), checksum (16) =
/// BLAKE2b-128(`"messaging-e2ee/v1/key-export" ‖ 0x00 ‖ bytes[0..<106]`). The checksum only
/// detects corruption; the export itself is unprotected: store it only inside a platform
/// keychain or wrap it with ``DeviceIdentity/exportSecretKeys(password:limits:)``.
extension DeviceIdentity {
    static let exportBodyLength = 2 + 16 + 16 + 8 + 32 + 32
    static let exportLength = exportBodyLength + 16

    /// The secret keys in the plaintext export format; the caller owns the returned secret
    /// bytes and should overwrite them when done.
    ///
    /// Thread safety: safe from any thread.
    public func exportSecretKeys() -> [UInt8] {
        var writer = WireWriter(kind: .secretKeyExport, capacity: Self.exportLength)
        writer.write(deviceID)
        writer.write(userID)
        writer.write(createdAtMilliseconds)
        signingSecretKey.withUnsafeBytes { writer.write(raw: $0.prefix(Ed25519.seedLength)) }
        agreementSecretKey.withUnsafeBytes { writer.write(raw: $0) }
        var bytes = writer.bytes
        bytes.append(contentsOf: DomainLabel.keyExport.checksum(bytes))
        return bytes
    }

    /// The plaintext export as base64url without padding; as secret as the keys themselves.
    ///
    /// Thread safety: safe from any thread.
    public func exportSecretKeysText() -> String {
        var bytes = exportSecretKeys()
        defer { Sodium.wipe(&bytes) }
        return Base64URL.encode(bytes)
    }

    /// Restores an identity from ``exportSecretKeys()`` output.
    ///
    /// Throws ``E2EEError/Code/invalidFormat``, ``E2EEError/Code/unsupportedVersion``,
    /// ``E2EEError/Code/wrongKind`` or ``E2EEError/Code/corrupted``.
    ///
    /// Thread safety: safe from any thread.
    public convenience init(importingSecretKeys bytes: [UInt8]) throws {
        try Sodium.ensureInitialized()
        var reader = WireReader(bytes)
        try WireKind.readHeader(&reader, expecting: .secretKeyExport)
        let deviceID = try reader.readUUID(field: "device id")
        let userID = try reader.readUUID(field: "user id")
        let created = try reader.readInt64(field: "created-at")
        let seedRange = try reader.skip(Ed25519.seedLength, field: "signing seed")
        let agreementRange = try reader.skip(X25519.keyLength, field: "agreement secret key")
        let checksum = try reader.readRaw(16, field: "checksum")
        try reader.expectEnd(of: .secretKeyExport)
        guard Sodium.constantTimeEquals(checksum, DomainLabel.keyExport.checksum(bytes[0..<Self.exportBodyLength])) else {
            throw E2EEError(code: .corrupted, message: "the secret-key export's checksum does not match; the bytes were corrupted")
        }
        let agreement = SecretBytes(copying: bytes[agreementRange])
        let seed = SecretBytes(copying: bytes[seedRange])
        try self.init(
            deviceID: deviceID, userID: userID, createdAtMilliseconds: created,
            signingSeed: seed, agreementSecretKey: agreement)
    }

    /// Restores an identity from ``exportSecretKeysText()`` output.
    ///
    /// Thread safety: safe from any thread.
    public convenience init(importingSecretKeysText text: String) throws {
        var bytes = try Base64URL.decodeOrThrow(text)
        defer { Sodium.wipe(&bytes) }
        try self.init(importingSecretKeys: bytes)
    }

    /// Encrypts the secret keys under a password (Argon2id + XChaCha20-Poly1305).
    ///
    /// `limits` defaults to ``PasswordHashingLimits/interactive``; tests may pass
    /// ``PasswordHashingLimits/minimum``. Throws ``E2EEError/Code/weakPassword`` for passwords
    /// shorter than ``PasswordProtectedKeys/minimumPasswordLength`` UTF-8 bytes.
    ///
    /// Thread safety: safe from any thread; blocks for the Argon2id computation.
    public func exportSecretKeys(password: String, limits: PasswordHashingLimits = .interactive) throws -> PasswordProtectedKeys {
        try PasswordProtectedKeys.seal(self, password: password, limits: limits, random: .system)
    }

    /// Decrypts a password export and restores the identity.
    ///
    /// Throws ``E2EEError/Code/authenticationFailed`` for a wrong password or modified export.
    ///
    /// Thread safety: safe from any thread; blocks for the Argon2id computation.
    public convenience init(importing export: PasswordProtectedKeys, password: String) throws {
        var plaintext = try export.open(password: password)
        defer { Sodium.wipe(&plaintext) }
        try self.init(importingSecretKeys: plaintext)
    }
}
