import CSodium

/// The Argon2id cost parameters (`crypto_pwhash` opslimit and memlimit) for password exports.
///
/// The limits used are stored in the export, so importing needs no parameter; on import they
/// are checked against ``maximum`` so a crafted export cannot make a device spend unbounded
/// memory or time.
///
/// Thread safety: an immutable value; `Sendable`.
public struct PasswordHashingLimits: Hashable, Sendable, CustomStringConvertible {
    /// Argon2id passes over memory (`opslimit`).
    public var operations: UInt64
    /// Argon2id memory in bytes (`memlimit`).
    public var memoryBytes: UInt64

    /// Creates limits; they are validated when used (see ``minimum`` and ``maximum``).
    ///
    /// Thread safety: pure; safe from any thread.
    public init(operations: UInt64, memoryBytes: UInt64) {
        self.operations = operations
        self.memoryBytes = memoryBytes
    }

    /// libsodium's interactive preset (2 passes, 64 MiB): the default for exports.
    public static let interactive = PasswordHashingLimits(
        operations: UInt64(crypto_pwhash_argon2id_opslimit_interactive()),
        memoryBytes: UInt64(crypto_pwhash_argon2id_memlimit_interactive()))

    /// libsodium's moderate preset (3 passes, 256 MiB).
    public static let moderate = PasswordHashingLimits(
        operations: UInt64(crypto_pwhash_argon2id_opslimit_moderate()),
        memoryBytes: UInt64(crypto_pwhash_argon2id_memlimit_moderate()))

    /// libsodium's sensitive preset (4 passes, 1 GiB).
    public static let sensitive = PasswordHashingLimits(
        operations: UInt64(crypto_pwhash_argon2id_opslimit_sensitive()),
        memoryBytes: UInt64(crypto_pwhash_argon2id_memlimit_sensitive()))

    /// The smallest limits libsodium accepts (1 pass, 8 KiB): for tests only, never for real keys.
    public static let minimum = PasswordHashingLimits(
        operations: UInt64(crypto_pwhash_argon2id_opslimit_min()),
        memoryBytes: UInt64(crypto_pwhash_argon2id_memlimit_min()))

    /// The largest limits an import accepts (16 passes, 1 GiB).
    public static let maximum = PasswordHashingLimits(
        operations: 16,
        memoryBytes: UInt64(crypto_pwhash_argon2id_memlimit_sensitive()))

    /// Throws ``E2EEError/Code/invalidArgument`` unless `minimum ≤ self ≤ maximum` component-wise.
    func validate() throws {
        guard operations >= Self.minimum.operations, operations <= Self.maximum.operations,
              memoryBytes >= Self.minimum.memoryBytes, memoryBytes <= Self.maximum.memoryBytes
        else {
            throw E2EEError.invalidArgument(
                "Argon2id limits \(self) are outside \(Self.minimum)...\(Self.maximum)")
        }
    }

    /// For example `argon2id(ops: 2, mem: 67108864 B)`.
    public var description: String { "argon2id(ops: \(operations), mem: \(memoryBytes) B)" }
}
