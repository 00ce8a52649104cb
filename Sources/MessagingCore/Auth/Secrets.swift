/// An encoded password hash (for example libsodium's `$argon2id$v=19$m=…,t=…,p=…$salt$hash`
/// string), as stored by a ``CredentialStore``.
///
/// Its description, debug description and reflection never show the hash.
///
/// Thread safety: a value type; safe to share across tasks.
public struct PasswordHash: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The encoded hash string, in the format of the hashing library (it embeds the algorithm and parameters).
    public let encoded: String

    /// Wraps an encoded hash string.
    public init(encoded: String) { self.encoded = encoded }

    public var description: String { "PasswordHash(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

/// The 32-byte digest under which a refresh token is stored; the token itself is never stored.
///
/// Its description, debug description and reflection never show the bytes.
///
/// Thread safety: a value type; safe to share across tasks.
public struct RefreshTokenHash: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The digest's length in bytes.
    public static let byteCount = 32

    /// The digest.
    public let bytes: [UInt8]

    /// Wraps a digest; `nil` unless it is exactly ``byteCount`` bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    public var description: String { "RefreshTokenHash(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
