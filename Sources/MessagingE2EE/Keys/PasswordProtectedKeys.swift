import MessagingSodium

/// A device's secret keys encrypted under a password: Argon2id (`crypto_pwhash`) derives a
/// key that seals the plaintext export with XChaCha20-Poly1305.
///
/// Binary form (195 bytes): version 0x01, kind 0x03, algorithm (0x02 = Argon2id v1.3),
/// opslimit (uint32 BE), memlimit (uint64 BE bytes), salt (16), nonce (24), ciphertext length
/// (uint16 BE, always 138), ciphertext (122-byte secret-key export + 16-byte tag). The AEAD
/// associated data is `"messaging-e2ee/v1/password-export" ‖ 0x00 ‖ bytes[0..<55]`, so the
/// limits and salt cannot be changed without failing authentication.
///
/// Thread safety: an immutable value; `Sendable`.
public struct PasswordProtectedKeys: WireRepresentable, Hashable {
    /// The Argon2id limits the export was made with (checked against the allowed range on import).
    public let limits: PasswordHashingLimits
    /// The exact binary form.
    public let serialized: [UInt8]

    let salt: [UInt8]
    let nonce: [UInt8]
    let ciphertext: [UInt8]

    /// Passwords shorter than this many UTF-8 bytes are rejected as ``E2EEError/Code/weakPassword``.
    public static let minimumPasswordLength = 8

    static let algorithmByte: UInt8 = 0x02
    static let headerLength = 2 + 1 + 4 + 8 + 16 + 24
    static let ciphertextLength = DeviceIdentity.exportLength + XChaCha20Poly1305.tagLength

    static func seal(
        _ identity: DeviceIdentity, password: String, limits: PasswordHashingLimits, random: RandomSource
    ) throws -> PasswordProtectedKeys {
        try Sodium.ensureInitialized()
        var passwordBytes = Array(password.utf8)
        defer { Sodium.wipe(&passwordBytes) }
        guard passwordBytes.count >= minimumPasswordLength else {
            throw E2EEError(
                code: .weakPassword,
                message: "the password must be at least \(minimumPasswordLength) UTF-8 bytes; choose a longer passphrase")
        }
        try limits.validate()
        guard limits.operations <= UInt64(UInt32.max) else { throw E2EEError.invalidArgument("opslimit too large") }
        let salt = random.bytes(Argon2id.saltLength)
        let nonce = random.bytes(XChaCha20Poly1305.nonceLength)
        var writer = WireWriter(kind: .passwordProtectedKeys, capacity: headerLength + 2 + ciphertextLength)
        writer.write(algorithmByte)
        writer.write(UInt32(limits.operations))
        writer.write(limits.memoryBytes)
        writer.write(raw: salt)
        writer.write(raw: nonce)
        let key = try Argon2id.deriveKey(password: passwordBytes, salt: salt, limits: limits)
        var plaintext = identity.exportSecretKeys()
        defer { Sodium.wipe(&plaintext) }
        let ciphertext = try XChaCha20Poly1305.seal(
            plaintext: plaintext, associatedData: DomainLabel.passwordExport.labelled(writer.bytes),
            nonce: nonce, key: key)
        writer.write(UInt16(ciphertext.count))
        writer.write(raw: ciphertext)
        return try PasswordProtectedKeys(serialized: writer.bytes)
    }

    /// Decodes an export and checks its structure and limits (the password is checked on import).
    ///
    /// Throws ``E2EEError/Code/invalidFormat``, ``E2EEError/Code/unsupportedVersion``,
    /// ``E2EEError/Code/unsupportedKind``, ``E2EEError/Code/wrongKind`` or
    /// ``E2EEError/Code/invalidArgument`` (limits outside the accepted range).
    ///
    /// Thread safety: pure; safe from any thread.
    public init(serialized bytes: [UInt8]) throws {
        var reader = WireReader(bytes)
        try WireKind.readHeader(&reader, expecting: .passwordProtectedKeys)
        let algorithm = try reader.readUInt8(field: "algorithm")
        guard algorithm == Self.algorithmByte else {
            throw E2EEError.invalidFormat("password hashing algorithm \(algorithm) is unknown; only 2 (Argon2id v1.3) is defined")
        }
        let operations = try reader.readUInt32(field: "opslimit")
        let memory = try reader.readUInt64(field: "memlimit")
        limits = PasswordHashingLimits(operations: UInt64(operations), memoryBytes: memory)
        salt = try reader.readRaw(Argon2id.saltLength, field: "salt")
        nonce = try reader.readRaw(XChaCha20Poly1305.nonceLength, field: "nonce")
        let length = try reader.readUInt16(field: "ciphertext length")
        guard Int(length) == Self.ciphertextLength else {
            throw E2EEError.invalidFormat("ciphertext length \(length) is wrong; version 1 exports hold \(Self.ciphertextLength) bytes")
        }
        ciphertext = try reader.readRaw(Int(length), field: "ciphertext")
        try reader.expectEnd(of: .passwordProtectedKeys)
        try limits.validate()
        serialized = bytes
    }

    /// Derives the key from `password` and decrypts the plaintext secret-key export.
    func open(password: String) throws -> [UInt8] {
        var passwordBytes = Array(password.utf8)
        defer { Sodium.wipe(&passwordBytes) }
        let key = try Argon2id.deriveKey(password: passwordBytes, salt: salt, limits: limits)
        do {
            return try XChaCha20Poly1305.open(
                ciphertext: ciphertext,
                associatedData: DomainLabel.passwordExport.labelled(serialized[0..<Self.headerLength]),
                nonce: nonce, key: key)
        } catch {
            throw E2EEError(
                code: .authenticationFailed,
                message: "the password is wrong or the export was modified; check the password and the export's integrity")
        }
    }
}
