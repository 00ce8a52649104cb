import Foundation
@testable import MessagingAuth
import MessagingCore
import MessagingPersistence
import Testing

@Suite("Refresh tokens: rotation, reuse detection, races and expiry")
struct RefreshRotationTests {
    @Test("every refresh rotates the token and keeps the session")
    func rotation() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let login = try await fixture.login("alice")
        var current = login.tokens
        var seen = [current.refreshToken.encoded]
        for round in 1...5 {
            fixture.clock.advance(milliseconds: 60_000)
            let next = try await fixture.auth.refresh(current.refreshToken, clientAddress: "198.51.100.7")
            #expect(next.session.id == login.tokens.session.id, "same session (token family)")
            #expect(next.session.generation == Int64(round))
            #expect(next.session.lastUsedAt == fixture.clock.now())
            #expect(next.session.clientAddress == "198.51.100.7")
            #expect(!seen.contains(next.refreshToken.encoded), "a new token every time")
            #expect(next.refreshToken.encoded.utf8.count == 43, "32 bytes as unpadded base64url")
            let principal = try await fixture.auth.authenticate(next.accessToken.compact)
            #expect(principal.sessionID == login.tokens.session.id)
            seen.append(next.refreshToken.encoded)
            current = next
        }
        let stored = try #require(try await fixture.store.authStore.read { try $0.session(id: login.tokens.session.id) })
        #expect(stored.generation == 5 && !stored.isRevoked)
    }

    @Test("presenting a rotated token revokes the whole family (RFC 9700)")
    func reuseRevokesFamily() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let login = try await fixture.login("alice")
        let other = try await fixture.login("alice", device: "Phone")  // another session, untouched
        let feed = fixture.events.revocations()
        let first = try await fixture.auth.refresh(login.tokens.refreshToken)
        let second = try await fixture.auth.refresh(first.refreshToken)

        // The attacker replays the login's token, long rotated away.
        await expectAuthError(.refreshTokenReused) { try await fixture.auth.refresh(login.tokens.refreshToken) }
        // The family is dead: the legitimate holder's newest token no longer works…
        await expectAuthError(.sessionRevoked) { try await fixture.auth.refresh(second.refreshToken) }
        // …nor does the session's access token at the stateful check.
        await expectAuthError(.sessionRevoked) { try await fixture.auth.authenticate(second.accessToken.compact) }
        // Replaying again reports the revoked session, and publishes nothing new.
        await expectAuthError(.sessionRevoked) { try await fixture.auth.refresh(first.refreshToken) }
        // The other session is unaffected.
        _ = try await fixture.auth.refresh(other.tokens.refreshToken)

        var iterator = feed.makeAsyncIterator()
        let event = try #require(await iterator.next())
        #expect(event.sessionID == login.tokens.session.id)
        #expect(event.reason == .refreshTokenReuse)
        let stored = try #require(try await fixture.store.authStore.read { try $0.session(id: login.tokens.session.id) })
        #expect(stored.revocationReason == .refreshTokenReuse)
    }

    @Test("unknown and malformed refresh tokens are invalidToken")
    func unknownToken() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        await expectAuthError(.invalidToken) { try await fixture.auth.refresh(RefreshToken.generate()) }
        await expectAuthError(.invalidToken) { try await fixture.auth.refresh(encoded: "not-a-token") }
        await expectAuthError(.invalidToken) { try await fixture.auth.refresh(encoded: String(repeating: "A", count: 44)) }
        #expect(RefreshToken(encoded: String(repeating: "A", count: 43)) != nil)
        #expect(RefreshToken(encoded: String(repeating: "A", count: 42) + "=") == nil)
    }

    @Test("50 rounds of two concurrent refreshes of one token: exactly one wins each time")
    func concurrentRefreshes() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        for round in 0..<50 {
            let login = try await fixture.login("alice", device: "device \(round)")
            let token = login.tokens.refreshToken
            let outcomes = await withTaskGroup(of: Result<TokenPair, AuthError>.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        do { return .success(try await fixture.auth.refresh(token)) } catch let error as AuthError {
                            return .failure(error)
                        } catch { return .failure(AuthError(code: .storage, message: "unexpected")) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let winners = outcomes.compactMap { try? $0.get() }
            let losers = outcomes.compactMap { outcome -> AuthError? in
                if case .failure(let error) = outcome { return error }
                return nil
            }
            #expect(winners.count == 1, "round \(round): exactly one refresh succeeds")
            #expect(losers.map(\.code) == [.refreshTokenReused], "round \(round): the loser presented a spent token")
            // Strict mode: the second presentation revoked the family, the winner's tokens included.
            if let winner = winners.first {
                await expectAuthError(.sessionRevoked) { try await fixture.auth.refresh(winner.refreshToken) }
            }
        }
    }

    @Test("with a grace period, the race loser gets refreshConflict and the winner's tokens live on")
    func concurrentRefreshesWithGrace() async throws {
        var configuration = AuthConfiguration.testing
        configuration.reuseGracePeriod = .seconds(10)
        let fixture = try await AuthFixture.make(configuration: configuration)
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        for round in 0..<50 {
            let login = try await fixture.login("alice", device: "device \(round)")
            let token = login.tokens.refreshToken
            let outcomes = await withTaskGroup(of: Result<TokenPair, AuthError>.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        do { return .success(try await fixture.auth.refresh(token)) } catch let error as AuthError {
                            return .failure(error)
                        } catch { return .failure(AuthError(code: .storage, message: "unexpected")) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let winners = outcomes.compactMap { try? $0.get() }
            #expect(winners.count == 1, "round \(round)")
            let codes = outcomes.compactMap { outcome -> AuthError.Code? in
                if case .failure(let error) = outcome { return error.code }
                return nil
            }
            #expect(codes == [.refreshConflict], "round \(round)")
            if let winner = winners.first { _ = try await fixture.auth.refresh(winner.refreshToken) }
        }
        // Past the grace period, a replay is reuse again and revokes.
        let login = try await fixture.login("alice")
        _ = try await fixture.auth.refresh(login.tokens.refreshToken)
        fixture.clock.advance(milliseconds: 10_000)
        await expectAuthError(.refreshTokenReused) { try await fixture.auth.refresh(login.tokens.refreshToken) }
    }

    @Test("a session expires after the idle timeout")
    func idleExpiry() async throws {
        var configuration = AuthConfiguration.testing
        configuration.sessionIdleTimeout = .seconds(3_600)
        configuration.sessionLifetime = .seconds(86_400)
        let fixture = try await AuthFixture.make(configuration: configuration)
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let login = try await fixture.login("alice")
        #expect(login.tokens.refreshTokenExpiresAt == fixture.clock.now().adding(milliseconds: 3_600_000))
        // Used just before the idle limit: fine, and the idle window restarts.
        fixture.clock.advance(milliseconds: 3_600_000 - 1)
        let next = try await fixture.auth.refresh(login.tokens.refreshToken)
        fixture.clock.advance(milliseconds: 3_600_000 - 1)
        let again = try await fixture.auth.refresh(next.refreshToken)
        // Idle for exactly the timeout: expired, and the session is revoked.
        let feed = fixture.events.revocations()
        fixture.clock.advance(milliseconds: 3_600_000)
        await expectAuthError(.tokenExpired) { try await fixture.auth.refresh(again.refreshToken) }
        var iterator = feed.makeAsyncIterator()
        #expect(await iterator.next()?.reason == .expired)
        await expectAuthError(.sessionRevoked) { try await fixture.auth.refresh(again.refreshToken) }
        #expect(try await fixture.auth.sessions(of: principal(of: login)).isEmpty)
    }

    @Test("a session expires at its absolute lifetime, however active")
    func absoluteExpiry() async throws {
        var configuration = AuthConfiguration.testing
        configuration.sessionIdleTimeout = .seconds(3_600)
        configuration.sessionLifetime = .seconds(4 * 3_600)
        let fixture = try await AuthFixture.make(configuration: configuration)
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let login = try await fixture.login("alice")
        let end = login.tokens.session.expiresAt
        #expect(end == fixture.clock.now().adding(milliseconds: 4 * 3_600_000))
        var current = login.tokens
        while fixture.clock.now().adding(milliseconds: 1_800_000) < end {
            fixture.clock.advance(milliseconds: 1_800_000)
            current = try await fixture.auth.refresh(current.refreshToken)
            #expect(current.accessToken.expiresAt <= end, "access tokens never outlive the session")
            #expect(current.refreshTokenExpiresAt <= end)
        }
        fixture.clock.set(milliseconds: end.millisecondsSince1970 - 1)
        current = try await fixture.auth.refresh(current.refreshToken)
        fixture.clock.set(milliseconds: end.millisecondsSince1970)
        await expectAuthError(.tokenExpired) { try await fixture.auth.refresh(current.refreshToken) }
    }

    @Test("the maintenance sweep removes sessions past their lifetime with their rotated hashes")
    func sweep() async throws {
        var configuration = AuthConfiguration.testing
        configuration.sessionLifetime = .seconds(3_600)
        let fixture = try await AuthFixture.make(configuration: configuration)
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let login = try await fixture.login("alice")
        let rotated = try await fixture.auth.refresh(login.tokens.refreshToken)
        let authStore = fixture.store.authStore
        #expect(try await authStore.deleteExpiredSessions(before: fixture.clock.now()) == 0)
        #expect(try await authStore.read { try $0.refreshToken(hash: login.tokens.refreshToken.hash) } != nil)
        fixture.clock.advance(milliseconds: 3_600_000)
        let maintenance = SQLiteMaintenance(store: fixture.store, clock: fixture.clock)
        #expect(try await maintenance.sweepOnce() == 1, "the maintenance service sweeps sessions too")
        #expect(try await authStore.read { try $0.refreshToken(hash: login.tokens.refreshToken.hash) } == nil)
        #expect(try await authStore.read { try $0.refreshToken(hash: rotated.refreshToken.hash) } == nil)
        await expectAuthError(.invalidToken) { try await fixture.auth.refresh(rotated.refreshToken) }
    }
}
