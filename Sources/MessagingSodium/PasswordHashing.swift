import CSodium

/// Password hashing (`crypto_pwhash`, argon2id): the encoded-string API the auth module stores.
extension Sodium {
    /// `crypto_pwhash_str`: an encoded argon2id hash string; `nil` when libsodium could not
    /// allocate the memory the parameters ask for.
    package static func passwordHashString(_ password: [UInt8], opsLimit: UInt64, memLimit: Int) -> String? {
        requireInitialized()
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
    package static func verifyPassword(_ password: [UInt8], against encoded: String) -> Bool {
        requireInitialized()
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
    package static func passwordNeedsRehash(_ encoded: String, opsLimit: UInt64, memLimit: Int) -> Bool {
        requireInitialized()
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

    package static var opsLimitMin: UInt64 { UInt64(crypto_pwhash_opslimit_min()) }
    package static var memLimitMin: Int { crypto_pwhash_memlimit_min() }
    package static var opsLimitInteractive: UInt64 { UInt64(crypto_pwhash_opslimit_interactive()) }
    package static var memLimitInteractive: Int { crypto_pwhash_memlimit_interactive() }
    package static var opsLimitModerate: UInt64 { UInt64(crypto_pwhash_opslimit_moderate()) }
    package static var memLimitModerate: Int { crypto_pwhash_memlimit_moderate() }
    package static var opsLimitMax: UInt64 { UInt64(crypto_pwhash_opslimit_max()) }
    package static var memLimitMax: Int { crypto_pwhash_memlimit_max() }
}
