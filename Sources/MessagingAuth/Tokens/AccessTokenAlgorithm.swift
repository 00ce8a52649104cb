/// A JWS algorithm access tokens may be signed with.
///
/// Only these two exist on purpose: `none` and every algorithm not configured are
/// rejected before any signature check.
///
/// Thread safety: a value type; safe to share across tasks.
public struct AccessTokenAlgorithm: Hashable, Sendable, CustomStringConvertible {
    private enum Wrapped: String, Hashable, Sendable {
        case eddsa = "EdDSA"
        case hs256 = "HS256"
    }

    private let wrapped: Wrapped
    private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

    /// Ed25519 signatures (RFC 8037 `EdDSA`): the default. Verifiers need only the public key.
    public static let eddsa = AccessTokenAlgorithm(.eddsa)
    /// HMAC-SHA-256 with a shared secret: every verifier can also mint tokens.
    public static let hs256 = AccessTokenAlgorithm(.hs256)

    /// The `alg` header value, matched case-sensitively (RFC 7515).
    public var name: String { wrapped.rawValue }

    /// The algorithm whose `alg` header value is exactly `name`, if it is one of these.
    init?(name: String) {
        guard let wrapped = Wrapped(rawValue: name) else { return nil }
        self.init(wrapped)
    }

    public var description: String { name }
}
