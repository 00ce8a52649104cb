import Foundation
import MessagingCore
@testable import MessagingTransport
import Testing

/// Every realtime request × every kind of caller.
@Suite("Gateway: authorization matrix")
struct AuthorizationMatrixTests {
    enum Caller: String, CaseIterable, Sendable {
        case owner, admin, member, removedMember, bannedMember, nonMember
    }

    static let requests = [
        "subscribe", "ack", "send", "history", "replies", "read", "typing", "react", "unreact", "edit", "delete", "presence", "watch",
        "unwatch", "unsubscribe", "feed.subscribe", "feed.unsubscribe", "receipts",
    ]

    /// What each caller gets: "ok" or an error code.
    static func expected(_ request: String, _ caller: Caller) -> String {
        switch caller {
        case .owner:
            return "ok"
        case .admin:
            return request == "edit" ? "forbidden" : "ok"
        case .member:
            return request == "edit" || request == "delete" ? "forbidden" : "ok"
        case .removedMember, .bannedMember, .nonMember:
            switch request {
            // Their own feed: it says they left or were removed, and nothing of the conversation.
            case "presence", "watch", "unwatch", "feed.subscribe", "feed.unsubscribe": return "ok"
            case "ack", "unsubscribe": return "not_subscribed"
            default: return "not_found"
            }
        }
    }

    @Test("members by role, removed members and non-members", arguments: Caller.allCases)
    func callers(_ caller: Caller) async throws {
        try await Harness.with { h in
            let owner = try await h.user("owner")
            let admin = try await h.user("admin")
            let member = try await h.user("member")
            let removed = try await h.user("removed")
            let banned = try await h.user("banned")
            let outsider = try await h.user("outsider")
            let room = try await h.group(owner, [admin, member, removed, banned])
            _ = try await h.messaging.conversations.changeRole(of: admin.id, to: .admin, in: room, by: owner.id)
            try await h.messaging.conversations.removeMember(removed.id, from: room, by: owner.id)
            _ = try await h.messaging.moderation.ban(banned.id, from: room, reason: "spam", by: owner.id)
            let target = try await h.sendDirect("the owner's message", to: room, by: owner)
            let doomed = try await h.sendDirect("to be deleted", to: room, by: owner)
            let user: TestUser = switch caller {
            case .owner: owner
            case .admin: admin
            case .member: member
            case .removedMember: removed
            case .bannedMember: banned
            case .nonMember: outsider
            }
            let client = try await h.connect(as: user)
            var caughtUp: Int64 = 0
            for request in Self.requests {
                var fields: [String: any Sendable] = ["type": request, "conversation": "\(room)"]
                switch request {
                case "subscribe": fields["after"] = 0
                case "ack": fields["seq"] = Int(caughtUp)
                case "send":
                    fields["clientMessageId"] = "m-\(caller)"
                    fields["text"] = "hello"
                case "read": fields["seq"] = 1
                case "replies": fields["message"] = "\(target.id)"
                case "typing": fields["typing"] = true
                case "react", "unreact":
                    fields = ["type": request, "message": "\(target.id)", "emoji": "🎉"]
                case "edit": fields = ["type": request, "message": "\(target.id)", "text": "edited by \(caller)"]
                case "delete": fields = ["type": request, "message": "\(doomed.id)"]
                case "presence": fields = ["type": request, "activity": "active"]
                case "watch", "unwatch": fields = ["type": request, "users": ["\(owner.id)"]]
                case "feed.subscribe": fields = ["type": request, "after": 0]
                case "feed.unsubscribe": fields = ["type": request]
                default: break
                }
                let answer = try await client.request(fields)
                if request == "subscribe", let seq = answer["result"]?["seq"]?.int { caughtUp = seq }
                if request == "feed.subscribe" {
                    // Each caller's own feed only: joined (+ promoted, + removed), nothing of the others.
                    let head: Int64 = switch caller {
                    case .owner, .member: 1
                    case .admin, .removedMember, .bannedMember: 2
                    case .nonMember: 0
                    }
                    #expect(answer["result"]?["seq"]?.int == head, "\(caller) feed: \(answer)")
                }
                if request == "watch", answer["type"]?.string == "ok" {
                    // Only users the caller shares a conversation with are visible.
                    let visible = answer["result"]?["presence"]?.array?.count ?? -1
                    #expect(visible == ([.nonMember, .removedMember, .bannedMember].contains(caller) ? 0 : 1), "\(caller) watch: \(answer)")
                }
                let outcome = answer["type"]?.string == "ok" ? "ok" : (answer["code"]?.string ?? "\(answer)")
                #expect(outcome == Self.expected(request, caller), "\(caller) \(request): \(answer)")
            }
            // Nothing a refused caller asked for changed the conversation.
            if [.removedMember, .bannedMember, .nonMember].contains(caller) {
                let messages = try await h.messaging.messages.history(of: room, for: owner.id).messages
                #expect(messages.count == 2)
                #expect(messages.allSatisfy { $0.senderID == owner.id && $0.editedAt == nil && $0.deletedAt == nil })
            }
        }
    }

    enum Unauthenticated: String, CaseIterable, Sendable {
        case noToken, expiredToken, revokedSession
    }

    @Test("no token, an expired token or a revoked session: every request is refused with 4401", arguments: Unauthenticated.allCases)
    func unauthenticated(_ kind: Unauthenticated) async throws {
        try await Harness.with { h in
            let owner = try await h.user("owner")
            let room = try await h.group(owner, [])
            let target = try await h.sendDirect("x", to: room, by: owner)
            if kind == .revokedSession {
                try await h.auth.revokeSession(owner.sessionID, by: try await h.tokens.verify(owner.token))
                try await Task.sleep(for: .milliseconds(50))
            }
            if kind == .expiredToken { h.tokenClock.advance(milliseconds: 7_200_000) }
            for request in Self.requests {
                let client = try h.connect()
                if kind != .noToken { try await client.send(["type": "auth", "id": "a", "token": owner.token]) }
                var fields: [String: any Sendable] = ["type": request, "id": "q", "conversation": "\(room)"]
                switch request {
                case "ack", "read": fields["seq"] = 1
                case "replies": fields["message"] = "\(target.id)"
                case "send": fields["clientMessageId"] = "z"; fields["text"] = "x"
                case "typing": fields["typing"] = true
                case "react", "unreact", "edit", "delete":
                    fields = ["type": request, "id": "q", "message": "\(target.id)", "emoji": "🎉"]
                    if request == "edit" { fields = ["type": request, "id": "q", "message": "\(target.id)", "text": "y"] }
                    if request == "delete" { fields = ["type": request, "id": "q", "message": "\(target.id)"] }
                case "presence": fields = ["type": request, "id": "q"]
                case "watch", "unwatch": fields = ["type": request, "id": "q", "users": ["\(owner.id)"]]
                case "feed.subscribe", "feed.unsubscribe": fields = ["type": request, "id": "q"]
                default: break
                }
                try? await client.send(fields)
                let (close, frames) = try await client.closed()
                #expect(close?.code == .unauthorized, "\(kind) \(request)")
                #expect(!frames.contains { $0["type"]?.string == "ok" || $0["type"]?.string == "ready" }, "\(kind) \(request)")
                #expect(frames.contains { $0["code"]?.string == "unauthorized" }, "\(kind) \(request)")
            }
            let messages = try await h.messaging.messages.history(of: room, for: owner.id).messages
            #expect(messages.count == 1 && messages[0].editedAt == nil && messages[0].deletedAt == nil)
        }
    }
}
