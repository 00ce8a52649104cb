import CSodium
import MessagingSodium

/// The AEAD layer: thin wrappers over `crypto_aead_xchacha20poly1305_ietf_encrypt/decrypt`.
///
/// The pointer-level functions are what the message format uses on its hot path (no extra
/// copies); the array-level functions validate every size first and are what the Wycheproof
/// tests drive, including vectors with nonce sizes libsodium does not support, which must be
/// rejected here rather than reach C. No public API takes a nonce: callers inside the module
/// draw one from ``RandomSource`` for every encryption.
enum XChaCha20Poly1305 {
    static let keyLength = Int(crypto_aead_xchacha20poly1305_ietf_keybytes())
    static let nonceLength = Int(crypto_aead_xchacha20poly1305_ietf_npubbytes())
    static let tagLength = Int(crypto_aead_xchacha20poly1305_ietf_abytes())

    /// Encrypts `plaintext` into `output` (exactly `plaintext.count + tagLength` bytes).
    @inline(__always)
    static func seal(
        plaintext: UnsafeRawBufferPointer,
        associatedData: UnsafeRawBufferPointer,
        nonce: UnsafeRawPointer,
        key: UnsafeRawPointer,
        into output: UnsafeMutableRawPointer
    ) {
        var written: UInt64 = 0
        let result = crypto_aead_xchacha20poly1305_ietf_encrypt(
            output.assumingMemoryBound(to: UInt8.self), &written,
            plaintext.bytes, UInt64(plaintext.count),
            associatedData.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(associatedData.count),
            nil,
            nonce.assumingMemoryBound(to: UInt8.self),
            key.assumingMemoryBound(to: UInt8.self))
        precondition(result == 0, "crypto_aead_xchacha20poly1305_ietf_encrypt failed with valid arguments")
    }

    /// Decrypts `ciphertext` (ciphertext ‖ tag) into `output` (`ciphertext.count - tagLength` bytes).
    @inline(__always)
    static func open(
        ciphertext: UnsafeRawBufferPointer,
        associatedData: UnsafeRawBufferPointer,
        nonce: UnsafeRawPointer,
        key: UnsafeRawPointer,
        into output: UnsafeMutableRawPointer
    ) throws {
        guard ciphertext.count >= tagLength else {
            throw E2EEError(code: .authenticationFailed, message: "ciphertext is shorter than the 16-byte authentication tag")
        }
        var written: UInt64 = 0
        let result = crypto_aead_xchacha20poly1305_ietf_decrypt(
            output.assumingMemoryBound(to: UInt8.self), &written,
            nil,
            ciphertext.bytes, UInt64(ciphertext.count),
            associatedData.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(associatedData.count),
            nonce.assumingMemoryBound(to: UInt8.self),
            key.assumingMemoryBound(to: UInt8.self))
        guard result == 0 else {
            throw E2EEError(
                code: .authenticationFailed,
                message: "XChaCha20-Poly1305 authentication failed: wrong key, or the ciphertext or its associated data was modified")
        }
    }

    /// Validating seal over arrays; returns ciphertext ‖ tag.
    static func seal(plaintext: [UInt8], associatedData: [UInt8], nonce: [UInt8], key: [UInt8]) throws -> [UInt8] {
        try key.withUnsafeBytes { try seal(plaintext: plaintext, associatedData: associatedData, nonce: nonce, key: $0) }
    }

    /// Validating seal with a secret key.
    static func seal(plaintext: [UInt8], associatedData: [UInt8], nonce: [UInt8], key: SecretBytes) throws -> [UInt8] {
        try key.withUnsafeBytes { try seal(plaintext: plaintext, associatedData: associatedData, nonce: nonce, key: $0) }
    }

    /// Validating open over arrays; `ciphertext` is ciphertext ‖ tag.
    static func open(ciphertext: [UInt8], associatedData: [UInt8], nonce: [UInt8], key: [UInt8]) throws -> [UInt8] {
        try key.withUnsafeBytes { try open(ciphertext: ciphertext, associatedData: associatedData, nonce: nonce, key: $0) }
    }

    /// Validating open with a secret key.
    static func open(ciphertext: [UInt8], associatedData: [UInt8], nonce: [UInt8], key: SecretBytes) throws -> [UInt8] {
        try key.withUnsafeBytes { try open(ciphertext: ciphertext, associatedData: associatedData, nonce: nonce, key: $0) }
    }

    private static func seal(
        plaintext: [UInt8], associatedData: [UInt8], nonce: [UInt8], key: UnsafeRawBufferPointer
    ) throws -> [UInt8] {
        try Sodium.ensureInitialized()
        try validate(nonce: nonce, keyLength: key.count)
        let count = plaintext.count + tagLength
        return [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            plaintext.withUnsafeBytes { p in
                associatedData.withUnsafeBytes { ad in
                    nonce.withUnsafeBytes { n in
                        seal(plaintext: p, associatedData: ad, nonce: n.baseAddress!, key: key.baseAddress!,
                             into: UnsafeMutableRawPointer(output.baseAddress!))
                    }
                }
            }
            initialized = count
        }
    }

    private static func open(
        ciphertext: [UInt8], associatedData: [UInt8], nonce: [UInt8], key: UnsafeRawBufferPointer
    ) throws -> [UInt8] {
        try Sodium.ensureInitialized()
        try validate(nonce: nonce, keyLength: key.count)
        guard ciphertext.count >= tagLength else {
            throw E2EEError(code: .authenticationFailed, message: "ciphertext is shorter than the 16-byte authentication tag")
        }
        let count = ciphertext.count - tagLength
        var plaintext = [UInt8](repeating: 0, count: Swift.max(count, 1))
        try plaintext.withUnsafeMutableBytes { output in
            try ciphertext.withUnsafeBytes { c in
                try associatedData.withUnsafeBytes { ad in
                    try nonce.withUnsafeBytes { n in
                        try open(ciphertext: c, associatedData: ad, nonce: n.baseAddress!, key: key.baseAddress!,
                                 into: output.baseAddress!)
                    }
                }
            }
        }
        plaintext.removeLast(plaintext.count - count)
        return plaintext
    }

    private static func validate(nonce: [UInt8], keyLength actual: Int) throws {
        guard actual == keyLength else {
            throw E2EEError(code: .invalidKey, message: "XChaCha20-Poly1305 keys are \(keyLength) bytes, got \(actual)")
        }
        guard nonce.count == nonceLength else {
            throw E2EEError.invalidArgument("XChaCha20-Poly1305 nonces are \(nonceLength) bytes, got \(nonce.count)")
        }
    }
}
