/// The key table of access tokens: the key new tokens are signed with, the keys tokens
/// are accepted from, and the algorithms accepted at all.
///
/// A token is verified only with the key its `kid` names, and only when that key is in
/// this table and its algorithm is both allowed and the token's `alg`. There is no
/// default key: a token with an unknown or missing `kid` is rejected.
///
/// Rotation: add the new key as the signing key and keep the old one as a verification
/// key until the longest access-token lifetime has passed, then drop it.
///
/// Thread safety: a value type; safe to share across tasks.
public struct AccessTokenKeys: Sendable {
    /// The key new tokens are signed with.
    public let signingKey: AccessTokenKey
    /// Every key tokens are accepted from, by key id (the signing key included).
    public let keys: [String: AccessTokenKey]
    /// The algorithms accepted. Default: EdDSA only.
    public let allowedAlgorithms: Set<AccessTokenAlgorithm>

    /// Makes a key table; throws `misconfigured` when the signing key cannot sign, two keys
    /// share an id, or a key's algorithm is not allowed.
    public init(
        signingKey: AccessTokenKey, verificationKeys: [AccessTokenKey] = [],
        allowedAlgorithms: Set<AccessTokenAlgorithm> = [.eddsa]
    ) throws(AuthError) {
        guard signingKey.canSign else { throw .misconfigured("The signing key is a verify-only public key.") }
        var keys = [signingKey.id: signingKey]
        for key in verificationKeys {
            guard keys.updateValue(key, forKey: key.id) == nil else {
                throw .misconfigured("Two access-token keys share the id '\(key.id)'; key ids must be unique.")
            }
        }
        for key in keys.values where !allowedAlgorithms.contains(key.algorithm) {
            throw .misconfigured(
                "The key '\(key.id)' uses \(key.algorithm), which is not among the allowed algorithms; allow it or remove the key.")
        }
        self.signingKey = signingKey
        self.keys = keys
        self.allowedAlgorithms = allowedAlgorithms
    }
}
