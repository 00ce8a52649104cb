import Foundation
import Hummingbird
import MessagingCore

/// A conversation's retention policy as the API shows it.
struct RetentionJSON: Encodable, Sendable {
    let retentionDays: Int
    let setBy: String
    let setAt: Int64

    init(_ policy: RetentionPolicy) {
        retentionDays = policy.days
        setBy = policy.setBy.description
        setAt = policy.setAt.millisecondsSince1970
    }
}

extension ChatAPI {
    struct RetentionBody: RequestBody {
        static let fields = ["retentionDays"]
        let retentionDays: Int
    }

    func retentionRoutes() -> [APIRoute] {
        [
            APIRoute(method: .get, path: "/v1/conversations/:id/retention", handler: getRetention),
            APIRoute(method: .put, path: "/v1/conversations/:id/retention", handler: setRetention),
            APIRoute(method: .delete, path: "/v1/conversations/:id/retention", handler: removeRetention),
        ]
    }

    @Sendable func getRetention(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        _ = try QueryInput(request, allowed: [])
        let principal = try await principal(request)
        let id = try context.identifier("id", as: ConversationID.self)
        let policy = try await messaging.retention.policy(of: id, for: principal.userID)
        return try json(JSONObject(["retention": policy.map(RetentionJSON.init)]))
    }

    @Sendable func setRetention(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        let id = try context.identifier("id", as: ConversationID.self)
        let body = try await request.decodeJSON(RetentionBody.self, limit: limits.maxRequestBodyBytes)
        let policy = try await messaging.retention.setPolicy(days: body.retentionDays, of: id, by: principal.userID)
        context.logger.info(
            "retention policy set", metadata: ["conversation": "\(id)", "user": "\(principal.userID)", "days": "\(body.retentionDays)"])
        return try json(JSONObject(["retention": policy.map(RetentionJSON.init)]))
    }

    @Sendable func removeRetention(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        _ = try QueryInput(request, allowed: [])
        let principal = try await principal(request)
        let id = try context.identifier("id", as: ConversationID.self)
        try await messaging.retention.setPolicy(days: nil, of: id, by: principal.userID)
        context.logger.info("retention policy removed", metadata: ["conversation": "\(id)", "user": "\(principal.userID)"])
        return noContent()
    }
}
