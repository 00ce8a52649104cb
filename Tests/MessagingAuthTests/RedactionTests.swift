import Foundation
@testable import MessagingAuth
import MessagingCore
import Testing
import MessagingSodium

@Suite("No password, token or hash in descriptions, errors or logs")
struct RedactionTests {
    private func renderings(_ value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [String(describing: value), String(reflecting: value), "\(value)", dumped]
    }

    @Test("credential values describe themselves without their secrets")
    func descriptions() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        let account = try await fixture.register("alice")
        let login = try await fixture.login("alice")
        let credential = try #require(try await fixture.store.authStore.read { try $0.credential(of: account.user.id) })
        let hmacSecret = Array("a shared secret of thirty-two bytes!!".utf8)
        let hmacKey = try AccessTokenKey.hs256(id: "hs", secret: hmacSecret)
        let edKey = try AccessTokenKey.ed25519(id: "ed", seed: fixture.seed)

        let secrets = [
            AuthFixture.passwordText, login.tokens.refreshToken.encoded, login.tokens.accessToken.compact,
            String(login.tokens.accessToken.compact.prefix(40)), credential.passwordHash.encoded,
            String(credential.passwordHash.encoded.suffix(20)), String(decoding: hmacSecret, as: UTF8.self),
            Base64URL.encode(fixture.seed), fixture.seed.map { String($0) }.joined(separator: ", "),
            login.tokens.refreshToken.hash.bytes.map { String($0) }.joined(separator: ", "),
        ]
        let values: [Any] = [
            AuthFixture.password, login.tokens.refreshToken, login.tokens.accessToken, login.tokens, login,
            credential.passwordHash, credential, login.tokens.refreshToken.hash, hmacKey, edKey,
        ]
        for value in values {
            for rendering in renderings(value) {
                for secret in secrets {
                    #expect(!rendering.contains(secret), "\(type(of: value)) leaks a secret: \(rendering)")
                }
            }
        }
    }

    @Test("errors and log lines of a whole session's life hold no secret")
    func errorsAndLogs() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        var errors: [AuthError] = []
        func collect(_ body: () async throws -> Void) async {
            do { try await body() } catch let error as AuthError { errors.append(error) } catch {}
        }
        let wrongPassword = "my wrong password 123"
        await collect { _ = try await fixture.auth.login(handle: "alice", password: Password(wrongPassword), client: try ClientInfo(deviceName: "x")) }
        // A password typed into the handle field must not be logged either.
        await collect { _ = try await fixture.auth.login(handle: wrongPassword, password: AuthFixture.password, client: try ClientInfo(deviceName: "x")) }
        let login = try await fixture.login("alice")
        let next = try await fixture.auth.refresh(login.tokens.refreshToken)
        await collect { _ = try await fixture.auth.refresh(login.tokens.refreshToken) }  // reuse
        await collect { _ = try await fixture.auth.refresh(next.refreshToken) }  // revoked
        await collect { _ = try await fixture.auth.authenticate(next.accessToken.compact) }
        await collect { _ = try await fixture.tokens.verify(next.accessToken.compact + "x") }
        await collect { _ = try await fixture.auth.refresh(encoded: next.refreshToken.encoded + "x") }
        await collect { _ = try await fixture.auth.register(handle: "bob", password: "tiny") }
        let second = try await fixture.login("alice")
        let principal = try await fixture.auth.authenticate(second.tokens.accessToken.compact)
        try await fixture.auth.changePassword(current: AuthFixture.password, to: "another long passphrase", for: principal)
        #expect(errors.count == 8)

        let credential = try #require(try await fixture.store.authStore.read { try $0.credential(of: principal.userID) })
        let secrets = [
            AuthFixture.passwordText, wrongPassword, "another long passphrase", "tiny", login.tokens.refreshToken.encoded,
            next.refreshToken.encoded, next.accessToken.compact, second.tokens.refreshToken.encoded,
            second.tokens.accessToken.compact, credential.passwordHash.encoded,
        ]
        #expect(!fixture.logs.all.isEmpty, "the service logged")
        for text in errors.flatMap(renderings) + fixture.logs.all {
            for secret in secrets {
                #expect(!text.contains(secret), "a secret in: \(text)")
            }
        }
    }
}
