import CSodium
import JWTKit
import MessagingSodium

/// One key access tokens are signed or verified with, under its key id (`kid`).
///
/// Its description shows the key id and algorithm, never key material.
///
/// Thread safety: a value type; safe to share across tasks.
public struct AccessTokenKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    enum Material: Sendable {
        case ed25519Private(seed: [UInt8], publicKey: [UInt8])
        case ed25519Public([UInt8])
        case hmacSHA256([UInt8])
    }

    /// The key id, matched exactly against a token's `kid` header.
    public let id: String
    let material: Material

    private init(id: String, material: Material) throws(AuthError) {
        try Self.checkID(id)
        self.id = id
        self.material = material
    }

    /// An Ed25519 signing key from its 32-byte seed (the RFC 8032 private key).
    public static func ed25519(id: String, seed: [UInt8]) throws(AuthError) -> AccessTokenKey {
        guard seed.count == 32 else { throw .misconfigured("An Ed25519 seed is exactly 32 bytes.") }
        Sodium.requireInitialized()
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_sign_publickeybytes()))
        var secretKey = [UInt8](repeating: 0, count: Int(crypto_sign_secretkeybytes()))
        guard crypto_sign_seed_keypair(&publicKey, &secretKey, seed) == 0 else {
            throw .misconfigured("libsodium could not derive an Ed25519 key pair from the seed.")
        }
        Sodium.wipe(&secretKey)
        return try AccessTokenKey(id: id, material: .ed25519Private(seed: seed, publicKey: publicKey))
    }

    /// An Ed25519 verification-only key from its 32-byte public key (a key that another
    /// process signs with, or a retired signing key kept so its tokens verify until they expire).
    public static func ed25519(id: String, publicKey: [UInt8]) throws(AuthError) -> AccessTokenKey {
        guard publicKey.count == 32 else { throw .misconfigured("An Ed25519 public key is exactly 32 bytes.") }
        return try AccessTokenKey(id: id, material: .ed25519Public(publicKey))
    }

    /// An HS256 key: a shared secret of at least 32 bytes (RFC 7518 §3.2 asks for at least
    /// the hash size). Use only when every verifier may also sign.
    public static func hs256(id: String, secret: [UInt8]) throws(AuthError) -> AccessTokenKey {
        guard secret.count >= 32 else { throw .misconfigured("An HS256 secret must be at least 32 bytes.") }
        return try AccessTokenKey(id: id, material: .hmacSHA256(secret))
    }

    /// A new Ed25519 signing key from libsodium's random generator.
    public static func generateEd25519(id: String) throws(AuthError) -> AccessTokenKey {
        var seed = Sodium.randomBytes(32)
        defer { Sodium.wipe(&seed) }
        return try ed25519(id: id, seed: seed)
    }

    /// The algorithm this key signs and verifies with.
    public var algorithm: AccessTokenAlgorithm {
        switch material {
        case .ed25519Private, .ed25519Public: .eddsa
        case .hmacSHA256: .hs256
        }
    }

    /// Whether the key can sign (a private Ed25519 key or an HMAC secret).
    public var canSign: Bool {
        if case .ed25519Public = material { return false }
        return true
    }

    /// The Ed25519 public key (32 bytes), to publish for other verifiers; `nil` for HMAC keys.
    public var ed25519PublicKey: [UInt8]? {
        switch material {
        case .ed25519Private(_, let publicKey), .ed25519Public(let publicKey): publicKey
        case .hmacSHA256: nil
        }
    }

    /// Adds this key alone to `collection` under its id.
    func add(to collection: JWTKeyCollection) async throws {
        let kid = JWKIdentifier(string: id)
        switch material {
        case .ed25519Private(let seed, _):
            await collection.add(eddsa: try EdDSA.PrivateKey(d: Base64URL.encode(seed), curve: .ed25519), kid: kid)
        case .ed25519Public(let publicKey):
            await collection.add(eddsa: try EdDSA.PublicKey(x: Base64URL.encode(publicKey), curve: .ed25519), kid: kid)
        case .hmacSHA256(let secret):
            await collection.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: kid)
        }
    }

    /// Key ids are 1–64 characters of `A–Z a–z 0–9 . _ -`: nothing a path, a query or a
    /// log line could interpret.
    static func isValidID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }

    private static func checkID(_ id: String) throws(AuthError) {
        guard isValidID(id) else {
            throw .misconfigured("A key id must be 1 to 64 characters of A–Z, a–z, 0–9, '.', '_' and '-'.")
        }
    }

    public var description: String { "AccessTokenKey(id: \(id), algorithm: \(algorithm), \(canSign ? "signing" : "verify-only"))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["id": id, "algorithm": algorithm.name]) }
}
