import CSodium
import MessagingSodium

/// Ed25519 signatures (`crypto_sign_*`), detached.
enum Ed25519 {
    static let publicKeyLength = Int(crypto_sign_publickeybytes())
    static let secretKeyLength = Int(crypto_sign_secretkeybytes())
    static let seedLength = Int(crypto_sign_seedbytes())
    static let signatureLength = Int(crypto_sign_bytes())

    /// Derives a key pair from a 32-byte seed with `crypto_sign_seed_keypair`.
    static func keyPair(seed: UnsafeRawBufferPointer) throws -> (publicKey: [UInt8], secretKey: SecretBytes) {
        try Sodium.ensureInitialized()
        guard seed.count == seedLength else {
            throw E2EEError(code: .invalidKey, message: "Ed25519 seeds are \(seedLength) bytes, got \(seed.count)")
        }
        var publicKey = [UInt8](repeating: 0, count: publicKeyLength)
        let secretKey = SecretBytes(count: secretKeyLength) { secret in
            publicKey.withUnsafeMutableBufferPointer { pk in
                _ = crypto_sign_seed_keypair(
                    pk.baseAddress!, secret.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    seed.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return (publicKey, secretKey)
    }

    /// Signs `message` with a 64-byte libsodium secret key (seed ‖ public key).
    static func sign(_ message: UnsafeRawBufferPointer, secretKey: SecretBytes) -> [UInt8] {
        Sodium.requireInitialized()
        return [UInt8](unsafeUninitializedCapacity: signatureLength) { signature, initialized in
            secretKey.withUnsafeBytes { sk in
                _ = crypto_sign_detached(
                    signature.baseAddress!, nil,
                    message.bytes, UInt64(message.count),
                    sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            initialized = signatureLength
        }
    }

    /// Signs `message` (array form).
    static func sign(_ message: [UInt8], secretKey: SecretBytes) -> [UInt8] {
        message.withUnsafeBytes { sign($0, secretKey: secretKey) }
    }

    /// Verifies a detached signature; any length error is a failed verification.
    static func verify(signature: some Collection<UInt8>, message: UnsafeRawBufferPointer, publicKey: [UInt8]) -> Bool {
        Sodium.requireInitialized()
        guard signature.count == signatureLength, publicKey.count == publicKeyLength else { return false }
        let signatureBytes = Array(signature)
        return signatureBytes.withUnsafeBufferPointer { sig in
            publicKey.withUnsafeBufferPointer { pk in
                crypto_sign_verify_detached(
                    sig.baseAddress!,
                    message.bytes, UInt64(message.count),
                    pk.baseAddress!) == 0
            }
        }
    }

    /// Verifies a detached signature over an array message.
    static func verify(signature: some Collection<UInt8>, message: [UInt8], publicKey: [UInt8]) -> Bool {
        message.withUnsafeBytes { verify(signature: signature, message: $0, publicKey: publicKey) }
    }
}
