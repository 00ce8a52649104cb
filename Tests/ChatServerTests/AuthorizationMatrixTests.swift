import Foundation
import Testing
import MessagingCore

/// Every authenticated HTTP route × {owner, admin, member, removed member, non-member, no
/// token, expired token, revoked session}: the status each caller gets, and no side effect
/// when refused.
// Serialized: each case starts a server of its own (110 of them); all at once they starve the
// other suites' timeouts on two cores.
@Suite("ChatServer HTTP: authorization matrix", .serialized)
struct AuthorizationMatrixTests {
    enum Caller: String, CaseIterable, Sendable {
        case owner, admin, member, removed, nonMember, noToken, expired, revoked
    }

    /// The people and the conversation one route is tried against (fresh per route).
    struct Fixture: Sendable {
        let client: HTTPClient
        let server: TestServer
        let owner: Login, admin: Login, member: Login, removed: Login, nonMember: Login, revoked: Login
        /// A former member banned from the room: it must get exactly what a removed member gets.
        let banned: Login
        let room: String

        func login(for caller: Caller) -> Login? {
            switch caller {
            case .owner: owner
            case .admin: admin
            case .member, .expired: member
            case .removed: removed
            case .nonMember: nonMember
            case .revoked: revoked
            case .noToken: nil
            }
        }

        /// A fresh session of the caller's user (for routes that end the session they use).
        func freshLogin(for caller: Caller) async throws -> Login? {
            switch caller {
            case .noToken: return nil
            case .expired, .revoked: return login(for: caller)
            default: return try await client.login(login(for: caller)!.handle)
            }
        }
    }

    /// A request prepared for one caller.
    struct Call: Sendable {
        var method: String
        var path: String
        var json: [String: String]? = nil
        var jsonInt: [String: Int]? = nil
        var jsonArray: [String: [String]]? = nil
        var jsonBool: [String: Bool]? = nil
        var token: Login? = nil
    }

    struct Route: Sendable, CustomStringConvertible {
        let name: String
        /// Expected status per caller, in `Caller.allCases` order.
        let expected: [Int]
        let prepare: @Sendable (Fixture, Caller) async throws -> Call
        var description: String { name }
    }

    static let denied = [401, 401, 401]

    static let routes: [Route] = [
        Route(name: "GET /v1/conversations/{id}", expected: [200, 200, 200, 404, 404] + denied) { f, _ in
            Call(method: "GET", path: "/v1/conversations/\(f.room)")
        },
        Route(name: "PATCH /v1/conversations/{id}", expected: [200, 200, 403, 404, 404] + denied) { _, caller in
            Call(method: "PATCH", path: "", json: ["title": "renamed by \(caller)"])
        },
        Route(name: "DELETE /v1/conversations/{id}", expected: [204, 403, 403, 404, 404] + denied) { f, _ in
            // A room of its own per caller, with the same people in the same roles.
            Call(method: "DELETE", path: "/v1/conversations/\(try await f.freshRoom())")
        },
        Route(name: "GET /v1/conversations/{id}/members", expected: [200, 200, 200, 404, 404] + denied) { f, _ in
            Call(method: "GET", path: "/v1/conversations/\(f.room)/members")
        },
        Route(name: "POST /v1/conversations/{id}/members", expected: [201, 201, 403, 404, 404] + denied) { f, caller in
            let newcomer = try await f.client.user("new-\(caller.rawValue.lowercased())-\(Int.random(in: 0..<1_000_000))")
            return Call(method: "POST", path: "/v1/conversations/\(f.room)/members", json: ["user": newcomer.id])
        },
        Route(name: "DELETE /v1/conversations/{id}/members/{userId}", expected: [204, 204, 403, 404, 404] + denied) { f, _ in
            let victim = try await f.addMember(role: "member")
            return Call(method: "DELETE", path: "/v1/conversations/\(f.room)/members/\(victim)")
        },
        Route(name: "PUT /v1/conversations/{id}/members/{userId}/role", expected: [200, 200, 403, 404, 404] + denied) { f, _ in
            let target = try await f.addMember(role: "member")
            return Call(method: "PUT", path: "/v1/conversations/\(f.room)/members/\(target)/role", json: ["role": "admin"])
        },
        Route(name: "POST /v1/conversations/{id}/leave", expected: [409, 204, 204, 404, 404] + denied) { f, _ in
            Call(method: "POST", path: "/v1/conversations/\(f.room)/leave")
        },
        Route(name: "GET /v1/conversations/{id}/messages", expected: [200, 200, 200, 404, 404] + denied) { f, _ in
            Call(method: "GET", path: "/v1/conversations/\(f.room)/messages")
        },
        Route(name: "POST /v1/conversations/{id}/messages", expected: [201, 201, 201, 404, 404] + denied) { f, caller in
            Call(method: "POST", path: "/v1/conversations/\(f.room)/messages", json: ["clientMessageId": "m-\(caller)", "body": "from \(caller)"])
        },
        Route(name: "GET /v1/conversations/{id}/events", expected: [200, 200, 200, 404, 404] + denied) { f, _ in
            Call(method: "GET", path: "/v1/conversations/\(f.room)/events?after=0")
        },
        Route(name: "POST /v1/conversations/{id}/read", expected: [200, 200, 200, 404, 404] + denied) { f, _ in
            Call(method: "POST", path: "/v1/conversations/\(f.room)/read", jsonInt: ["seq": 1])
        },
        Route(name: "PUT /v1/conversations/{id}/messages/{messageId}/reactions/{emoji}", expected: [204, 204, 204, 404, 404] + denied) { f, _ in
            let message = try await f.ownerMessage()
            return Call(method: "PUT", path: "/v1/conversations/\(f.room)/messages/\(message)/reactions/%E2%9D%A4")
        },
        Route(name: "DELETE /v1/conversations/{id}/messages/{messageId}/reactions/{emoji}", expected: [204, 204, 204, 404, 404] + denied) { f, caller in
            let message = try await f.ownerMessage()
            if let login = f.login(for: caller), [.owner, .admin, .member].contains(caller) {
                _ = try await f.client.call(
                    "PUT", "/v1/conversations/\(f.room)/messages/\(message)/reactions/%E2%9D%A4", token: login.token)
            }
            return Call(method: "DELETE", path: "/v1/conversations/\(f.room)/messages/\(message)/reactions/%E2%9D%A4")
        },
        Route(name: "PATCH /v1/conversations/{id}/messages/{messageId}", expected: [200, 403, 403, 404, 404] + denied) { f, _ in
            let message = try await f.ownerMessage()
            return Call(method: "PATCH", path: "/v1/conversations/\(f.room)/messages/\(message)", json: ["body": "edited"])
        },
        Route(name: "DELETE /v1/conversations/{id}/messages/{messageId}", expected: [200, 200, 403, 404, 404] + denied) { f, _ in
            let message = try await f.ownerMessage()
            return Call(method: "DELETE", path: "/v1/conversations/\(f.room)/messages/\(message)")
        },
        Route(name: "GET /v1/conversations/{id}/messages/{messageId}", expected: [200, 200, 200, 404, 404] + denied) { f, _ in
            let message = try await f.ownerMessage()
            return Call(method: "GET", path: "/v1/conversations/\(f.room)/messages/\(message)")
        },
        Route(name: "GET /v1/conversations/{id}/messages/{messageId}/replies", expected: [200, 200, 200, 404, 404] + denied) { f, _ in
            let message = try await f.ownerMessage()
            return Call(method: "GET", path: "/v1/conversations/\(f.room)/messages/\(message)/replies?limit=10")
        },
        Route(name: "POST /v1/conversations/{id}/members/{userId}/kick", expected: [204, 204, 403, 404, 404] + denied) { f, _ in
            let victim = try await f.addMember(role: "member")
            return Call(method: "POST", path: "/v1/conversations/\(f.room)/members/\(victim)/kick", json: ["reason": "off topic"])
        },
        Route(name: "GET /v1/conversations/{id}/bans", expected: [200, 200, 403, 404, 404] + denied) { f, _ in
            Call(method: "GET", path: "/v1/conversations/\(f.room)/bans")
        },
        Route(name: "PUT /v1/conversations/{id}/bans/{userId}", expected: [200, 200, 403, 404, 404] + denied) { f, _ in
            let victim = try await f.addMember(role: "member")
            return Call(method: "PUT", path: "/v1/conversations/\(f.room)/bans/\(victim)", json: ["reason": "spam"])
        },
        Route(name: "DELETE /v1/conversations/{id}/bans/{userId}", expected: [204, 204, 403, 404, 404] + denied) { f, _ in
            let victim = try await f.addMember(role: "member")
            let banned = try await f.client.call("PUT", "/v1/conversations/\(f.room)/bans/\(victim)", token: f.owner.token)
            try #require(banned.status == 200, "\(banned)")
            return Call(method: "DELETE", path: "/v1/conversations/\(f.room)/bans/\(victim)")
        },
        Route(name: "PUT /v1/conversations/{id}/slow-mode", expected: [200, 200, 403, 404, 404] + denied) { f, caller in
            Call(method: "PUT", path: "/v1/conversations/\(f.room)/slow-mode", jsonInt: ["seconds": caller == .owner ? 5 : 0])
        },
        Route(name: "PUT /v1/conversations/{id}/mute", expected: [200, 200, 200, 404, 404] + denied) { f, _ in
            Call(method: "PUT", path: "/v1/conversations/\(f.room)/mute")
        },
        Route(name: "DELETE /v1/conversations/{id}/mute", expected: [204, 204, 204, 404, 404] + denied) { f, _ in
            Call(method: "DELETE", path: "/v1/conversations/\(f.room)/mute")
        },
        Route(name: "GET /v1/conversations/{id}/pins", expected: [200, 200, 200, 404, 404] + denied) { f, _ in
            Call(method: "GET", path: "/v1/conversations/\(f.room)/pins")
        },
        Route(name: "PUT /v1/conversations/{id}/pins/{messageId}", expected: [200, 200, 403, 404, 404] + denied) { f, _ in
            let message = try await f.ownerMessage()
            return Call(method: "PUT", path: "/v1/conversations/\(f.room)/pins/\(message)")
        },
        Route(name: "DELETE /v1/conversations/{id}/pins/{messageId}", expected: [204, 204, 403, 404, 404] + denied) { f, _ in
            let message = try await f.ownerMessage()
            let pinned = try await f.client.call("PUT", "/v1/conversations/\(f.room)/pins/\(message)", token: f.owner.token)
            try #require(pinned.status == 200, "\(pinned)")
            return Call(method: "DELETE", path: "/v1/conversations/\(f.room)/pins/\(message)")
        },
        Route(name: "GET /v1/blocks", expected: [200, 200, 200, 200, 200] + denied) { _, _ in
            Call(method: "GET", path: "/v1/blocks")
        },
        Route(name: "PUT /v1/blocks/{userId}", expected: [200, 200, 200, 200, 200] + denied) { f, _ in
            let target = try await f.client.user("blockee-\(Int.random(in: 0..<1_000_000_000))")
            return Call(method: "PUT", path: "/v1/blocks/\(target.id)")
        },
        Route(name: "DELETE /v1/blocks/{userId}", expected: [204, 204, 204, 204, 204] + denied) { f, _ in
            Call(method: "DELETE", path: "/v1/blocks/\(f.nonMember.id)")
        },
        Route(name: "GET /v1/conversations/{id}/retention", expected: [200, 200, 200, 404, 404] + denied) { f, _ in
            Call(method: "GET", path: "/v1/conversations/\(f.room)/retention")
        },
        Route(name: "PUT /v1/conversations/{id}/retention", expected: [200, 200, 403, 404, 404] + denied) { f, _ in
            Call(method: "PUT", path: "/v1/conversations/\(f.room)/retention", jsonInt: ["retentionDays": 30])
        },
        Route(name: "DELETE /v1/conversations/{id}/retention", expected: [204, 204, 403, 404, 404] + denied) { f, _ in
            Call(method: "DELETE", path: "/v1/conversations/\(f.room)/retention")
        },
        Route(name: "GET /v1/search", expected: [200, 200, 200, 404, 404] + denied) { f, _ in
            Call(method: "GET", path: "/v1/search?q=seed&conversation=\(f.room)")
        },
        Route(name: "GET /v1/unread", expected: [200, 200, 200, 200, 200] + denied) { _, _ in
            Call(method: "GET", path: "/v1/unread")
        },
        Route(name: "GET /v1/conversations/{id}/receipts", expected: [200, 200, 200, 404, 404] + denied) { f, _ in
            Call(method: "GET", path: "/v1/conversations/\(f.room)/receipts")
        },
        Route(name: "GET /v1/me/settings", expected: [200, 200, 200, 200, 200] + denied) { _, _ in
            Call(method: "GET", path: "/v1/me/settings")
        },
        Route(name: "PUT /v1/me/settings", expected: [200, 200, 200, 200, 200] + denied) { _, _ in
            Call(method: "PUT", path: "/v1/me/settings", jsonBool: ["hideReadReceipts": true])
        },
        // The caller's own notifications and push tokens: no route names another user's.
        Route(name: "GET /v1/notifications", expected: [200, 200, 200, 200, 200] + denied) { _, _ in
            Call(method: "GET", path: "/v1/notifications")
        },
        Route(name: "POST /v1/notifications/read", expected: [200, 200, 200, 200, 200] + denied) { _, _ in
            Call(method: "POST", path: "/v1/notifications/read")
        },
        Route(name: "GET /v1/me/push-tokens", expected: [200, 200, 200, 200, 200] + denied) { _, _ in
            Call(method: "GET", path: "/v1/me/push-tokens")
        },
        Route(name: "PUT /v1/me/push-tokens/{deviceId}", expected: [200, 200, 200, 200, 200] + denied) { _, caller in
            Call(
                method: "PUT", path: "/v1/me/push-tokens/\(UUIDv7Generator().next().uuidString)",
                json: ["platform": "fcm", "token": "token-\(caller.rawValue)-\(Int.random(in: 0..<1_000_000_000))"])
        },
        Route(name: "DELETE /v1/me/push-tokens/{deviceId}", expected: [204, 204, 204, 204, 204] + denied) { _, _ in
            Call(method: "DELETE", path: "/v1/me/push-tokens/\(UUIDv7Generator().next().uuidString)")
        },
        // The caller's own feed: there is no way to name another user's.
        Route(name: "GET /v1/feed", expected: [200, 200, 200, 200, 200] + denied) { _, _ in
            Call(method: "GET", path: "/v1/feed")
        },
        Route(name: "GET /v1/conversations", expected: [200, 200, 200, 200, 200] + denied) { _, _ in
            Call(method: "GET", path: "/v1/conversations")
        },
        Route(name: "POST /v1/conversations", expected: [201, 201, 201, 201, 201] + denied) { f, _ in
            Call(method: "POST", path: "/v1/conversations", jsonArray: ["members": [f.owner.id]])
        },
        Route(name: "GET /v1/users/{handle}", expected: [200, 200, 200, 200, 200] + denied) { f, _ in
            Call(method: "GET", path: "/v1/users/\(f.owner.handle)")
        },
        Route(name: "GET /v1/sessions", expected: [200, 200, 200, 200, 200] + denied) { _, _ in
            Call(method: "GET", path: "/v1/sessions")
        },
        Route(name: "DELETE /v1/sessions/{sessionId}", expected: [204, 404, 404, 404, 404] + denied) { f, _ in
            let spare = try await f.client.login(f.owner.handle, device: "spare")
            return Call(method: "DELETE", path: "/v1/sessions/\(spare.session)")
        },
        // The caller's own account: a fresh user per caller (the route ends its sessions or the account).
        Route(name: "POST /v1/account/password", expected: [204, 204, 204, 204, 204] + denied) { f, caller in
            let json = ["currentPassword": HTTPClient.password, "newPassword": "a brand new passphrase"]
            guard ![.noToken, .expired, .revoked].contains(caller) else { return Call(method: "POST", path: "/v1/account/password", json: json) }
            let fresh = try await f.client.user("pw-\(caller.rawValue.lowercased())-\(Int.random(in: 0..<1_000_000))")
            return Call(method: "POST", path: "/v1/account/password", json: json, token: fresh)
        },
        Route(name: "POST /v1/account/delete", expected: [204, 204, 204, 204, 204] + denied) { f, caller in
            let json = ["password": HTTPClient.password]
            guard ![.noToken, .expired, .revoked].contains(caller) else { return Call(method: "POST", path: "/v1/account/delete", json: json) }
            let fresh = try await f.client.user("del-\(caller.rawValue.lowercased())-\(Int.random(in: 0..<1_000_000))")
            return Call(method: "POST", path: "/v1/account/delete", json: json, token: fresh)
        },
        Route(name: "POST /v1/auth/logout", expected: [204, 204, 204, 204, 204] + denied) { f, caller in
            Call(method: "POST", path: "/v1/auth/logout", token: try await f.freshLogin(for: caller))
        },
        Route(name: "POST /v1/conversations/{id}/attachments", expected: [201, 201, 201, 404, 404] + denied) { f, _ in
            Call(method: "POST", path: "/v1/conversations/\(f.room)/attachments")
        },
        Route(name: "GET /v1/attachments/{attachmentId}/download", expected: [200, 200, 200, 404, 404] + denied) { f, _ in
            Call(method: "GET", path: "/v1/attachments/\(try await f.ownerAttachment())/download")
        },
    ]

    @Test("a banned former member gets what a removed member gets on every route, and changes nothing", arguments: routes)
    func bannedCaller(_ route: Route) async throws {
        try await TestServer.with { server in
            let fixture = try await Fixture.make(server: server)
            let removedColumn = Caller.allCases.firstIndex(of: .removed)!
            var call = try await route.prepare(fixture, .removed)
            if call.path.isEmpty { call.path = "/v1/conversations/\(fixture.room)" }
            if route.name == "POST /v1/conversations" { call.json = nil }
            let token = call.token == nil ? fixture.banned.token : try await fixture.client.login("banned").token
            let before = try await fixture.snapshot()
            let answer = try await fixture.perform(call, route: route, token: token)
            #expect(answer.status == route.expected[removedColumn], "\(route.name) as a banned user: \(answer)")
            if answer.status >= 400 {
                #expect(try await fixture.snapshot() == before, "\(route.name) as a banned user was refused but changed the conversation")
            }
        }
    }

    @Test("status per caller, and refused calls change nothing", arguments: routes)
    func matrix(_ route: Route) async throws {
        try await TestServer.with { server in
            let fixture = try await Fixture.make(server: server)
            for (caller, expected) in zip(Caller.allCases, route.expected) {
                var call = try await route.prepare(fixture, caller)
                if call.path.isEmpty { call.path = "/v1/conversations/\(fixture.room)" }  // PATCH conversation
                if route.name == "POST /v1/conversations" { call.json = nil }
                let login = call.token ?? fixture.login(for: caller)
                let before = try await fixture.snapshot()
                if caller == .expired { server.clock.advance(seconds: 20 * 60) }
                let answer = try await fixture.perform(call, route: route, token: caller == .noToken ? nil : login?.token)
                if caller == .expired { server.clock.advance(seconds: -20 * 60) }
                #expect(answer.status == expected, "\(route.name) as \(caller): \(answer)")
                if answer.status >= 400 {
                    #expect(answer.errorCode != nil, "\(route.name) as \(caller): error without a code")
                    let after = try await fixture.snapshot()
                    #expect(after == before, "\(route.name) as \(caller) was refused but changed the conversation")
                }
                if caller == .expired { #expect(answer.errorCode == "token_expired", "\(answer)") }
                if caller == .revoked { #expect(answer.errorCode == "session_revoked", "\(answer)") }
                if caller == .noToken { #expect(answer.errorCode == "unauthorized", "\(answer)") }
            }
        }
    }
}

extension AuthorizationMatrixTests.Fixture {
    static func make(server: TestServer) async throws -> Self {
        let client = HTTPClient(base: server.base)
        let owner = try await client.user("owner")
        let admin = try await client.user("admin")
        let member = try await client.user("member")
        let removed = try await client.user("removed")
        let nonMember = try await client.user("outsider")
        let banned = try await client.user("banned")
        let room = try await client.group(by: owner, members: [admin, member, removed, banned])
        let promoted = try await client.call(
            "PUT", "/v1/conversations/\(room)/members/\(admin.id)/role", token: owner.token, json: ["role": "admin"])
        try #require(promoted.status == 200)
        try await client.send("seed message", to: room, as: owner)
        let removal = try await client.call("DELETE", "/v1/conversations/\(room)/members/\(removed.id)", token: owner.token)
        try #require(removal.status == 204)
        let ban = try await client.call("PUT", "/v1/conversations/\(room)/bans/\(banned.id)", token: owner.token, json: ["reason": "spam"])
        try #require(ban.status == 200, "\(ban)")
        // The member's second session, revoked: its (unexpired) token must be refused.
        let revoked = try await client.login("member", device: "stolen laptop")
        let revocation = try await client.call("DELETE", "/v1/sessions/\(revoked.session)", token: member.token)
        try #require(revocation.status == 204)
        return Self(
            client: client, server: server, owner: owner, admin: admin, member: member, removed: removed,
            nonMember: nonMember, revoked: revoked, banned: banned, room: room)
    }

    /// A new room like `room`: owner, admin, member, and `removed` added then removed.
    func freshRoom() async throws -> String {
        let fresh = try await client.group(by: owner, members: [admin, member, removed])
        let promoted = try await client.call(
            "PUT", "/v1/conversations/\(fresh)/members/\(admin.id)/role", token: owner.token, json: ["role": "admin"])
        try #require(promoted.status == 200)
        let removal = try await client.call("DELETE", "/v1/conversations/\(fresh)/members/\(removed.id)", token: owner.token)
        try #require(removal.status == 204)
        return fresh
    }

    /// Adds a fresh user with `role`; returns its id.
    func addMember(role: String) async throws -> String {
        let user = try await client.user("target-\(Int.random(in: 0..<1_000_000_000))")
        let added = try await client.call(
            "POST", "/v1/conversations/\(room)/members", token: owner.token, json: ["user": user.id, "role": role])
        try #require(added.status == 201, "\(added)")
        return user.id
    }

    /// A fresh message by the owner; returns its id.
    func ownerMessage() async throws -> String {
        let message = try await client.send("seed again", to: room, as: owner)
        return try #require(message["id"] as? String)
    }

    /// A fresh attachment of the owner, uploaded and sent in `room`; returns its id.
    func ownerAttachment() async throws -> String {
        let slot = try await client.uploadSlot(in: room, as: owner, fileName: "a.png", contentType: "image/png", size: 3)
        let uploaded = try await client.upload(Data([1, 2, 3]), to: slot)
        try #require(uploaded.status == 200, "\(uploaded)")
        let sent = try await client.send("with a file", attachments: [slot.id], to: room, as: owner)
        try #require(sent.status == 201, "\(sent)")
        return slot.id
    }

    /// Everything a refused call must leave unchanged: the owner's view of the log and the
    /// members, and the owner's sessions.
    func snapshot() async throws -> String {
        let events = try await client.call("GET", "/v1/conversations/\(room)/events?after=0&limit=500", token: owner.token)
        let members = try await client.call("GET", "/v1/conversations/\(room)/members", token: owner.token)
        let sessions = try await client.call("GET", "/v1/sessions", token: owner.token)
        let ids = (sessions["sessions"] as? [[String: Any]])?.compactMap { $0["id"] as? String }.sorted() ?? []
        return events.text + members.text + ids.joined(separator: ",")
    }

    func perform(_ call: AuthorizationMatrixTests.Call, route: AuthorizationMatrixTests.Route, token: String?) async throws -> Answer {
        var json: Any?
        if let body = call.json { json = body }
        if let body = call.jsonInt { json = body }
        if let body = call.jsonBool { json = body }
        if route.name == "POST /v1/conversations/{id}/attachments" {
            json = ["fileName": "photo.png", "contentType": "image/png", "size": 3] as [String: Any]
        }
        if route.name == "POST /v1/conversations" {
            json = ["kind": "group", "title": "mine", "members": call.jsonArray?["members"] ?? []] as [String: Any]
        }
        return try await client.call(call.method, call.path, token: token, json: json)
    }
}
