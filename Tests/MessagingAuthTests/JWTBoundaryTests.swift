import Foundation
@testable import MessagingAuth
import MessagingCore
import MessagingTesting
import Testing

@Suite("Access-token time boundaries and leeway")
struct JWTBoundaryTests {
    private func makeTokens(leeway: Duration, clock: ManualClock.Wall) async throws -> (JWTAccessTokens, [UInt8]) {
        let seed = [UInt8](repeating: 5, count: 32)
        let keys = try AccessTokenKeys(signingKey: try .ed25519(id: "k1", seed: seed))
        let tokens = try await JWTAccessTokens(
            keys: keys,
            configuration: .init(
                issuer: AuthFixture.issuer, audience: AuthFixture.audience, lifetime: .seconds(900), leeway: leeway),
            clock: clock)
        return (tokens, seed)
    }

    private let user = UserID(UUIDv7Generator().next())
    private let session = SessionID(UUIDv7Generator().next())

    @Test("exp: valid until exp + leeway, expired from exp + leeway on", arguments: [Duration.zero, .seconds(30), .seconds(5)])
    func expiryBoundary(_ leeway: Duration) async throws {
        let clock = ManualClock(startMilliseconds: 1_750_000_000_250).wall  // not on a whole second: issuing truncates
        let (tokens, _) = try await makeTokens(leeway: leeway, clock: clock)
        let token = try await tokens.issue(userID: user, sessionID: session, roles: [])
        let claims = try await tokens.claims(of: token.compact)
        #expect(claims.issuedAt.millisecondsSince1970 == 1_750_000_000_000, "whole seconds")
        #expect(claims.expiresAt.millisecondsSince1970 == 1_750_000_900_000, "15 minutes by default")
        #expect(token.expiresAt == claims.expiresAt)

        let limit = claims.expiresAt.millisecondsSince1970 + leeway.components.seconds * 1000
        clock.set(milliseconds: limit - 1)
        #expect(try await tokens.verify(token.compact).userID == user, "1 ms before exp + leeway: valid")
        clock.set(milliseconds: limit)
        await expectAuthError(.tokenExpired, "at exp + leeway") { try await tokens.verify(token.compact) }
        clock.set(milliseconds: limit + 86_400_000)
        await expectAuthError(.tokenExpired, "a day later") { try await tokens.verify(token.compact) }
    }

    @Test("nbf and iat: accepted up to leeway in the future, rejected beyond")
    func notBeforeBoundary() async throws {
        let clock = ManualClock(startMilliseconds: 1_750_000_000_000).wall
        let (tokens, _) = try await makeTokens(leeway: .seconds(30), clock: clock)
        let now: Int64 = 1_750_000_000
        func payload(iat: Int64, nbf: Int64) -> AccessTokenPayload {
            AccessTokenPayload(
                sub: user.description, sid: session.description, roles: [], iat: iat, nbf: nbf, exp: now + 900,
                iss: AuthFixture.issuer, aud: .init([AuthFixture.audience]), tokenType: "access")
        }
        // nbf 30 s ahead is inside the leeway; 31 s ahead is not.
        _ = try await tokens.verify(try await tokens.sign(payload(iat: now, nbf: now + 30)))
        await expectAuthError(.invalidToken) { try await tokens.verify(try await tokens.sign(payload(iat: now, nbf: now + 31))) }
        // The same for iat.
        _ = try await tokens.verify(try await tokens.sign(payload(iat: now + 30, nbf: now)))
        await expectAuthError(.invalidToken) { try await tokens.verify(try await tokens.sign(payload(iat: now + 31, nbf: now))) }
        // Once the clock reaches nbf - leeway, the token becomes valid.
        let later = try await tokens.sign(payload(iat: now, nbf: now + 120))
        clock.set(milliseconds: (now + 120 - 30) * 1000 - 1)
        await expectAuthError(.invalidToken) { try await tokens.verify(later) }
        clock.set(milliseconds: (now + 120 - 30) * 1000)
        _ = try await tokens.verify(later)
    }

    @Test("an access token never outlives its session")
    func cappedBySession() async throws {
        let clock = ManualClock(startMilliseconds: 1_750_000_000_000).wall
        let (tokens, _) = try await makeTokens(leeway: .zero, clock: clock)
        let token = try await tokens.issue(
            userID: user, sessionID: session, roles: [.admin], sessionExpiresAt: Timestamp(millisecondsSince1970: 1_750_000_060_000))
        #expect(token.expiresAt.millisecondsSince1970 == 1_750_000_060_000)
        let claims = try await tokens.claims(of: token.compact)
        #expect(claims.roles == [.admin])
        #expect(claims.audience == [AuthFixture.audience])
        #expect(claims.issuer == AuthFixture.issuer)
    }

    @Test("a retired key stays valid for verification; the new one signs")
    func keyRotation() async throws {
        let clock = ManualClock().wall
        let old = try AccessTokenKey.ed25519(id: "2024", seed: [UInt8](repeating: 1, count: 32))
        let new = try AccessTokenKey.ed25519(id: "2025", seed: [UInt8](repeating: 2, count: 32))
        let config = AccessTokenConfiguration(issuer: AuthFixture.issuer, audience: AuthFixture.audience)
        let before = try await JWTAccessTokens(keys: try AccessTokenKeys(signingKey: old), configuration: config, clock: clock)
        let oldToken = try await before.issue(userID: user, sessionID: session, roles: [])
        let retiredPublic = try AccessTokenKey.ed25519(id: "2024", publicKey: try #require(old.ed25519PublicKey))
        let after = try await JWTAccessTokens(
            keys: try AccessTokenKeys(signingKey: new, verificationKeys: [retiredPublic]), configuration: config, clock: clock)
        #expect(try await after.verify(oldToken.compact).userID == user)
        let newToken = try await after.issue(userID: user, sessionID: session, roles: [])
        #expect(newToken.compact.split(separator: ".").count == 3)
        await expectAuthError(.invalidToken, "the old table does not know the new key") { try await before.verify(newToken.compact) }
        // A verify-only key cannot sign.
        #expect(throws: AuthError.self) { _ = try AccessTokenKeys(signingKey: retiredPublic) }
    }
}
