import CSodium
import MessagingSodium

/// Entry points into the module's internal AEAD layer for the benchmark package, which is
/// built in release mode and cannot use `@testable import`.
///
/// Not public API: it is visible only to a client that imports the module with
/// `@_spi(Benchmarks) import MessagingE2EE`. Like the rest of the module it accepts no nonce:
/// every seal draws a fresh one with `randombytes_buf`.
///
/// Thread safety: stateless; every member is safe to call concurrently.
@_spi(Benchmarks)
public enum E2EEBenchmarkSupport {
    /// Seals `plaintext` with the AEAD layer under `key`; returns nonce ‖ ciphertext ‖ tag.
    ///
    /// Thread safety: safe from any thread.
    public static func aeadSeal(_ plaintext: [UInt8], associatedData: [UInt8], key: ConversationKey) -> [UInt8] {
        Sodium.requireInitialized()
        let nonceLength = XChaCha20Poly1305.nonceLength
        let count = nonceLength + plaintext.count + XChaCha20Poly1305.tagLength
        return [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            let base = UnsafeMutableRawPointer(output.baseAddress!)
            randombytes_buf(base, nonceLength)
            plaintext.withUnsafeBytes { p in
                associatedData.withUnsafeBytes { ad in
                    key.secret.withUnsafeBytes { k in
                        XChaCha20Poly1305.seal(
                            plaintext: p, associatedData: ad, nonce: base, key: k.baseAddress!, into: base + nonceLength)
                    }
                }
            }
            initialized = count
        }
    }

    /// Opens nonce ‖ ciphertext ‖ tag produced by ``aeadSeal(_:associatedData:key:)``.
    ///
    /// Thread safety: safe from any thread.
    public static func aeadOpen(_ sealed: [UInt8], associatedData: [UInt8], key: ConversationKey) throws -> [UInt8] {
        try Sodium.ensureInitialized()
        let nonceLength = XChaCha20Poly1305.nonceLength
        guard sealed.count >= nonceLength + XChaCha20Poly1305.tagLength else {
            throw E2EEError.invalidFormat("sealed AEAD input is shorter than nonce and tag")
        }
        let count = sealed.count - nonceLength - XChaCha20Poly1305.tagLength
        return try [UInt8](unsafeUninitializedCapacity: Swift.max(count, 1)) { output, initialized in
            try sealed.withUnsafeBytes { s in
                try associatedData.withUnsafeBytes { ad in
                    try key.secret.withUnsafeBytes { k in
                        try XChaCha20Poly1305.open(
                            ciphertext: UnsafeRawBufferPointer(rebasing: s[nonceLength...]), associatedData: ad,
                            nonce: s.baseAddress!, key: k.baseAddress!, into: UnsafeMutableRawPointer(output.baseAddress!))
                    }
                }
            }
            initialized = count
        }
    }
}
