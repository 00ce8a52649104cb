import CSodium

/// A fixed-size buffer of secret bytes that is zeroed with `sodium_memzero` when released.
///
/// The bytes are written once, in `init`, and never change afterwards, so sharing one
/// instance between threads is safe. The memory is locked with `sodium_mlock` when the
/// system allows it (best effort: failure to lock is not an error), which keeps it out of
/// swap. Secret bytes never appear in `description`, `debugDescription` or `dump`.
///
/// Ownership rule (one for every secret buffer in the module): the initializer fills a buffer
/// that `init` alone owns; the object takes the buffer over only after the initializer has
/// returned, and from then on `deinit` is the one place that releases it. If the initializer
/// throws, `init` releases the buffer (zeroed, unlocked, freed) and throws before any stored
/// property is set, so no object exists and `deinit` does not run. Every release — in
/// `deinit` or on that failure path — goes through `release(_:locked:observer:)` exactly once.
/// (A class whose stored properties are all initialized runs `deinit` when its `init` throws:
/// releasing in a `catch` after the properties were set was a double free.)
///
/// `@unchecked Sendable`: the only stored property is a pointer to memory that is written
/// during `init` and read-only afterwards until `deinit`, which runs once no reference is left.
final class SecretBytes: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let buffer: UnsafeMutableRawBufferPointer
    private let locked: Bool
    /// Test hook: sees the buffer after zeroing, just before it is freed (once per buffer).
    private let releaseObserver: (@Sendable (UnsafeRawBufferPointer) -> Void)?

    /// The number of secret bytes.
    var count: Int { buffer.count }

    /// Allocates `count` bytes and lets `initializer` fill them (the only time they are writable).
    ///
    /// If `initializer` throws, the bytes it wrote are zeroed and freed before the error is
    /// rethrown, and no object is created.
    init(
        count: Int, releaseObserver: (@Sendable (UnsafeRawBufferPointer) -> Void)? = nil,
        initializer: (UnsafeMutableRawBufferPointer) throws -> Void
    ) rethrows {
        precondition(count > 0, "SecretBytes must hold at least one byte")
        // Owned by this scope until every fallible step is done.
        let filling = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
        filling.initializeMemory(as: UInt8.self, repeating: 0)
        let filledLocked = sodium_mlock(filling.baseAddress!, count) == 0
        do {
            try initializer(filling)
        } catch {
            Self.release(filling, locked: filledLocked, observer: releaseObserver)
            throw error
        }
        // Nothing below can fail: the object owns the buffer from here on.
        buffer = filling
        locked = filledLocked
        self.releaseObserver = releaseObserver
    }

    /// Copies `bytes` into a new secret buffer; the caller should zero its own copy.
    convenience init(copying bytes: some Collection<UInt8>) {
        self.init(count: bytes.count) { destination in
            destination.copyBytes(from: bytes)
        }
    }

    /// Creates a buffer of `count` random bytes from `random`.
    convenience init(randomCount count: Int, from random: RandomSource) {
        self.init(count: count) { destination in
            random.fill(destination)
        }
    }

    deinit {
        Self.release(buffer, locked: locked, observer: releaseObserver)
    }

    /// Zeroes, unlocks and frees `buffer`: the only way a secret buffer is released.
    private static func release(
        _ buffer: UnsafeMutableRawBufferPointer, locked: Bool, observer: (@Sendable (UnsafeRawBufferPointer) -> Void)?
    ) {
        sodium_memzero(buffer.baseAddress!, buffer.count)
        if locked {
            sodium_munlock(buffer.baseAddress!, buffer.count)
        }
        observer?(UnsafeRawBufferPointer(buffer))
        buffer.deallocate()
    }

    /// Lends the secret bytes to `body` for reading; do not let the pointer escape.
    @inline(__always)
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(buffer))
    }

    /// A copy of the bytes as an array: only for serializing into a protected format.
    func copiedBytes() -> [UInt8] {
        Array(UnsafeRawBufferPointer(buffer))
    }

    /// Constant-time comparison with another secret of the same length.
    func constantTimeEquals(_ other: SecretBytes) -> Bool {
        guard count == other.count else { return false }
        return sodium_memcmp(buffer.baseAddress!, other.buffer.baseAddress!, count) == 0
    }

    var description: String { "<\(count) secret bytes redacted>" }
    var debugDescription: String { description }
    var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }
}
