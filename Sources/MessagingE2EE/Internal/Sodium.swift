import CSodium

/// One-time libsodium initialization shared by every entry point of the module.
///
/// `sodium_init()` is idempotent and thread-safe, but calling it on every operation costs a
/// lock; the lazily-initialized static below runs it exactly once (Swift guarantees
/// thread-safe, once-only initialization of globals and statics).
enum Sodium {
    /// The result of the single `sodium_init()` call: `true` when libsodium is usable.
    private static let initialized: Bool = sodium_init() >= 0

    /// Makes sure libsodium is initialized; throws ``E2EEError/Code/cryptoUnavailable`` otherwise.
    @inline(__always)
    static func ensureInitialized() throws {
        guard initialized else {
            throw E2EEError(
                code: .cryptoUnavailable,
                message: "sodium_init() failed: libsodium cannot be used in this process (no entropy source?)"
            )
        }
    }

    /// Like ``ensureInitialized()`` for the few non-throwing entry points: traps with a clear
    /// message, because continuing without an initialized libsodium would be unsafe.
    @inline(__always)
    static func requireInitialized() {
        guard initialized else {
            fatalError("MessagingE2EE: sodium_init() failed; libsodium cannot be used in this process")
        }
    }

    /// Compares two byte sequences of equal length in constant time.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.isEmpty { return true }
        return lhs.withUnsafeBytes { l in
            rhs.withUnsafeBytes { r in
                sodium_memcmp(l.baseAddress!, r.baseAddress!, l.count) == 0
            }
        }
    }

    /// Overwrites an array's bytes with zeros (best effort: copies made earlier are not reached).
    static func zero(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress {
                sodium_memzero(base, buffer.count)
            }
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
    var bytes: UnsafePointer<UInt8> {
        baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(emptyInputByte)
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// The base address, or a valid dummy pointer when the buffer is empty.
    @inline(__always)
    var bytes: UnsafePointer<UInt8> {
        baseAddress ?? UnsafePointer(emptyInputByte)
    }
}
