import JWTKit
import MessagingCore
import MessagingSodium

/// Issues and verifies access tokens (JWS compact serialization, signed with jwt-kit).
///
/// Verification runs its own checks before jwt-kit sees a token, because jwt-kit falls
/// back to a default key for an unknown `kid` and ignores header parameters it does not
/// use. In order:
///
/// 1. at most ``AccessTokenConfiguration/maximumTokenBytes``, exactly three non-empty
///    segments of strict base64url;
/// 2. header and payload are JSON objects without duplicate member names;
/// 3. the header has only `alg`, `kid` and `typ`: `jku`, `x5u`, `jwk`, `x5c`, `x5t`,
///    `crit`, `cty` and any other parameter reject the token (nothing is ever fetched);
/// 4. `alg` is an allowed algorithm (case-sensitive, so `none`/`None`/`NONE` fail) and
///    `kid` names a key of the table whose algorithm is that `alg`;
/// 5. the signature verifies with that key alone: each key lives in its own jwt-kit
///    collection with no default, so no other key can ever be tried;
/// 6. the claims: `token_type` is `access`, `iss` and `aud` match, `sub`, `sid` and
///    `roles` parse, `exp` has not passed and `nbf`/`iat` are not in the future, each
///    with the configured leeway.
///
/// Every rejection is an ``AuthError`` with code `invalidToken`, or `tokenExpired` for a
/// correctly signed token past its `exp`.
///
/// Thread safety: immutable after creation (jwt-kit's collections are actors); safe to
/// share across tasks.
public final class JWTAccessTokens: AccessTokenVerifier {
    private struct Entry: Sendable {
        let key: AccessTokenKey
        let collection: JWTKeyCollection
    }

    /// The header parameters a token may carry.
    private static let allowedHeaderParameters: Set<String> = ["alg", "kid", "typ"]
    /// Header parameters that would make a verifier fetch or trust a key named by the token itself.
    private static let keyReferenceHeaders: [String: String] = [
        "jku": "its header names a key set URL (jku), which is never followed",
        "x5u": "its header names a certificate URL (x5u), which is never followed",
        "jwk": "its header embeds a key (jwk), which is never trusted",
        "x5c": "its header embeds a certificate chain (x5c), which is never trusted",
        "x5t": "its header names a certificate thumbprint (x5t), which is not supported",
        "x5t#S256": "its header names a certificate thumbprint (x5t#S256), which is not supported",
        "crit": "its header lists critical extensions (crit), none of which are supported",
        "cty": "its header declares nested content (cty), which is not supported",
    ]

    /// The keys and algorithms in use.
    public let keys: AccessTokenKeys
    /// Issuer, audience, lifetime, leeway and size limit.
    public let configuration: AccessTokenConfiguration
    private let clock: any WallClock
    private let entries: [String: Entry]

    /// Prepares signing and verification with `keys`.
    public init(keys: AccessTokenKeys, configuration: AccessTokenConfiguration, clock: any WallClock = SystemWallClock())
        async throws(AuthError)
    {
        self.keys = keys
        self.configuration = configuration
        self.clock = clock
        var entries: [String: Entry] = [:]
        for (id, key) in keys.keys {
            let collection = JWTKeyCollection()
            do {
                try await key.add(to: collection)
            } catch {
                throw .misconfigured("The access-token key '\(id)' could not be loaded; check its bytes.")
            }
            // jwt-kit makes the first key added the default; without a default no token can
            // ever be verified with a key it did not name.
            await collection.clearDefault()
            entries[id] = Entry(key: key, collection: collection)
        }
        self.entries = entries
    }

    // MARK: Issuing

    /// Signs an access token for `session` with the signing key.
    ///
    /// `exp` is `now` + ``AccessTokenConfiguration/lifetime``, but never after
    /// `sessionExpiresAt`; times are whole seconds.
    public func issue(
        userID: UserID, sessionID: SessionID, roles: Set<ServerRole>, sessionExpiresAt: Timestamp? = nil
    ) async throws(AuthError) -> AccessToken {
        let now = clock.now().millisecondsSince1970 / 1000
        var expires = now + max(1, configuration.lifetime.milliseconds / 1000)
        if let sessionExpiresAt { expires = min(expires, sessionExpiresAt.millisecondsSince1970 / 1000) }
        let payload = AccessTokenPayload(
            sub: userID.description, sid: sessionID.description, roles: roles.sorted().map(\.rawValue), iat: now,
            nbf: now, exp: expires, iss: configuration.issuer, aud: .init([configuration.audience]),
            tokenType: AccessTokenClaims.tokenType)
        return AccessToken(compact: try await sign(payload), expiresAt: Timestamp(millisecondsSince1970: expires * 1000))
    }

    /// Signs any payload with the signing key (internal: tests craft edge cases through it).
    func sign(_ payload: AccessTokenPayload) async throws(AuthError) -> String {
        let signingKey = keys.signingKey
        guard let entry = entries[signingKey.id] else { throw .misconfigured("The signing key is missing from the key table.") }
        do {
            var header = JWTHeader()
            header.alg = signingKey.algorithm.name
            header.typ = "JWT"
            return try await entry.collection.sign(payload, kid: JWKIdentifier(string: signingKey.id), header: header)
        } catch {
            throw .misconfigured("Signing an access token failed; check the signing key.")
        }
    }

    // MARK: Verifying

    public func verify(_ token: String) async throws(AuthError) -> AuthenticatedPrincipal {
        try await claims(of: token).principal
    }

    /// Verifies a token and returns its claims.
    public func claims(of token: String) async throws(AuthError) -> AccessTokenClaims {
        let bytes = Array(token.utf8)
        guard bytes.count <= configuration.maximumTokenBytes else {
            throw .invalidToken("it is longer than \(configuration.maximumTokenBytes) bytes")
        }
        let segments = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count == 3 else { throw .invalidToken("it does not have exactly three segments") }
        guard segments.allSatisfy({ !$0.isEmpty }) else {
            throw .invalidToken("a segment is empty (an unsigned token is never accepted)")
        }
        guard let headerBytes = Base64URL.decode(segments[0]), let payloadBytes = Base64URL.decode(segments[1]),
            Base64URL.decode(segments[2]) != nil
        else {
            throw .invalidToken("a segment is not canonical unpadded base64url")
        }
        let entry = try checkHeader(headerBytes)
        try checkPayloadJSON(payloadBytes)

        let payload: AccessTokenPayload
        do {
            payload = try await entry.collection.verify(token, as: AccessTokenPayload.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .invalidToken("its signature does not verify")
        } catch {
            // jwt-kit's errors can quote claim values; none is passed on.
            throw .invalidToken("a required claim is missing or has the wrong type")
        }
        return try checkClaims(payload)
    }

    private func checkHeader(_ bytes: [UInt8]) throws(AuthError) -> Entry {
        let parsed: StrictJSON.Value
        do {
            parsed = try StrictJSON.parse(bytes)
        } catch {
            throw .invalidToken(error == .duplicateKey ? "its header repeats a parameter name" : "its header is not valid JSON")
        }
        guard case .object(let header) = parsed else { throw .invalidToken("its header is not a JSON object") }
        for name in header.keys.sorted() {
            if let reason = Self.keyReferenceHeaders[name] { throw .invalidToken(reason) }
            guard Self.allowedHeaderParameters.contains(name) else {
                throw .invalidToken("its header has a parameter that is not supported")
            }
        }
        if let typ = header["typ"] {
            guard let value = typ.stringValue?.lowercased(), ["jwt", "at+jwt", "application/at+jwt"].contains(value) else {
                throw .invalidToken("its header declares a type other than JWT")
            }
        }
        guard let name = header["alg"]?.stringValue else { throw .invalidToken("its header has no algorithm") }
        guard let algorithm = AccessTokenAlgorithm(name: name), keys.allowedAlgorithms.contains(algorithm) else {
            throw .invalidToken("its algorithm is not accepted")
        }
        guard let kid = header["kid"]?.stringValue else { throw .invalidToken("its header has no key id") }
        guard let entry = entries[kid] else { throw .invalidToken("its key id names no configured key") }
        guard entry.key.algorithm == algorithm else {
            throw .invalidToken("its algorithm does not match the algorithm of the key it names")
        }
        return entry
    }

    private func checkPayloadJSON(_ bytes: [UInt8]) throws(AuthError) {
        let parsed: StrictJSON.Value
        do {
            parsed = try StrictJSON.parse(bytes)
        } catch {
            throw .invalidToken(error == .duplicateKey ? "its payload repeats a claim name" : "its payload is not valid JSON")
        }
        guard case .object = parsed else { throw .invalidToken("its payload is not a JSON object") }
    }

    private func checkClaims(_ payload: AccessTokenPayload) throws(AuthError) -> AccessTokenClaims {
        guard payload.tokenType == AccessTokenClaims.tokenType else { throw .invalidToken("it is not an access token") }
        guard payload.iss == configuration.issuer else { throw .invalidToken("it was issued by another issuer") }
        guard payload.aud.values.contains(configuration.audience) else { throw .invalidToken("it is meant for another audience") }
        guard let userID = UserID(payload.sub) else { throw .invalidToken("its subject is not a user id") }
        guard let sessionID = SessionID(payload.sid) else { throw .invalidToken("its session id is malformed") }
        var roles = Set<ServerRole>()
        for name in payload.roles {
            guard let role = try? ServerRole(name) else { throw .invalidToken("it names a malformed role") }
            roles.insert(role)
        }
        // Up to the end of year 9999: keeps the millisecond arithmetic below from overflowing.
        guard [payload.iat, payload.nbf, payload.exp].allSatisfy({ (0...253_402_300_799).contains($0) }) else {
            throw .invalidToken("a time claim is out of range")
        }
        let now = clock.now().millisecondsSince1970
        let leeway = configuration.leeway.milliseconds
        guard now < payload.exp * 1000 + leeway else {
            throw AuthError(code: .tokenExpired, message: "The access token has expired. Refresh it or log in again.")
        }
        guard payload.nbf * 1000 <= now + leeway else { throw .invalidToken("it is not valid yet (nbf is in the future)") }
        guard payload.iat * 1000 <= now + leeway else { throw .invalidToken("it was issued in the future (iat)") }
        return AccessTokenClaims(
            userID: userID, sessionID: sessionID, roles: roles, issuedAt: Timestamp(millisecondsSince1970: payload.iat * 1000),
            notBefore: Timestamp(millisecondsSince1970: payload.nbf * 1000),
            expiresAt: Timestamp(millisecondsSince1970: payload.exp * 1000), issuer: payload.iss, audience: payload.aud.values)
    }
}
