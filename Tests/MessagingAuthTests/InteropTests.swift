import TestSupport
import Foundation
@testable import MessagingAuth
import MessagingCore
import MessagingTesting
import Testing

/// Runs Tests/Interop/jwt_interop.py in the throwaway venv made by scripts/interop-venv.sh.
struct PyJWT {
    let python: URL
    let script: URL

    /// The package root, derived from this file's path (Tests/MessagingAuthTests/InteropTests.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The interpreter from `MESSAGING_INTEROP_PYTHON`, else `.build/interop-venv/bin/python3`; `nil` when neither exists.
    static func locate() -> PyJWT? {
        let candidates = [
            ProcessInfo.processInfo.environment["MESSAGING_INTEROP_PYTHON"].map { URL(fileURLWithPath: $0) },
            packageRoot.appendingPathComponent(".build/interop-venv/bin/python3"),
        ].compactMap { $0 }
        guard let python = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            return nil
        }
        return PyJWT(python: python, script: packageRoot.appendingPathComponent("Tests/Interop/jwt_interop.py"))
    }

    func run(_ request: [String: Any]) throws -> [String: Any] {
        let result = try SpawnedProcess.run(python, [script.path], input: try JSONSerialization.data(withJSONObject: request))
        guard let answer = try? JSONSerialization.jsonObject(with: result.output) as? [String: Any] else {
            throw InteropFailure(message: "jwt_interop.py printed no JSON: \(String(decoding: result.errors, as: UTF8.self))")
        }
        if let error = answer["error"] as? String { throw InteropFailure(message: "PyJWT: \(error)") }
        return answer
    }

    struct InteropFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

@Suite("Interoperability with PyJWT")
struct InteropTests {
    private func pyjwt() throws -> PyJWT {
        guard let pyjwt = PyJWT.locate() else {
            Issue.record(
                "No Python for the PyJWT interoperability test: run scripts/interop-venv.sh (make test does) or set MESSAGING_INTEROP_PYTHON.")
            throw PyJWT.InteropFailure(message: "interop venv missing")
        }
        return pyjwt
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("an access token we issue verifies with PyJWT, claims intact")
    func pyjwtVerifiesOurs() async throws {
        let pyjwt = try pyjwt()
        let fixture = try await AuthFixture.make(clock: ManualClock(startMilliseconds: SystemWallClock().now().millisecondsSince1970).wall)
        defer { fixture.cleanUp() }
        try await fixture.register("alice", roles: [.admin, .moderator])
        let login = try await fixture.login("alice")
        let answer = try pyjwt.run([
            "command": "verify", "token": login.tokens.accessToken.compact, "public_key_hex": hex(fixture.publicKey),
            "issuer": AuthFixture.issuer, "audience": AuthFixture.audience,
        ])
        let header = try #require(answer["header"] as? [String: Any])
        let claims = try #require(answer["claims"] as? [String: Any])
        #expect(header["alg"] as? String == "EdDSA")
        #expect(header["kid"] as? String == AuthFixture.keyID)
        #expect(claims["sub"] as? String == login.account.user.id.description)
        #expect(claims["sid"] as? String == login.tokens.session.id.description)
        #expect(claims["roles"] as? [String] == ["admin", "moderator"])
        #expect(claims["token_type"] as? String == "access")
        #expect((claims["exp"] as? Int).map(Int64.init) == login.tokens.accessToken.expiresAt.millisecondsSince1970 / 1000)

        // And PyJWT refuses it for another audience: the interop test can fail.
        #expect(throws: PyJWT.InteropFailure.self) {
            _ = try pyjwt.run([
                "command": "verify", "token": login.tokens.accessToken.compact, "public_key_hex": hex(fixture.publicKey),
                "issuer": AuthFixture.issuer, "audience": "another-api",
            ])
        }
    }

    @Test("a token PyJWT signs with our key verifies here; with another key it does not")
    func oursVerifiesPyJWTs() async throws {
        let pyjwt = try pyjwt()
        let fixture = try await AuthFixture.make(clock: ManualClock(startMilliseconds: SystemWallClock().now().millisecondsSince1970).wall)
        defer { fixture.cleanUp() }
        let account = try await fixture.register("alice")
        let login = try await fixture.login("alice")
        let now = fixture.clock.now().millisecondsSince1970 / 1000
        let claims: [String: Any] = [
            "sub": account.user.id.description, "sid": login.tokens.session.id.description, "roles": ["moderator"],
            "iat": now, "nbf": now, "exp": now + 600, "iss": AuthFixture.issuer, "aud": AuthFixture.audience,
            "token_type": "access",
        ]
        let signed = try pyjwt.run(["command": "sign", "seed_hex": hex(fixture.seed), "kid": AuthFixture.keyID, "claims": claims])
        let token = try #require(signed["token"] as? String)
        let principal = try await fixture.auth.authenticate(token)
        #expect(principal.userID == account.user.id)
        #expect(principal.sessionID == login.tokens.session.id)
        #expect(principal.roles == [.moderator])
        #expect(principal.expiresAt.millisecondsSince1970 == (now + 600) * 1000)

        let foreign = try pyjwt.run([
            "command": "sign", "seed_hex": hex([UInt8](repeating: 42, count: 32)), "kid": AuthFixture.keyID, "claims": claims,
        ])
        await expectAuthError(.invalidToken) { try await fixture.tokens.verify(try #require(foreign["token"] as? String)) }
        let unknownKid = try pyjwt.run(["command": "sign", "seed_hex": hex(fixture.seed), "kid": "k9", "claims": claims])
        await expectAuthError(.invalidToken) { try await fixture.tokens.verify(try #require(unknownKid["token"] as? String)) }
    }
}
