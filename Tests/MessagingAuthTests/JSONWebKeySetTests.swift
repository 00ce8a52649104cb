import Foundation
@testable import MessagingAuth
import Testing
import MessagingSodium

@Suite("JSON Web Key Set")
struct JSONWebKeySetTests {
    @Test("the signing key comes first, previous Ed25519 keys follow by id, HMAC secrets are never listed")
    func publicKeysOnly() throws {
        let signing = try AccessTokenKey.ed25519(id: "k-new", seed: [UInt8](repeating: 7, count: 32))
        let previous = try AccessTokenKey.ed25519(id: "k-a-old", publicKey: try #require(
            AccessTokenKey.ed25519(id: "x", seed: [UInt8](repeating: 9, count: 32)).ed25519PublicKey))
        let secret = try AccessTokenKey.hs256(id: "k-hmac", secret: [UInt8](repeating: 1, count: 32))
        let table = try AccessTokenKeys(
            signingKey: signing, verificationKeys: [secret, previous], allowedAlgorithms: [.eddsa, .hs256])
        let set = JSONWebKeySet(table)
        #expect(set.keys.map(\.kid) == ["k-new", "k-a-old"])
        #expect(set.keys[0].x == Base64URL.encode(try #require(signing.ed25519PublicKey)))
        #expect(set.keys.allSatisfy { $0.kty == "OKP" && $0.crv == "Ed25519" && $0.alg == "EdDSA" && $0.use == "sig" })
        let json = String(decoding: try JSONEncoder().encode(set), as: UTF8.self)
        #expect(!json.contains("k-hmac") && !json.contains("\"d\""), "\(json)")
    }
}
