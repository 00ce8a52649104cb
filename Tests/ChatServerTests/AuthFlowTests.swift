import Foundation
import MessagingTransport
import Testing

@Suite("ChatServer HTTP: register, login, refresh, logout, sessions")
struct AuthFlowTests {
    @Test("register answers 201 with the user and never echoes the password; a taken handle is 409")
    func register() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let answer = try await client.call(
                "POST", "/v1/auth/register", json: ["handle": "Alice", "password": HTTPClient.password, "displayName": "Alice A."])
            #expect(answer.status == 201)
            let user = try #require(answer["user"] as? [String: Any])
            #expect(user["handle"] as? String == "alice")
            #expect(user["displayName"] as? String == "Alice A.")
            #expect(!answer.text.contains(HTTPClient.password))
            #expect(!answer.text.lowercased().contains("hash"))
            let again = try await client.call("POST", "/v1/auth/register", json: ["handle": "alice", "password": HTTPClient.password])
            #expect(again.status == 409)
            #expect(again.errorCode == "handle_taken")
            let weak = try await client.call("POST", "/v1/auth/register", json: ["handle": "bob", "password": "short"])
            #expect(weak.status == 400)
            #expect(weak.errorCode == "weak_password")
        }
    }

    @Test("login answers tokens, user, session and device, and sets the HttpOnly refresh cookie")
    func login() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            _ = try await client.user("alice")
            let answer = try await client.call(
                "POST", "/v1/auth/login", json: ["handle": "alice", "password": HTTPClient.password, "deviceName": "laptop"])
            #expect(answer.status == 200)
            for key in ["accessToken", "accessTokenExpiresAt", "refreshToken", "user", "session", "device"] {
                #expect(answer[key] != nil, "missing \(key)")
            }
            let session = try #require(answer["session"] as? [String: Any])
            #expect((answer["device"] as? [String: Any])?["name"] as? String == "laptop")
            #expect((answer["device"] as? [String: Any])?["id"] as? String == session["id"] as? String)
            let cookie = try #require(answer.header("Set-Cookie"))
            let refresh = try #require(answer["refreshToken"] as? String)
            #expect(cookie.hasPrefix("refresh-token=\(refresh);"))
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Strict"))
            #expect(cookie.contains("Path=/v1/auth"))

            let wrong = try await client.call("POST", "/v1/auth/login", json: ["handle": "alice", "password": "not the password!"])
            #expect(wrong.status == 401)
            #expect(wrong.errorCode == "invalid_credentials")
            let unknown = try await client.call("POST", "/v1/auth/login", json: ["handle": "nobody", "password": "not the password!"])
            #expect(unknown.status == 401)
            #expect(unknown.errorMessage == wrong.errorMessage)
        }
    }

    @Test("refresh rotates the token from the body or from the cookie; a spent token is refused and revokes the session")
    func refresh() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")

            let byBody = try await client.call("POST", "/v1/auth/refresh", json: ["refreshToken": alice.refreshToken])
            #expect(byBody.status == 200, "\(byBody)")
            let second = try #require(byBody["refreshToken"] as? String)
            #expect(second != alice.refreshToken)
            #expect((byBody["user"] as? [String: Any])?["id"] as? String == alice.id)

            let byCookie = try await client.call(
                "POST", "/v1/auth/refresh", headers: ["Cookie": "theme=dark; refresh-token=\(second)"])
            #expect(byCookie.status == 200, "\(byCookie)")
            let third = try #require(byCookie["refreshToken"] as? String)
            let newAccess = try #require(byCookie["accessToken"] as? String)
            #expect(try await client.call("GET", "/v1/sessions", token: newAccess).status == 200)

            let none = try await client.call("POST", "/v1/auth/refresh")
            #expect(none.status == 400)
            #expect(none.errorCode == "missing_field")
            let garbage = try await client.call("POST", "/v1/auth/refresh", json: ["refreshToken": "nope"])
            #expect(garbage.status == 400)

            // Reuse of a rotated token: refused, and the whole session (family) is revoked.
            let reused = try await client.call("POST", "/v1/auth/refresh", json: ["refreshToken": alice.refreshToken])
            #expect(reused.status == 401)
            #expect(reused.errorCode == "refresh_token_reused")
            let afterReuse = try await client.call("POST", "/v1/auth/refresh", json: ["refreshToken": third])
            #expect(afterReuse.status == 401)
            let sessions = try await client.call("GET", "/v1/sessions", token: newAccess)
            #expect(sessions.status == 401)
            #expect(sessions.errorCode == "session_revoked")
        }
    }

    @Test("logout needs the bearer token, ends the session, clears the cookie, and the refresh token stops working")
    func logout() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let noBearer = try await client.call("POST", "/v1/auth/logout", json: ["refreshToken": alice.refreshToken])
            #expect(noBearer.status == 401)
            #expect(noBearer.errorCode == "unauthorized")
            // Refused: still logged in.
            #expect(try await client.call("GET", "/v1/sessions", token: alice.token).status == 200)

            let answer = try await client.call("POST", "/v1/auth/logout", token: alice.token, json: ["refreshToken": alice.refreshToken])
            #expect(answer.status == 204)
            #expect(answer.header("Set-Cookie")?.contains("Max-Age=0") == true)
            #expect(try await client.call("GET", "/v1/sessions", token: alice.token).status == 401)
            #expect(try await client.call("POST", "/v1/auth/refresh", json: ["refreshToken": alice.refreshToken]).status == 401)

            // Logout with the cookie instead of a body.
            let again = try await client.login("alice")
            let byCookie = try await client.call(
                "POST", "/v1/auth/logout", token: again.token, headers: ["Cookie": "refresh-token=\(again.refreshToken)"])
            #expect(byCookie.status == 204)
            #expect(try await client.call("POST", "/v1/auth/refresh", json: ["refreshToken": again.refreshToken]).status == 401)
        }
    }

    @Test("sessions: listed without secrets, the current one marked; revoking one ends its token at once")
    func sessions() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let laptop = try await client.user("alice")
            let phone = try await client.login("alice", device: "phone")
            let list = try await client.call("GET", "/v1/sessions", token: laptop.token)
            #expect(list.status == 200)
            let sessions = try #require(list["sessions"] as? [[String: Any]])
            #expect(sessions.count == 2)
            #expect(sessions.first { $0["id"] as? String == laptop.session }?["current"] as? Bool == true)
            #expect(sessions.first { $0["id"] as? String == phone.session }?["current"] as? Bool == false)
            #expect(!list.text.contains(laptop.refreshToken))
            #expect(!list.text.lowercased().contains("hash"))

            #expect(try await client.call("DELETE", "/v1/sessions/\(phone.session)", token: laptop.token).status == 204)
            let revoked = try await client.call("GET", "/v1/sessions", token: phone.token)
            #expect(revoked.status == 401)
            #expect(revoked.errorCode == "session_revoked")

            // Another user's session is not visible: 404, and it keeps working.
            let bob = try await client.user("bob")
            let foreign = try await client.call("DELETE", "/v1/sessions/\(bob.session)", token: laptop.token)
            #expect(foreign.status == 404)
            #expect(try await client.call("GET", "/v1/sessions", token: bob.token).status == 200)
        }
    }

    @Test("login attempts from one address are rate-limited with Retry-After")
    func authRateLimit() async throws {
        try await TestServer.with(configure: { $0.limits.rateLimits = .default }) { server in
            let client = HTTPClient(base: server.base)
            var limited: Answer?
            for attempt in 0..<30 {
                let answer = try await client.call(
                    "POST", "/v1/auth/login", json: ["handle": "user\(attempt)", "password": "wrong password!!"])
                if answer.status == 429 {
                    limited = answer
                    break
                }
                #expect(answer.status == 401)
            }
            let answer = try #require(limited, "30 failed logins from one address were never limited")
            #expect(answer.errorCode == "rate_limited")
            let retryAfter = try #require(answer.header("Retry-After").flatMap(Int.init))
            #expect(retryAfter >= 1)
            let metrics = try await client.call("GET", "/metrics")
            #expect(metrics.text.contains("chat_rate_limit_rejections_total"))
            #expect(!metrics.text.contains("chat_rate_limit_rejections_total 0\n"))
        }
    }
}
