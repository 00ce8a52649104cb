import CSodium
import MessagingSodium

/// Anonymous public-key encryption to an X25519 key (`crypto_box_seal`).
///
/// A sealed box is `ephemeralPublicKey(32) ‖ crypto_box(m, nonce, recipientPK, ephemeralSK)`
/// with `nonce = BLAKE2b-192(ephemeralPK ‖ recipientPK)`. Production sealing calls
/// `crypto_box_seal`, which draws the ephemeral key itself. The deterministic branch builds the
/// same construction by hand from a test seed, only so test vectors are reproducible; the
/// tests check that its output opens with `crypto_box_seal_open`.
enum SealedBox {
    static let overhead = Int(crypto_box_sealbytes())

    /// Seals `message` to `recipientPublicKey`.
    static func seal(_ message: [UInt8], to recipientPublicKey: [UInt8], random: RandomSource) throws -> [UInt8] {
        try Sodium.ensureInitialized()
        guard recipientPublicKey.count == X25519.keyLength else {
            throw E2EEError(code: .invalidKey, message: "X25519 public keys are \(X25519.keyLength) bytes")
        }
        let count = message.count + overhead
        var output = [UInt8](repeating: 0, count: count)
        let result: Int32
        if random.isSystem {
            result = message.withUnsafeBufferPointer { m in
                recipientPublicKey.withUnsafeBufferPointer { pk in
                    output.withUnsafeMutableBufferPointer { out in
                        crypto_box_seal(out.baseAddress!, m.bytes, UInt64(m.count), pk.bytes)
                    }
                }
            }
        } else {
            result = try sealDeterministically(message, to: recipientPublicKey, random: random, into: &output)
        }
        guard result == 0 else {
            throw E2EEError(code: .invalidKey, message: "cannot seal to this X25519 public key (low-order point?)")
        }
        return output
    }

    private static func sealDeterministically(
        _ message: [UInt8], to recipientPublicKey: [UInt8], random: RandomSource, into output: inout [UInt8]
    ) throws -> Int32 {
        var seed = random.bytes(Int(crypto_box_seedbytes()))
        defer { Sodium.wipe(&seed) }
        let ephemeral = try seed.withUnsafeBytes { try X25519.keyPair(seed: $0) }
        let nonce = Blake2b.hash(ephemeral.publicKey + recipientPublicKey, length: Int(crypto_box_noncebytes()))
        output.replaceSubrange(0..<X25519.keyLength, with: ephemeral.publicKey)
        return message.withUnsafeBufferPointer { m in
            recipientPublicKey.withUnsafeBufferPointer { pk in
                nonce.withUnsafeBufferPointer { n in
                    ephemeral.secretKey.withUnsafeBytes { esk in
                        output.withUnsafeMutableBufferPointer { out in
                            crypto_box_easy(
                                out.baseAddress! + X25519.keyLength, m.bytes, UInt64(m.count),
                                n.bytes, pk.bytes, esk.baseAddress!.assumingMemoryBound(to: UInt8.self))
                        }
                    }
                }
            }
        }
    }

    /// Opens a sealed box with the recipient's key pair; the result is secret and kept in `SecretBytes`.
    static func open(_ ciphertext: [UInt8], publicKey: [UInt8], secretKey: SecretBytes) throws -> SecretBytes {
        try Sodium.ensureInitialized()
        guard ciphertext.count > overhead else {
            throw E2EEError(code: .authenticationFailed, message: "sealed box is shorter than its \(overhead)-byte overhead")
        }
        return try SecretBytes(count: ciphertext.count - overhead) { plaintext in
            let result = ciphertext.withUnsafeBufferPointer { c in
                publicKey.withUnsafeBufferPointer { pk in
                    secretKey.withUnsafeBytes { sk in
                        crypto_box_seal_open(
                            plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self),
                            c.bytes, UInt64(c.count), pk.bytes,
                            sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
                    }
                }
            }
            guard result == 0 else {
                throw E2EEError(
                    code: .authenticationFailed,
                    message: "the sealed box does not open with this device's key: it was sealed to another key or modified")
            }
        }
    }
}
