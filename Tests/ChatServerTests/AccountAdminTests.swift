import Foundation
import MessagingAuth
import MessagingCore
import MessagingTransport
import Testing

/// The account administration routes: every route × {server admin, moderator, plain user,
/// the target themselves, no token, expired token, revoked session}, and their effects on
/// live connections, logins and data.
@Suite("ChatServer HTTP: account administration")
struct AccountAdminTests {
    enum Caller: String, CaseIterable, Sendable {
        case admin, moderator, user, target, noToken, expired, revoked
    }

    struct Fixture: Sendable {
        let client: HTTPClient
        let admin: Login, moderator: Login, user: Login, revoked: Login

        static func make(_ server: TestServer) async throws -> Self {
            let client = HTTPClient(base: server.base)
            let password = Password(HTTPClient.password)
            _ = try await server.server.accounts.register(handle: "root", password: password, roles: [.admin])
            _ = try await server.server.accounts.register(handle: "mod", password: password, roles: [.moderator])
            let admin = try await client.login("root")
            let moderator = try await client.login("mod")
            let user = try await client.user("plain")
            let revoked = try await client.login("root", device: "stolen")
            try #require(try await client.call("DELETE", "/v1/sessions/\(revoked.session)", token: admin.token).status == 204)
            return Self(client: client, admin: admin, moderator: moderator, user: user, revoked: revoked)
        }

        func token(_ caller: Caller, target: Login) -> String? {
            switch caller {
            case .admin, .expired: admin.token
            case .moderator: moderator.token
            case .user: user.token
            case .target: target.token
            case .revoked: revoked.token
            case .noToken: nil
            }
        }
    }

    struct Route: Sendable, CustomStringConvertible {
        let name: String
        let method: String
        let suffix: String
        let json: [String: any Sendable]?
        /// Expected status per caller, in `Caller.allCases` order.
        let expected: [Int]
        var description: String { name }
        init(_ name: String, _ method: String, _ suffix: String, _ json: [String: any Sendable]? = nil, _ expected: [Int]) {
            self.name = name
            self.method = method
            self.suffix = suffix
            self.json = json
            self.expected = expected
        }
    }

    static let denied = [401, 401, 401]
    static let routes: [Route] = [
        Route("GET /v1/admin/accounts/{userId}", "GET", "", nil, [200, 403, 403, 200] + denied),
        Route("POST /v1/admin/accounts/{userId}/disable", "POST", "/disable", nil, [200, 403, 403, 403] + denied),
        Route("POST /v1/admin/accounts/{userId}/enable", "POST", "/enable", nil, [200, 403, 403, 403] + denied),
        Route("PUT /v1/admin/accounts/{userId}/roles", "PUT", "/roles", ["roles": ["moderator"]], [200, 403, 403, 403] + denied),
        Route("POST /v1/admin/accounts/{userId}/password", "POST", "/password", ["password": "a brand new passphrase"],
            [204, 403, 403, 403] + denied),
        Route("DELETE /v1/admin/accounts/{userId}", "DELETE", "", nil, [204, 403, 403, 403] + denied),
    ]

    @Test("status per caller; a refused call changes nothing", arguments: routes)
    func matrix(_ route: Route) async throws {
        try await TestServer.with { server in
            let fixture = try await Fixture.make(server)
            for (index, (caller, expected)) in zip(Caller.allCases, route.expected).enumerated() {
                let target = try await fixture.client.user("target\(index)")
                let path = "/v1/admin/accounts/\(target.id)\(route.suffix)"
                let before = try await server.server.accounts.account(UserID(target.id)!)
                if caller == .expired { server.clock.advance(seconds: 20 * 60) }
                let answer = try await fixture.client.call(
                    route.method, path, token: fixture.token(caller, target: target), json: route.json.map { $0 as [String: Any] })
                if caller == .expired { server.clock.advance(seconds: -20 * 60) }
                #expect(answer.status == expected, "\(route.name) as \(caller): \(answer)")
                if answer.status >= 400 {
                    #expect(answer.errorCode != nil)
                    let after = try await server.server.accounts.account(UserID(target.id)!)
                    #expect(after == before, "\(route.name) as \(caller) was refused but changed the account")
                    let sessions = try await fixture.client.call("GET", "/v1/sessions", token: target.token)
                    #expect(sessions.status == 200, "\(route.name) as \(caller) was refused but ended the target's session")
                }
                if caller == .expired { #expect(answer.errorCode == "token_expired", "\(answer)") }
                if caller == .revoked { #expect(answer.errorCode == "session_revoked", "\(answer)") }
                if caller == .noToken { #expect(answer.errorCode == "unauthorized", "\(answer)") }
            }
        }
    }

    @Test("an unknown account is 404 for an admin; an admin cannot disable, demote, reset or delete themselves here")
    func adminEdges() async throws {
        try await TestServer.with { server in
            let fixture = try await Fixture.make(server)
            let client = fixture.client
            let unknown = "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6c"
            #expect(try await client.call("GET", "/v1/admin/accounts/\(unknown)", token: fixture.admin.token).status == 404)
            #expect(try await client.call("POST", "/v1/admin/accounts/\(unknown)/disable", token: fixture.admin.token).status == 404)
            let me = "/v1/admin/accounts/\(fixture.admin.id)"
            for (method, path, json) in [
                ("POST", "\(me)/disable", nil), ("PUT", "\(me)/roles", ["roles": ["moderator"]]),
                ("POST", "\(me)/password", ["password": "a brand new passphrase"]), ("DELETE", me, nil),
            ] as [(String, String, [String: Any]?)] {
                let answer = try await client.call(method, path, token: fixture.admin.token, json: json)
                #expect(answer.status == 403 && answer.errorCode == "forbidden", "\(method) \(path): \(answer)")
            }
            let bad = try await client.call(
                "PUT", "/v1/admin/accounts/\(fixture.user.id)/roles", token: fixture.admin.token, json: ["roles": ["Not A Role"]])
            #expect(bad.status == 400, "\(bad)")
            let weak = try await client.call(
                "POST", "/v1/admin/accounts/\(fixture.user.id)/password", token: fixture.admin.token, json: ["password": "short"])
            #expect(weak.status == 400 && weak.errorCode == "weak_password", "\(weak)")
        }
    }

    @Test("disabling an account closes its live connections at once (4403) and refuses its tokens and logins until enabled")
    func disableClosesSockets() async throws {
        try await TestServer.with { server in
            let fixture = try await Fixture.make(server)
            let client = fixture.client
            let bob = try await client.user("bob")
            let outcome = try await Peer.with(server, token: bob.token) { peer in
                _ = try await peer.ready()
                let disabled = try await client.call("POST", "/v1/admin/accounts/\(bob.id)/disable", token: fixture.admin.token)
                #expect(disabled.status == 200 && (disabled["account"] as? [String: Any])?["disabledAt"] != nil, "\(disabled)")
                let deadline = ContinuousClock.now + .seconds(5)
                while peer.connection.closeStatus == nil, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            #expect(outcome.close?.code == .forbidden, "\(String(describing: outcome.close))")
            let refused = try await client.call("GET", "/v1/sessions", token: bob.token)
            #expect(refused.status == 401 && refused.errorCode == "session_revoked", "\(refused)")
            let login = try await client.call("POST", "/v1/auth/login", json: ["handle": "bob", "password": HTTPClient.password])
            #expect(login.status == 403 && login.errorCode == "account_disabled", "\(login)")
            let enabled = try await client.call("POST", "/v1/admin/accounts/\(bob.id)/enable", token: fixture.admin.token)
            #expect(enabled.status == 200 && (enabled["account"] as? [String: Any])?["disabledAt"] == nil, "\(enabled)")
            _ = try await client.login("bob")
        }
    }

    @Test("a role change shows in the account and in tokens from the next refresh; a password reset revokes every session")
    func rolesAndPasswordReset() async throws {
        try await TestServer.with { server in
            let fixture = try await Fixture.make(server)
            let client = fixture.client
            let bob = try await client.user("bob")
            let changed = try await client.call(
                "PUT", "/v1/admin/accounts/\(bob.id)/roles", token: fixture.admin.token, json: ["roles": ["admin"]])
            #expect((changed["account"] as? [String: Any])?["roles"] as? [String] == ["admin"], "\(changed)")
            let refreshed = try await client.call("POST", "/v1/auth/refresh", json: ["refreshToken": bob.refreshToken])
            let token = try #require(refreshed["accessToken"] as? String)
            // Now bob may administer accounts.
            #expect(try await client.call("GET", "/v1/admin/accounts/\(fixture.user.id)", token: token).status == 200)

            let carol = try await client.user("carol")
            let reset = try await client.call(
                "POST", "/v1/admin/accounts/\(carol.id)/password", token: fixture.admin.token,
                json: ["password": "a brand new passphrase"])
            #expect(reset.status == 204, "\(reset)")
            #expect(try await client.call("GET", "/v1/sessions", token: carol.token).errorCode == "session_revoked")
            let old = try await client.call("POST", "/v1/auth/login", json: ["handle": "carol", "password": HTTPClient.password])
            #expect(old.status == 401)
            let new = try await client.call("POST", "/v1/auth/login", json: ["handle": "carol", "password": "a brand new passphrase"])
            #expect(new.status == 200, "\(new)")
        }
    }

    @Test("a user changes their own password with the current one; every session of theirs ends")
    func ownPasswordChange() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let bob = try await client.user("bob")
            let wrong = try await client.call(
                "POST", "/v1/account/password", token: bob.token,
                json: ["currentPassword": "not my password", "newPassword": "a brand new passphrase"])
            #expect(wrong.status == 401 && wrong.errorCode == "invalid_credentials", "\(wrong)")
            let changed = try await client.call(
                "POST", "/v1/account/password", token: bob.token,
                json: ["currentPassword": HTTPClient.password, "newPassword": "a brand new passphrase"])
            #expect(changed.status == 204, "\(changed)")
            #expect(try await client.call("GET", "/v1/sessions", token: bob.token).errorCode == "session_revoked")
            #expect(try await client.call("POST", "/v1/account/password").status == 401)
        }
    }
}
