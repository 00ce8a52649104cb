import CSodium

/// The libsodium calls of every module of this package, behind one initialization
/// (package access: not part of any product's API).
///
/// Thread safety: stateless apart from `sodium_init`, which libsodium makes idempotent and
/// thread-safe, and which runs once here (a lazily initialized static); every function is
/// safe to call from any thread.
package enum Sodium {
    /// Whether the single `sodium_init()` call succeeded (libsodium documents a failure as
    /// unrecoverable: no entropy source).
    package static let isInitialized: Bool = sodium_init() >= 0

    /// Traps when libsodium could not be initialized: continuing without it would be unsafe.
    /// Callers that can report an error check ``isInitialized`` themselves.
    @inline(__always)
    package static func requireInitialized() {
        guard isInitialized else { fatalError("swift-messaging: sodium_init() failed; libsodium cannot be used in this process") }
    }

    /// `count` bytes from libsodium's CSPRNG (`randombytes_buf`).
    package static func randomBytes(_ count: Int) -> [UInt8] {
        requireInitialized()
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { randombytes_buf(base, count) }
        }
        return bytes
    }

    /// BLAKE2b (`crypto_generichash`) with a `digestLength`-byte output and an optional key.
    package static func genericHash(_ input: [UInt8], key: [UInt8] = [], digestLength: Int = 32) -> [UInt8] {
        requireInitialized()
        var digest = [UInt8](repeating: 0, count: digestLength)
        let result = input.withUnsafeBufferPointer { input in
            key.withUnsafeBufferPointer { key in
                crypto_generichash(
                    &digest, digestLength, input.bytes, UInt64(input.count), key.isEmpty ? nil : key.baseAddress, key.count)
            }
        }
        precondition(result == 0, "crypto_generichash rejected valid lengths")
        return digest
    }

    /// SHA-256 (`crypto_hash_sha256`).
    package static func sha256(_ input: [UInt8]) -> [UInt8] {
        requireInitialized()
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        input.withUnsafeBufferPointer { input in
            _ = crypto_hash_sha256(&digest, input.bytes, UInt64(input.count))
        }
        return digest
    }

    /// HMAC-SHA-256 (RFC 2104) of `message` under a key of any length
    /// (`crypto_auth_hmacsha256_init/update/final`; keys over 64 bytes are hashed first).
    package static func hmacSHA256(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        requireInitialized()
        var state = crypto_auth_hmacsha256_state()
        var code = [UInt8](repeating: 0, count: Int(crypto_auth_hmacsha256_BYTES))
        key.withUnsafeBufferPointer { key in
            _ = crypto_auth_hmacsha256_init(&state, key.bytes, key.count)
        }
        message.withUnsafeBufferPointer { message in
            _ = crypto_auth_hmacsha256_update(&state, message.bytes, UInt64(message.count))
        }
        _ = crypto_auth_hmacsha256_final(&state, &code)
        withUnsafeMutableBytes(of: &state) { sodium_memzero($0.baseAddress, $0.count) }
        return code
    }

    /// Lowercase hexadecimal (`sodium_bin2hex`, constant time).
    package static func hex(_ bytes: [UInt8]) -> String {
        requireInitialized()
        var output = [CChar](repeating: 0, count: bytes.count * 2 + 1)
        bytes.withUnsafeBufferPointer { input in
            _ = sodium_bin2hex(&output, output.count, input.bytes, input.count)
        }
        return String(decoding: output.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Compares two byte strings in time that depends only on their length.
    package static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        requireInitialized()
        guard lhs.count == rhs.count else { return false }
        guard !lhs.isEmpty else { return true }
        return lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in sodium_memcmp(l.baseAddress!, r.baseAddress!, l.count) == 0 } }
    }

    /// Overwrites `bytes` with zeros in a way the compiler may not elide (copies made earlier
    /// are not reached).
    package static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { sodium_memzero(base, buffer.count) }
        }
    }
}

/// A readable byte that stands in for the base address of empty inputs: libsodium's headers
/// declare most pointer parameters nonnull, and with a zero length nothing is read from it.
///
/// `nonisolated(unsafe)`: written once during initialization, never written again, only read.
nonisolated(unsafe) private let emptyInputByte: UnsafeMutablePointer<UInt8> = {
    let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    pointer.initialize(to: 0)
    return pointer
}()

extension UnsafeRawBufferPointer {
    /// The base address as bytes, or a valid dummy pointer when the buffer is empty.
    @inline(__always)
    package var bytes: UnsafePointer<UInt8> {
        baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(emptyInputByte)
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// The base address, or a valid dummy pointer when the buffer is empty.
    @inline(__always)
    package var bytes: UnsafePointer<UInt8> {
        baseAddress ?? UnsafePointer(emptyInputByte)
    }
}
