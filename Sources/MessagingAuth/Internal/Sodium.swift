import CSodium

/// The libsodium calls this module makes, behind one initialization.
///
/// Thread safety: stateless apart from `sodium_init`, which libsodium makes idempotent and
/// thread-safe; every function is safe to call from any thread.
enum Sodium {
    /// Initializes libsodium once; a failure (which libsodium documents as unrecoverable)
    /// stops the process rather than running with an unseeded generator.
    static let initialized: Bool = {
        let result = sodium_init()
        precondition(result >= 0, "libsodium failed to initialize")
        return true
    }()

    /// `count` bytes from libsodium's CSPRNG (`randombytes_buf`).
    static func randomBytes(_ count: Int) -> [UInt8] {
        _ = initialized
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) }
        return bytes
    }

    /// BLAKE2b (`crypto_generichash`) with a `digestLength`-byte output and an optional key.
    static func genericHash(_ input: [UInt8], key: [UInt8] = [], digestLength: Int = 32) -> [UInt8] {
        _ = initialized
        var digest = [UInt8](repeating: 0, count: digestLength)
        let result = input.withUnsafeBufferPointer { input in
            key.withUnsafeBufferPointer { key in
                crypto_generichash(
                    &digest, digestLength, input.baseAddress, UInt64(input.count), key.isEmpty ? nil : key.baseAddress,
                    key.count)
            }
        }
        precondition(result == 0, "crypto_generichash rejected valid lengths")
        return digest
    }

    /// Compares two byte strings in time that depends only on their length.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        _ = initialized
        guard lhs.count == rhs.count else { return false }
        guard !lhs.isEmpty else { return true }
        return sodium_memcmp(lhs, rhs, lhs.count) == 0
    }

    /// Overwrites `bytes` with zeros in a way the compiler may not elide.
    static func wipe(_ bytes: inout [UInt8]) {
        let count = bytes.count
        bytes.withUnsafeMutableBytes { sodium_memzero($0.baseAddress, count) }
    }

    // MARK: Password hashing (crypto_pwhash, argon2id)

    /// `crypto_pwhash_str`: an encoded argon2id hash string; `nil` when libsodium could not
    /// allocate the memory the parameters ask for.
    static func passwordHashString(_ password: [UInt8], opsLimit: UInt64, memLimit: Int) -> String? {
        _ = initialized
        var output = [CChar](repeating: 0, count: crypto_pwhash_strbytes())
        let length = UInt64(password.count)
        // A trailing NUL keeps the pointer valid (never nil) for an empty password.
        let result = (password + [0]).withUnsafeBufferPointer { password in
            password.withMemoryRebound(to: CChar.self) { password in
                crypto_pwhash_str(&output, password.baseAddress!, length, opsLimit, memLimit)
            }
        }
        guard result == 0 else { return nil }
        let bytes = output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `crypto_pwhash_str_verify`: whether `password` matches the encoded hash.
    static func verifyPassword(_ password: [UInt8], against encoded: String) -> Bool {
        _ = initialized
        guard var hash = encodedHashBuffer(encoded) else { return false }
        let length = UInt64(password.count)
        return (password + [0]).withUnsafeBufferPointer { password in
            password.withMemoryRebound(to: CChar.self) { password in
                crypto_pwhash_str_verify(&hash, password.baseAddress!, length) == 0
            }
        }
    }

    /// `crypto_pwhash_str_needs_rehash`: whether the encoded hash was made with other
    /// parameters (or another algorithm) than the given ones.
    static func passwordNeedsRehash(_ encoded: String, opsLimit: UInt64, memLimit: Int) -> Bool {
        _ = initialized
        guard var hash = encodedHashBuffer(encoded) else { return true }
        return crypto_pwhash_str_needs_rehash(&hash, opsLimit, memLimit) != 0
    }

    /// The encoded hash as a NUL-terminated buffer of `crypto_pwhash_STRBYTES`, the size
    /// libsodium's prototypes declare; `nil` when it cannot fit.
    private static func encodedHashBuffer(_ encoded: String) -> [CChar]? {
        let size = crypto_pwhash_strbytes()
        let utf8 = Array(encoded.utf8)
        guard utf8.count < size, !utf8.contains(0) else { return nil }
        var buffer = [CChar](repeating: 0, count: size)
        for (index, byte) in utf8.enumerated() { buffer[index] = CChar(bitPattern: byte) }
        return buffer
    }

    static var opsLimitMin: UInt64 { UInt64(crypto_pwhash_opslimit_min()) }
    static var memLimitMin: Int { crypto_pwhash_memlimit_min() }
    static var opsLimitInteractive: UInt64 { UInt64(crypto_pwhash_opslimit_interactive()) }
    static var memLimitInteractive: Int { crypto_pwhash_memlimit_interactive() }
    static var opsLimitModerate: UInt64 { UInt64(crypto_pwhash_opslimit_moderate()) }
    static var memLimitModerate: Int { crypto_pwhash_memlimit_moderate() }
    static var opsLimitMax: UInt64 { UInt64(crypto_pwhash_opslimit_max()) }
    static var memLimitMax: Int { crypto_pwhash_memlimit_max() }
}
