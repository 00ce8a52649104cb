import CSodium
import MessagingSodium

/// The cost of argon2id password hashing (libsodium `crypto_pwhash`).
///
/// Hashes are stored as libsodium's encoded string, which embeds these parameters; when
/// they are raised, each stored hash is recomputed with the new ones at its owner's next
/// successful login.
///
/// Thread safety: a value type; safe to share across tasks.
public struct Argon2idParameters: Hashable, Sendable, CustomStringConvertible {
    /// Passes over memory (`opslimit`).
    public let operations: UInt64
    /// Memory in bytes (`memlimit`).
    public let memoryBytes: Int

    /// Custom parameters; throws `misconfigured` outside libsodium's limits.
    public init(operations: UInt64, memoryBytes: Int) throws(AuthError) {
        guard (Sodium.opsLimitMin...Sodium.opsLimitMax).contains(operations),
            (Sodium.memLimitMin...Sodium.memLimitMax).contains(memoryBytes)
        else {
            throw .misconfigured(
                "argon2id parameters out of range: operations \(Sodium.opsLimitMin)…\(Sodium.opsLimitMax), memory \(Sodium.memLimitMin)… bytes.")
        }
        self.operations = operations
        self.memoryBytes = memoryBytes
    }

    private init(unchecked operations: UInt64, _ memoryBytes: Int) {
        self.operations = operations
        self.memoryBytes = memoryBytes
    }

    /// libsodium's interactive profile (2 passes, 64 MiB): the default, for online logins.
    public static var interactive: Argon2idParameters {
        Argon2idParameters(unchecked: Sodium.opsLimitInteractive, Sodium.memLimitInteractive)
    }

    /// libsodium's moderate profile (3 passes, 256 MiB).
    public static var moderate: Argon2idParameters {
        Argon2idParameters(unchecked: Sodium.opsLimitModerate, Sodium.memLimitModerate)
    }

    /// libsodium's minimum (1 pass, 8 KiB). Offers no protection: for tests only.
    public static var minimumForTestsOnly: Argon2idParameters {
        Argon2idParameters(unchecked: Sodium.opsLimitMin, Sodium.memLimitMin)
    }

    public var description: String { "argon2id(t=\(operations), m=\(memoryBytes / 1024) KiB)" }
}
