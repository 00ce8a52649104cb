import Foundation
@testable import MessagingAuth
import MessagingCore
import MessagingTesting
import Testing
import MessagingSodium

/// One hostile or broken token and the code it must be rejected with.
struct ForgedToken: Sendable, CustomTestStringConvertible {
    let name: String
    let expected: AuthError.Code
    /// A fragment of the message: the rule that must be the one that rejected the token.
    let reason: String?
    let make: @Sendable (Forge) -> String

    init(name: String, expected: AuthError.Code, reason: String? = nil, make: @escaping @Sendable (Forge) -> String) {
        self.name = name
        self.expected = expected
        self.reason = reason
        self.make = make
    }

    var testDescription: String { name }
}

/// What a case can build tokens from: the fixture's key and a valid set of claims.
struct Forge: Sendable {
    let seed: [UInt8]
    let publicKey: [UInt8]
    let now: Int64
    let userID: String
    let sessionID: String
    let refreshToken: String

    static let validHeader = TokenForge.object([("alg", "\"EdDSA\""), ("typ", "\"JWT\""), ("kid", "\"k1\"")])

    /// The members of a valid payload, in order; `replacing` swaps values, `removing` drops members.
    func claims(_ replacing: [String: String] = [:], removing: Set<String> = [], extra: [(String, String)] = []) -> String {
        var members: [(String, String)] = [
            ("sub", TokenForge.quoted(userID)), ("sid", TokenForge.quoted(sessionID)), ("roles", "[\"admin\"]"),
            ("iat", "\(now)"), ("nbf", "\(now)"), ("exp", "\(now + 900)"), ("iss", TokenForge.quoted(AuthFixture.issuer)),
            ("aud", TokenForge.quoted(AuthFixture.audience)), ("token_type", "\"access\""),
        ]
        members = members.filter { !removing.contains($0.0) }.map { name, value in (name, replacing[name] ?? value) }
        return TokenForge.object(members + extra)
    }

    func header(_ members: [(String, String)]) -> String { TokenForge.object(members) }

    func signed(header: String = Forge.validHeader, payload: String) -> String {
        TokenForge.token(header: header, payload: payload, signature: .ed25519(seed: seed))
    }

    func withKid(_ rawKid: String) -> String {
        signed(header: header([("alg", "\"EdDSA\""), ("typ", "\"JWT\""), ("kid", rawKid)]), payload: claims())
    }

    func withExtraHeader(_ name: String, _ value: String) -> String {
        signed(header: header([("alg", "\"EdDSA\""), ("typ", "\"JWT\""), ("kid", "\"k1\""), (name, value)]), payload: claims())
    }

    func unsigned(alg: String, kid: Bool = true) -> String {
        var members = [("alg", TokenForge.quoted(alg)), ("typ", "\"JWT\"")]
        if kid { members.append(("kid", "\"k1\"")) }
        return TokenForge.token(header: header(members), payload: claims(), signature: .empty)
    }

    func hs256(secret: [UInt8], kid: String? = "k1") -> String {
        var members = [("alg", "\"HS256\""), ("typ", "\"JWT\"")]
        if let kid { members.append(("kid", TokenForge.quoted(kid))) }
        return TokenForge.token(header: header(members), payload: claims(), signature: .hmacSHA256(secret: secret))
    }
}

@Suite("Access-token verification: the negative matrix")
struct JWTNegativeMatrixTests {
    static let attackerSeed = [UInt8](repeating: 7, count: 32)

    static let cases: [ForgedToken] = [
        // alg none and empty signatures
        .init(name: "alg none, empty signature", expected: .invalidToken, reason: "segment is empty") { $0.unsigned(alg: "none") },
        .init(name: "alg None, empty signature", expected: .invalidToken, reason: "segment is empty") { $0.unsigned(alg: "None") },
        .init(name: "alg NONE, empty signature", expected: .invalidToken, reason: "segment is empty") { $0.unsigned(alg: "NONE") },
        .init(name: "alg nOnE, empty signature", expected: .invalidToken, reason: "segment is empty") { $0.unsigned(alg: "nOnE") },
        .init(name: "alg none without kid, empty signature", expected: .invalidToken, reason: "segment is empty") { $0.unsigned(alg: "none", kid: false) },
        .init(name: "alg none with a valid EdDSA signature attached", expected: .invalidToken, reason: "algorithm is not accepted") { forge in
            forge.signed(header: forge.header([("alg", "\"none\""), ("kid", "\"k1\"")]), payload: forge.claims())
        },
        .init(name: "valid EdDSA header, signature stripped", expected: .invalidToken, reason: "segment is empty") { forge in
            TokenForge.token(header: Forge.validHeader, payload: forge.claims(), signature: .empty)
        },
        // algorithm confusion
        .init(name: "HS256 keyed with the EdDSA public key bytes", expected: .invalidToken, reason: "algorithm is not accepted") { $0.hs256(secret: $0.publicKey) },
        .init(name: "HS256 keyed with the base64url public key text", expected: .invalidToken, reason: "algorithm is not accepted") { forge in
            forge.hs256(secret: Array(Base64URL.encode(forge.publicKey).utf8))
        },
        .init(name: "HS256 keyed with the public key, no kid", expected: .invalidToken, reason: "algorithm is not accepted") { $0.hs256(secret: $0.publicKey, kid: nil) },
        .init(name: "alg eddsa (wrong case) with a valid signature", expected: .invalidToken, reason: "algorithm is not accepted") { forge in
            forge.signed(header: forge.header([("alg", "\"eddsa\""), ("kid", "\"k1\"")]), payload: forge.claims())
        },
        .init(name: "alg RS256", expected: .invalidToken, reason: "algorithm is not accepted") { forge in
            forge.signed(header: forge.header([("alg", "\"RS256\""), ("kid", "\"k1\"")]), payload: forge.claims())
        },
        .init(name: "alg ES256", expected: .invalidToken, reason: "algorithm is not accepted") { forge in
            forge.signed(header: forge.header([("alg", "\"ES256\""), ("kid", "\"k1\"")]), payload: forge.claims())
        },
        // key ids
        .init(name: "unknown kid, signed with the real key", expected: .invalidToken, reason: "names no configured key") { $0.withKid("\"k2\"") },
        .init(name: "no kid, signed with the real key", expected: .invalidToken, reason: "has no key id") { forge in
            forge.signed(header: forge.header([("alg", "\"EdDSA\""), ("typ", "\"JWT\"")]), payload: forge.claims())
        },
        .init(name: "empty kid", expected: .invalidToken, reason: "names no configured key") { $0.withKid("\"\"") },
        .init(name: "kid differing only in case", expected: .invalidToken, reason: "names no configured key") { $0.withKid("\"K1\"") },
        .init(name: "path-like kid ../../../../dev/null", expected: .invalidToken, reason: "names no configured key") { $0.withKid("\"../../../../dev/null\"") },
        .init(name: "path-like kid /etc/passwd", expected: .invalidToken, reason: "names no configured key") { $0.withKid("\"/etc/passwd\"") },
        .init(name: "SQL-like kid ' OR '1'='1", expected: .invalidToken, reason: "names no configured key") { $0.withKid(TokenForge.quoted("k1' OR '1'='1")) },
        .init(name: "SQL-like kid with DROP TABLE", expected: .invalidToken, reason: "names no configured key") { $0.withKid(TokenForge.quoted("k1'; DROP TABLE auth_sessions; --")) },
        .init(name: "kid with a NUL after the real id", expected: .invalidToken, reason: "names no configured key") { $0.withKid("\"k1\\u0000\"") },
        .init(name: "kid as a number", expected: .invalidToken, reason: "has no key id") { $0.withKid("1") },
        .init(name: "kid null", expected: .invalidToken, reason: "has no key id") { $0.withKid("null") },
        // headers that name or embed keys
        .init(name: "jku header", expected: .invalidToken, reason: "(jku)") { $0.withExtraHeader("jku", "\"https://attacker.example/jwks.json\"") },
        .init(name: "x5u header", expected: .invalidToken, reason: "(x5u)") { $0.withExtraHeader("x5u", "\"https://attacker.example/cert.pem\"") },
        .init(name: "jwk header embedding the attacker's key, signed with it", expected: .invalidToken, reason: "(jwk)") { forge in
            let attackerPublic = Base64URL.encode(TokenForge.publicKey(seed: attackerSeed))
            let header = forge.header([
                ("alg", "\"EdDSA\""), ("kid", "\"k1\""),
                ("jwk", "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"\(attackerPublic)\"}"),
            ])
            return TokenForge.token(header: header, payload: forge.claims(), signature: .ed25519(seed: attackerSeed))
        },
        .init(name: "x5c header", expected: .invalidToken, reason: "(x5c)") { $0.withExtraHeader("x5c", "[\"MIIB\"]") },
        .init(name: "crit header", expected: .invalidToken, reason: "(crit)") { $0.withExtraHeader("crit", "[\"exp\"]") },
        .init(name: "unknown header parameter", expected: .invalidToken, reason: "not supported") { $0.withExtraHeader("zip", "\"DEF\"") },
        .init(name: "typ of another kind", expected: .invalidToken, reason: "type other than JWT") { forge in
            forge.signed(header: forge.header([("alg", "\"EdDSA\""), ("typ", "\"refresh+jwt\""), ("kid", "\"k1\"")]), payload: forge.claims())
        },
        // wrong signatures
        .init(name: "signed by another Ed25519 key", expected: .invalidToken, reason: "signature does not verify") { forge in
            TokenForge.token(header: Forge.validHeader, payload: forge.claims(), signature: .ed25519(seed: attackerSeed))
        },
        .init(name: "payload swapped after signing", expected: .invalidToken, reason: "signature does not verify") { forge in
            let good = forge.signed(payload: forge.claims())
            let parts = good.split(separator: ".")
            return "\(parts[0]).\(TokenForge.encode(forge.claims(["roles": "[\"admin\",\"moderator\"]"]))).\(parts[2])"
        },
        // time and audience claims
        .init(name: "expired an hour ago", expected: .tokenExpired, reason: "expired") { forge in
            forge.signed(payload: forge.claims(["iat": "\(forge.now - 4000)", "nbf": "\(forge.now - 4000)", "exp": "\(forge.now - 3600)"]))
        },
        .init(name: "not valid for another hour (nbf)", expected: .invalidToken, reason: "not valid yet") { forge in
            forge.signed(payload: forge.claims(["nbf": "\(forge.now + 3600)", "exp": "\(forge.now + 4500)"]))
        },
        .init(name: "issued an hour in the future (iat)", expected: .invalidToken, reason: "issued in the future") { forge in
            forge.signed(payload: forge.claims(["iat": "\(forge.now + 3600)"]))
        },
        .init(name: "wrong iss", expected: .invalidToken, reason: "another issuer") { forge in
            forge.signed(payload: forge.claims(["iss": "\"https://attacker.example\""]))
        },
        .init(name: "wrong aud", expected: .invalidToken, reason: "another audience") { forge in
            forge.signed(payload: forge.claims(["aud": "\"other-api\""]))
        },
        .init(name: "aud array without ours", expected: .invalidToken, reason: "another audience") { forge in
            forge.signed(payload: forge.claims(["aud": "[\"other-api\",\"third-api\"]"]))
        },
        .init(name: "exp as a string", expected: .invalidToken, reason: "claim is missing or has the wrong type") { forge in
            forge.signed(payload: forge.claims(["exp": "\"\(forge.now + 900)\""]))
        },
        .init(name: "exp as a fraction", expected: .invalidToken, reason: "claim is missing or has the wrong type") { forge in
            forge.signed(payload: forge.claims(["exp": "\(forge.now + 900).5"]))
        },
        // missing and malformed claims
        .init(name: "missing sub", expected: .invalidToken, reason: "claim is missing or has the wrong type") { $0.signed(payload: $0.claims(removing: ["sub"])) },
        .init(name: "missing sid", expected: .invalidToken, reason: "claim is missing or has the wrong type") { $0.signed(payload: $0.claims(removing: ["sid"])) },
        .init(name: "missing roles", expected: .invalidToken, reason: "claim is missing or has the wrong type") { $0.signed(payload: $0.claims(removing: ["roles"])) },
        .init(name: "missing iat", expected: .invalidToken, reason: "claim is missing or has the wrong type") { $0.signed(payload: $0.claims(removing: ["iat"])) },
        .init(name: "missing nbf", expected: .invalidToken, reason: "claim is missing or has the wrong type") { $0.signed(payload: $0.claims(removing: ["nbf"])) },
        .init(name: "missing exp", expected: .invalidToken, reason: "claim is missing or has the wrong type") { $0.signed(payload: $0.claims(removing: ["exp"])) },
        .init(name: "missing iss", expected: .invalidToken, reason: "claim is missing or has the wrong type") { $0.signed(payload: $0.claims(removing: ["iss"])) },
        .init(name: "missing aud", expected: .invalidToken, reason: "claim is missing or has the wrong type") { $0.signed(payload: $0.claims(removing: ["aud"])) },
        .init(name: "missing token_type", expected: .invalidToken, reason: "claim is missing or has the wrong type") { $0.signed(payload: $0.claims(removing: ["token_type"])) },
        .init(name: "token_type refresh", expected: .invalidToken, reason: "not an access token") { $0.signed(payload: $0.claims(["token_type": "\"refresh\""])) },
        .init(name: "sub that is not a user id", expected: .invalidToken, reason: "subject is not a user id") { $0.signed(payload: $0.claims(["sub": "\"admin\""])) },
        .init(name: "malformed role name", expected: .invalidToken, reason: "malformed role") { $0.signed(payload: $0.claims(["roles": "[\"ADMIN!\"]"])) },
        .init(name: "a refresh token presented as an access token", expected: .invalidToken, reason: "three segments") { $0.refreshToken },
        // malformed serializations
        .init(name: "four segments", expected: .invalidToken, reason: "three segments") { "\($0.signed(payload: $0.claims())).AAAA" },
        .init(name: "two segments", expected: .invalidToken, reason: "three segments") { forge in
            "\(TokenForge.encode(Forge.validHeader)).\(TokenForge.encode(forge.claims()))"
        },
        .init(name: "standard base64 characters (+ and /) in a segment", expected: .invalidToken, reason: "base64url") { forge in
            let good = forge.signed(payload: forge.claims())
            let parts = good.split(separator: ".")
            return "\(parts[0]).\(parts[1]).\(parts[2].dropLast(2))+/"
        },
        .init(name: "padded segment", expected: .invalidToken, reason: "base64url") { forge in
            let good = forge.signed(payload: forge.claims())
            let parts = good.split(separator: ".")
            return "\(parts[0])==.\(parts[1]).\(parts[2])"
        },
        .init(name: "non-ASCII in a segment", expected: .invalidToken, reason: "base64url") { forge in "é\(forge.signed(payload: forge.claims()))" },
        .init(name: "8 KB token", expected: .invalidToken, reason: "longer than 4096 bytes") { forge in
            forge.signed(payload: forge.claims(extra: [("pad", TokenForge.quoted(String(repeating: "x", count: 6_200)))]))
        },
        .init(name: "duplicate claim (second sub)", expected: .invalidToken, reason: "repeats a claim name") { forge in
            forge.signed(payload: forge.claims(extra: [("sub", TokenForge.quoted(forge.sessionID))]))
        },
        .init(name: "duplicate header parameter (second alg none)", expected: .invalidToken, reason: "repeats a parameter name") { forge in
            forge.signed(header: forge.header([("alg", "\"EdDSA\""), ("kid", "\"k1\""), ("alg", "\"none\"")]), payload: forge.claims())
        },
        .init(name: "duplicate key in a nested object", expected: .invalidToken, reason: "repeats a claim name") { forge in
            forge.signed(payload: forge.claims(extra: [("ext", "{\"a\":1,\"a\":2}")]))
        },
        .init(name: "header that is not JSON", expected: .invalidToken, reason: "header is not valid JSON") { forge in
            TokenForge.token(header: "not json", payload: forge.claims(), signature: .ed25519(seed: forge.seed))
        },
        .init(name: "header that is a JSON array", expected: .invalidToken, reason: "header is not a JSON object") { forge in
            TokenForge.token(header: "[\"EdDSA\"]", payload: forge.claims(), signature: .ed25519(seed: forge.seed))
        },
        .init(name: "payload that is a JSON array", expected: .invalidToken, reason: "payload is not a JSON object") { forge in
            forge.signed(payload: "[1,2,3]")
        },
        .init(name: "trailing garbage after the payload JSON", expected: .invalidToken, reason: "payload is not valid JSON") { forge in
            forge.signed(payload: forge.claims() + "x")
        },
        .init(name: "empty string", expected: .invalidToken, reason: "three segments") { _ in "" },
        .init(name: "three empty segments", expected: .invalidToken, reason: "segment is empty") { _ in ".." },
    ]

    @Test("the matrix has at least 40 hostile tokens")
    func matrixSize() {
        #expect(Self.cases.count >= 40)
        #expect(Set(Self.cases.map(\.name)).count == Self.cases.count, "case names are unique")
    }

    @Test("every forged token is rejected with the right code", arguments: cases)
    func rejected(_ forged: ForgedToken) async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let login = try await fixture.login("alice")
        let forge = Forge(
            seed: fixture.seed, publicKey: fixture.publicKey, now: fixture.clock.now().millisecondsSince1970 / 1000,
            userID: login.account.user.id.description, sessionID: login.tokens.session.id.description,
            refreshToken: login.tokens.refreshToken.encoded)

        // The control: the same forge with nothing wrong verifies, so each case fails for its own reason.
        let control = try await fixture.tokens.claims(of: forge.signed(payload: forge.claims()))
        #expect(control.userID == login.account.user.id)

        let token = forged.make(forge)
        let error = await expectAuthError(forged.expected, forged.name) { try await fixture.tokens.verify(token) }
        if let error, let reason = forged.reason {
            #expect(error.message.contains(reason), "\(forged.name): rejected for another reason: \(error.message)")
        }
        if let error, !token.isEmpty {
            #expect(!error.description.contains(token), "the error never quotes the token")
        }
        // The stateful check rejects it the same way.
        await expectAuthError(forged.expected, forged.name) { try await fixture.auth.authenticate(token) }
    }

    @Test("an HS256 key table still refuses HS256 tokens that name the EdDSA key")
    func mixedTable() async throws {
        let clock = ManualClock().wall
        let seed = [UInt8](repeating: 3, count: 32)
        let secret = [UInt8](repeating: 9, count: 32)
        let keys = try AccessTokenKeys(
            signingKey: try .ed25519(id: "ed", seed: seed), verificationKeys: [try .hs256(id: "hs", secret: secret)],
            allowedAlgorithms: [.eddsa, .hs256])
        let tokens = try await JWTAccessTokens(
            keys: keys, configuration: .init(issuer: AuthFixture.issuer, audience: AuthFixture.audience), clock: clock)
        let publicKey = try #require(keys.keys["ed"]?.ed25519PublicKey)
        let forge = Forge(
            seed: seed, publicKey: publicKey, now: clock.now().millisecondsSince1970 / 1000,
            userID: UserID(UUIDv7Generator().next()).description, sessionID: SessionID(UUIDv7Generator().next()).description,
            refreshToken: "")
        // A genuine HS256 token under the HS256 key verifies…
        _ = try await tokens.verify(forge.hs256(secret: secret, kid: "hs"))
        // …but HS256 under the EdDSA key id, keyed with the public key, does not.
        await expectAuthError(.invalidToken) { try await tokens.verify(forge.hs256(secret: publicKey, kid: "ed")) }
        // Nor does HS256 with the right secret under the EdDSA key id.
        await expectAuthError(.invalidToken) { try await tokens.verify(forge.hs256(secret: secret, kid: "ed")) }
        // And with HS256 not allowed, a table may not even hold an HS256 key.
        #expect(throws: AuthError.self) {
            _ = try AccessTokenKeys(signingKey: try .ed25519(id: "ed", seed: seed), verificationKeys: [try .hs256(id: "hs", secret: secret)])
        }
    }
}
