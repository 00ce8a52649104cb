import MessagingSodium

/// The public keys of an ``AccessTokenKeys`` table as a JSON Web Key Set (RFC 7517, with
/// the `OKP`/`Ed25519` key type of RFC 8037), for third parties that verify access tokens:
/// serve it (for example at `/.well-known/jwks.json`) and let them pick the key whose `kid`
/// the token names.
///
/// It lists the signing key first, then every other Ed25519 key (the previous keys kept
/// during a rotation) by id. HMAC keys are secrets and are never listed; a table of only
/// HMAC keys gives an empty set.
///
/// ```json
/// {"keys":[{"alg":"EdDSA","crv":"Ed25519","kid":"k-2026-12","kty":"OKP","use":"sig","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}
/// ```
///
/// Thread safety: a value type; safe to share across tasks.
public struct JSONWebKeySet: Sendable, Codable, Equatable {
    /// One public key.
    public struct Key: Sendable, Codable, Equatable {
        /// Key type: `OKP` (octet key pair).
        public let kty: String
        /// Curve: `Ed25519`.
        public let crv: String
        /// The public key, base64url without padding.
        public let x: String
        /// The key id tokens name in their `kid` header.
        public let kid: String
        /// The algorithm: `EdDSA`.
        public let alg: String
        /// The use: `sig`.
        public let use: String
    }

    /// The keys, signing key first.
    public let keys: [Key]

    /// The public keys of `table`.
    public init(_ table: AccessTokenKeys) {
        let others = table.keys.values.filter { $0.id != table.signingKey.id }.sorted { $0.id < $1.id }
        keys = ([table.signingKey] + others).compactMap { key in
            guard let publicKey = key.ed25519PublicKey else { return nil }
            return Key(kty: "OKP", crv: "Ed25519", x: Base64URL.encode(publicKey), kid: key.id, alg: "EdDSA", use: "sig")
        }
    }
}
