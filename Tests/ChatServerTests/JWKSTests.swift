import ChatServerApp
import TestSupport
import Foundation
import Testing

/// `GET /.well-known/jwks.json` (issue 13 B.12): third parties verify our access tokens with
/// the published keys alone, during a rotation too.
@Suite("JWKS", .timeLimit(.minutes(2)))
struct JWKSTests {
    /// Runs Tests/Interop/jwt_interop.py with the interop venv's Python.
    static func pyjwt(_ request: [String: Any]) throws -> [String: Any] {
        guard let python = OpenAPITests.python() else {
            Issue.record("this test needs the interop venv (PyJWT): run make test or scripts/interop-venv.sh, or set MESSAGING_INTEROP_PYTHON")
            throw TestFailure.unexpected("no interop python")
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let result = try SpawnedProcess.run(
            URL(fileURLWithPath: python), [root.appendingPathComponent("Tests/Interop/jwt_interop.py").path],
            input: try JSONSerialization.data(withJSONObject: request))
        guard let answer = try JSONSerialization.jsonObject(with: result.output) as? [String: Any] else {
            throw TestFailure.unexpected("jwt_interop.py printed no JSON: \(String(decoding: result.errors, as: UTF8.self))")
        }
        if let error = answer["error"] as? String { throw TestFailure.unexpected("PyJWT: \(error)") }
        return answer
    }

    @Test("PyJWT verifies tokens of the current and the previous signing key with nothing but the served JWKS")
    func pyjwtVerifiesWithJWKS() async throws {
        let directory = try TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }

        // First key: a token signed with it.
        let first = try await TestServer.start(directory: directory)
        let before = try await HTTPClient(base: first.base).user("alice")
        let configuration = first.server.configuration
        try await first.stop(removingFiles: false)

        // Rotation: a new signing key first, the old one kept for verification.
        let keysURL = URL(fileURLWithPath: configuration.keysPath)
        var contents = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: keysURL)) as? [String: Any])
        var keys = try #require(contents["keys"] as? [[String: Any]])
        let oldID = try #require(keys.first?["id"] as? String)
        let seed = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        keys.insert(["id": "k-rotated", "algorithm": "EdDSA", "seed": seed], at: 0)
        contents["keys"] = keys
        try JSONSerialization.data(withJSONObject: contents).write(to: keysURL)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keysURL.path)

        let second = try await TestServer.start(directory: directory)
        do {
            let client = HTTPClient(base: second.base)
            let after = try await client.login("alice")
            let answer = try await client.call("GET", "/.well-known/jwks.json")
            #expect(answer.status == 200, "\(answer)")
            let jwks = try #require(answer.json)
            let served = try #require(jwks["keys"] as? [[String: Any]])
            #expect(served.map { $0["kid"] as? String } == ["k-rotated", oldID], "signing key first, then the previous one")
            for key in served {
                #expect(key["kty"] as? String == "OKP" && key["crv"] as? String == "Ed25519" && key["alg"] as? String == "EdDSA")
                #expect(key["d"] == nil, "a private part is published")
            }
            for (login, kid) in [(before, oldID), (after, "k-rotated")] {
                let verified = try Self.pyjwt([
                    "command": "verify_jwks", "token": login.token, "jwks": jwks,
                    "issuer": configuration.tokenIssuer, "audience": configuration.tokenAudience,
                ])
                #expect((verified["header"] as? [String: Any])?["kid"] as? String == kid)
                #expect((verified["claims"] as? [String: Any])?["sub"] as? String == login.id)
            }
            // A token whose signature does not match is refused by PyJWT with the same JWKS.
            var parts = after.token.split(separator: ".").map(String.init)
            parts[2] = String(parts[2].reversed())
            #expect(throws: TestFailure.self) {
                _ = try Self.pyjwt([
                    "command": "verify_jwks", "token": parts.joined(separator: "."), "jwks": jwks,
                    "issuer": configuration.tokenIssuer, "audience": configuration.tokenAudience,
                ])
            }
            try await second.stop(removingFiles: false)
        } catch {
            try? await second.stop(removingFiles: false)
            throw error
        }
    }
}
