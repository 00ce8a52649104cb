import MessagingCore
import MessagingSodium

/// An opaque refresh token: 32 bytes (256 bits) from libsodium's `randombytes_buf`, sent to
/// the client as 43 characters of unpadded base64url, stored only as its hash.
///
/// Its description, debug description and reflection never show the token.
///
/// Thread safety: a value type; safe to share across tasks.
public struct RefreshToken: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The number of random bytes in a token.
    public static let byteCount = 32

    /// A fixed, public BLAKE2b key that separates this hash from every other use of
    /// BLAKE2b (domain separation, not secrecy: 256 random bits need no secret pepper).
    private static let hashDomain = Array("swift-messaging/refresh-token/v1".utf8)

    private let bytes: [UInt8]

    /// A new random token.
    static func generate() -> RefreshToken { RefreshToken(bytes: Sodium.randomBytes(byteCount)) }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// Parses a token the client presented; `nil` unless it is exactly 43 base64url
    /// characters that decode to 32 bytes.
    public init?(encoded: String) {
        guard encoded.utf8.count == 43, let bytes = Base64URL.decode(encoded.utf8), bytes.count == Self.byteCount else {
            return nil
        }
        self.bytes = bytes
    }

    /// The form to send to the client.
    public var encoded: String { Base64URL.encode(bytes) }

    /// The digest it is stored and looked up under: keyed BLAKE2b-256 (`crypto_generichash`).
    var hash: RefreshTokenHash {
        RefreshTokenHash(bytes: Sodium.genericHash(bytes, key: Self.hashDomain, digestLength: RefreshTokenHash.byteCount))!
    }

    /// Compares in constant time.
    public static func == (lhs: RefreshToken, rhs: RefreshToken) -> Bool { Sodium.constantTimeEquals(lhs.bytes, rhs.bytes) }

    public var description: String { "RefreshToken(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
