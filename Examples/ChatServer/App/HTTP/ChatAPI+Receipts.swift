import Foundation
import Hummingbird
import MessagingCore
import MessagingDelivery

extension ChatAPI {
    struct SettingsBody: RequestBody {
        static let fields = ["hideReadReceipts"]
        let hideReadReceipts: Bool
    }

    func receiptRoutes() -> [APIRoute] {
        [
            APIRoute(method: .get, path: "/v1/conversations/:id/receipts", handler: receipts),
            APIRoute(method: .get, path: "/v1/me/settings", handler: settings),
            APIRoute(method: .put, path: "/v1/me/settings", handler: updateSettings),
        ]
    }

    /// The members' read and delivered positions (Protocol.md §3 `receipts`), by user id.
    @Sendable func receipts(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let query = try QueryInput(request, allowed: ["after", "limit"])
        let after = try query.identifier("after", as: UserID.self)
        let limit = try query.integer("limit", in: 1...1000, default: 200)!
        let principal = try await principal(request)
        try admit(.query, user: principal.userID, context: context)
        let id = try context.identifier("id", as: ConversationID.self)
        let receipts = try await messaging.readState.receipts(in: id, for: principal.userID, after: after, limit: Int(limit))
        return try json(JSONObject(["receipts": receipts.map(WireMemberReceiptJSON.init)]))
    }

    @Sendable func settings(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        _ = try QueryInput(request, allowed: [])
        let principal = try await principal(request)
        let settings = try await messaging.users.settings(of: principal.userID)
        return try json(JSONObject(["hideReadReceipts": settings.hidesReadReceipts]))
    }

    @Sendable func updateSettings(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        let body = try await request.decodeJSON(SettingsBody.self, limit: limits.maxRequestBodyBytes)
        let settings = try await messaging.users.updateSettings(
            UserSettings(hidesReadReceipts: body.hideReadReceipts), of: principal.userID)
        return try json(JSONObject(["hideReadReceipts": settings.hidesReadReceipts]))
    }
}
