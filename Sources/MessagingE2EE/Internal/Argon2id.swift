import CSodium
import MessagingSodium

/// Password-based key derivation with Argon2id (`crypto_pwhash`, `ALG_ARGON2ID13`).
enum Argon2id {
    static let saltLength = Int(crypto_pwhash_saltbytes())
    static let algorithm = crypto_pwhash_alg_argon2id13()

    /// Derives a 32-byte key from `password` and `salt` under `limits`.
    ///
    /// Argon2id writes straight into the key's `SecretBytes`; when it fails (not enough
    /// memory), `SecretBytes` zeroes and frees the partial key once and no object is made
    /// (its ownership rule), so this wrapper keeps no buffer of its own.
    static func deriveKey(password: [UInt8], salt: [UInt8], limits: PasswordHashingLimits) throws -> SecretBytes {
        try Sodium.ensureInitialized()
        try limits.validate()
        guard salt.count == saltLength else {
            throw E2EEError.invalidFormat("Argon2id salts are \(saltLength) bytes, got \(salt.count)")
        }
        return try SecretBytes(count: XChaCha20Poly1305.keyLength) { key in
            let result = password.withUnsafeBufferPointer { pw in
                salt.withUnsafeBufferPointer { s in
                    UnsafeRawPointer(pw.bytes).withMemoryRebound(to: CChar.self, capacity: 1) { pwc in
                        crypto_pwhash(
                            key.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(key.count),
                            pwc, UInt64(pw.count),
                            s.bytes,
                            limits.operations, Int(limits.memoryBytes), algorithm)
                    }
                }
            }
            guard result == 0 else {
                throw E2EEError(
                    code: .passwordHashingFailed,
                    message: "Argon2id failed with \(limits.memoryBytes) bytes of memory; free memory or use smaller limits")
            }
        }
    }
}
