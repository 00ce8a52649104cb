import Foundation
import Hummingbird
import MessagingCore

extension ChatAPI {
    struct CreateConversationBody: RequestBody {
        static let fields = ["kind", "title", "topic", "members", "encrypted"]
        let kind: String
        let title: String?
        let topic: String?
        let members: [String]
        let encrypted: Bool?
    }

    struct UpdateConversationBody: RequestBody {
        static let fields = ["title", "topic"]
        let title: String?
        let topic: String?
    }

    struct AddMemberBody: RequestBody {
        static let fields = ["user", "role"]
        let user: String
        let role: String?
    }

    struct RoleBody: RequestBody {
        static let fields = ["role"]
        let role: String
    }

    func conversationRoutes() -> [APIRoute] {
        [
            APIRoute(method: .post, path: "/v1/conversations", handler: createConversation),
            APIRoute(method: .get, path: "/v1/conversations", handler: listConversations),
            APIRoute(method: .get, path: "/v1/conversations/:id", handler: getConversation),
            APIRoute(method: .patch, path: "/v1/conversations/:id", handler: updateConversation),
            APIRoute(method: .delete, path: "/v1/conversations/:id", handler: deleteConversation),
            APIRoute(method: .get, path: "/v1/conversations/:id/members", handler: listMembers),
            APIRoute(method: .post, path: "/v1/conversations/:id/members", handler: addMember),
            APIRoute(method: .delete, path: "/v1/conversations/:id/members/:userId", handler: removeMember),
            APIRoute(method: .put, path: "/v1/conversations/:id/members/:userId/role", handler: changeRole),
            APIRoute(method: .post, path: "/v1/conversations/:id/leave", handler: leave),
        ]
    }

    @Sendable func createConversation(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        let body = try await request.decodeJSON(CreateConversationBody.self, limit: limits.maxRequestBodyBytes)
        guard body.members.count <= 1000 else {
            throw APIError.invalidField("members", "may list at most 1,000 users; add more later with POST /v1/conversations/{id}/members")
        }
        var members: [UserID] = []
        for (index, text) in body.members.enumerated() {
            members.append(try identifier(text, field: "members[\(index)]", as: UserID.self))
        }
        let spec: NewConversation
        switch body.kind {
        case "direct":
            let others = Set(members).subtracting([principal.userID])
            guard others.count == 1, body.title == nil, body.topic == nil else {
                throw APIError.invalidField("members", "of a direct conversation must name exactly one other user, and a direct conversation has no title or topic")
            }
            spec = .direct(with: others.first!)
        case "group":
            spec = .group(title: body.title, topic: body.topic, members: members)
        case "channel":
            // Only owners and admins post in a channel (PermissionTable.postInChannel); it needs a title.
            guard let title = body.title else {
                throw APIError.invalidField("title", "is required for a channel; give a non-empty one")
            }
            spec = .channel(title: title, topic: body.topic, members: members)
        default:
            throw APIError.invalidField("kind", "must be \"direct\", \"group\" or \"channel\"")
        }
        let conversation = try await messaging.conversations.create(
            spec, by: principal.userID, encrypted: body.encrypted ?? false)
        context.logger.info("conversation created", metadata: ["conversation": "\(conversation.id)", "user": "\(principal.userID)"])
        return try json(JSONObject(["conversation": ConversationJSON(conversation)]), status: .created)
    }

    @Sendable func listConversations(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let query = try QueryInput(request, allowed: ["limit", "cursor"])
        let limit = try query.integer("limit", in: 1...Int64(limits.messaging.maxConversationPage), default: 50)!
        var cursor: ConversationCursor?
        if let text = query.string("cursor") {
            guard let parsed = ConversationCursor(text) else {
                throw APIError.invalidParameter("cursor", "is not a cursor; pass the nextCursor of the previous page unchanged")
            }
            cursor = parsed
        }
        let principal = try await principal(request)
        let page = try await messaging.conversations.conversations(of: principal.userID, after: cursor, limit: Int(limit))
        let items = page.conversations.map { summary in
            JSONObject([
                "conversation": ConversationJSON(summary.conversation), "role": summary.membership.role.rawValue,
                "readSeq": summary.membership.readSeq, "muted": summary.membership.isMuted(at: clock.now()),
                "mutedUntil": summary.membership.mutedUntil.flatMap {
                    $0 == .forever || $0 <= clock.now() ? nil : $0.millisecondsSince1970
                },
            ])
        }
        return try json(JSONObject(["conversations": items, "nextCursor": page.nextCursor?.description]))
    }

    @Sendable func getConversation(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        _ = try QueryInput(request, allowed: [])
        let principal = try await principal(request)
        let id = try context.identifier("id", as: ConversationID.self)
        let conversation = try await messaging.conversations.conversation(id, for: principal.userID)
        return try json(JSONObject(["conversation": ConversationJSON(conversation)]))
    }

    @Sendable func updateConversation(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        let id = try context.identifier("id", as: ConversationID.self)
        let body = try await request.decodeJSON(UpdateConversationBody.self, limit: limits.maxRequestBodyBytes)
        guard body.title != nil || body.topic != nil else {
            throw APIError(.badRequest, code: "missing_field", message: "Give at least one of 'title' and 'topic' (an empty string clears it).")
        }
        let conversation = try await messaging.conversations.update(
            id, with: ConversationChanges(title: body.title, topic: body.topic), by: principal.userID)
        return try json(JSONObject(["conversation": ConversationJSON(conversation)]))
    }

    @Sendable func listMembers(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let query = try QueryInput(request, allowed: ["after", "limit"])
        let limit = try query.integer("limit", in: 1...1000, default: 200)!
        let after = try query.identifier("after", as: UserID.self)
        let principal = try await principal(request)
        let id = try context.identifier("id", as: ConversationID.self)
        let members = try await messaging.conversations.members(of: id, for: principal.userID, after: after, limit: Int(limit))
        return try json(JSONObject(["members": members.map(MemberJSON.init)]))
    }

    @Sendable func addMember(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        let id = try context.identifier("id", as: ConversationID.self)
        let body = try await request.decodeJSON(AddMemberBody.self, limit: limits.maxRequestBodyBytes)
        let user = try identifier(body.user, field: "user", as: UserID.self)
        let role = try body.role.map { try Self.role($0) } ?? .member
        let member = try await messaging.conversations.addMember(user, role: role, to: id, by: principal.userID)
        return try json(JSONObject(["member": MemberJSON(member)]), status: .created)
    }

    @Sendable func removeMember(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        let id = try context.identifier("id", as: ConversationID.self)
        let user = try context.identifier("userId", as: UserID.self)
        try await messaging.conversations.removeMember(user, from: id, by: principal.userID)
        return noContent()
    }

    @Sendable func changeRole(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        let id = try context.identifier("id", as: ConversationID.self)
        let user = try context.identifier("userId", as: UserID.self)
        let body = try await request.decodeJSON(RoleBody.self, limit: limits.maxRequestBodyBytes)
        let member = try await messaging.conversations.changeRole(of: user, to: try Self.role(body.role), in: id, by: principal.userID)
        return try json(JSONObject(["member": MemberJSON(member)]))
    }

    @Sendable func leave(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        let id = try context.identifier("id", as: ConversationID.self)
        _ = try await request.decodeJSON(EmptyBody.self, limit: limits.maxRequestBodyBytes, emptyAllowed: true)
        try await messaging.conversations.leave(id, by: principal.userID)
        return noContent()
    }

    static func role(_ text: String) throws(APIError) -> Role {
        guard let role = Role(rawValue: text) else {
            throw APIError.invalidField("role", "must be \"member\", \"admin\" or \"owner\"")
        }
        return role
    }

    @Sendable func deleteConversation(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        _ = try QueryInput(request, allowed: [])
        let principal = try await principal(request)
        let id = try context.identifier("id", as: ConversationID.self)
        try await messaging.conversations.delete(id, by: principal.userID)
        context.logger.notice("conversation deleted", metadata: ["conversation": "\(id)", "user": "\(principal.userID)"])
        return noContent()
    }
}
