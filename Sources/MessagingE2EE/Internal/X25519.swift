import CSodium
import MessagingSodium

/// X25519 key agreement (`crypto_scalarmult` / `crypto_box_*` key pairs).
enum X25519 {
    static let keyLength = Int(crypto_scalarmult_bytes())

    /// Derives a key pair from a 32-byte seed with `crypto_box_seed_keypair`.
    static func keyPair(seed: UnsafeRawBufferPointer) throws -> (publicKey: [UInt8], secretKey: SecretBytes) {
        try Sodium.ensureInitialized()
        guard seed.count == Int(crypto_box_seedbytes()) else {
            throw E2EEError(code: .invalidKey, message: "X25519 seeds are \(crypto_box_seedbytes()) bytes, got \(seed.count)")
        }
        var publicKey = [UInt8](repeating: 0, count: keyLength)
        let secretKey = SecretBytes(count: keyLength) { secret in
            publicKey.withUnsafeMutableBufferPointer { pk in
                _ = crypto_box_seed_keypair(
                    pk.baseAddress!, secret.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    seed.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return (publicKey, secretKey)
    }

    /// The public key of a 32-byte secret key (`crypto_scalarmult_base`).
    static func publicKey(secretKey: SecretBytes) throws -> [UInt8] {
        try Sodium.ensureInitialized()
        guard secretKey.count == keyLength else {
            throw E2EEError(code: .invalidKey, message: "X25519 secret keys are \(keyLength) bytes, got \(secretKey.count)")
        }
        var publicKey = [UInt8](repeating: 0, count: keyLength)
        let result = secretKey.withUnsafeBytes { sk in
            publicKey.withUnsafeMutableBufferPointer { pk in
                crypto_scalarmult_base(pk.baseAddress!, sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        guard result == 0 else {
            throw E2EEError(code: .invalidKey, message: "the X25519 secret key is unusable")
        }
        return publicKey
    }

    /// Computes the raw X25519 shared secret; rejects wrong lengths and an all-zero result
    /// (libsodium returns -1 for it: the peer key was a low-order point).
    static func sharedSecret(secretKey: [UInt8], publicKey: [UInt8]) throws -> [UInt8] {
        try Sodium.ensureInitialized()
        guard secretKey.count == keyLength, publicKey.count == keyLength else {
            throw E2EEError(code: .invalidKey, message: "X25519 keys are \(keyLength) bytes")
        }
        var shared = [UInt8](repeating: 0, count: keyLength)
        let result = secretKey.withUnsafeBufferPointer { sk in
            publicKey.withUnsafeBufferPointer { pk in
                shared.withUnsafeMutableBufferPointer { out in
                    crypto_scalarmult(out.baseAddress!, sk.bytes, pk.bytes)
                }
            }
        }
        guard result == 0 else {
            Sodium.wipe(&shared)
            throw E2EEError(code: .invalidKey, message: "X25519 produced an all-zero shared secret: the public key is a low-order point")
        }
        return shared
    }
}
