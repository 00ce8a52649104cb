import Foundation
import Hummingbird
import MessagingCore

extension ChatAPI {
    func queryRoutes() -> [APIRoute] {
        [
            APIRoute(method: .get, path: "/v1/users/:handle", handler: userByHandle),
            APIRoute(method: .get, path: "/v1/search", handler: search),
            APIRoute(method: .get, path: "/v1/unread", handler: unread),
            APIRoute(method: .get, path: "/v1/feed", handler: feed),
        ]
    }

    @Sendable func userByHandle(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        _ = try QueryInput(request, allowed: [])
        _ = try await principal(request)
        // A handle (3–32 characters) or a user id (a 36-character UUID): clients resolve
        // the ids in messages and events to handles with it.
        let handle = try context.decodedParameter("handle")
        let user: User
        if handle.count == 36, let id = UserID(handle) {
            user = try await messaging.users.user(id: id)
        } else {
            user = try await messaging.users.user(handle: handle)
        }
        return try json(JSONObject(["user": UserJSON(user)]))
    }

    @Sendable func search(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let query = try QueryInput(request, allowed: ["q", "conversation", "limit"])
        guard let text = query.string("q"), !text.isEmpty else {
            throw APIError(.badRequest, code: "missing_field", message: "Give the words to search for in the 'q' parameter.")
        }
        let conversation = try query.identifier("conversation", as: ConversationID.self)
        let limit = try query.integer("limit", in: 1...Int64(limits.messaging.maxSearchPage), default: 20)!
        let principal = try await principal(request)
        try admit(.query, user: principal.userID, context: context)
        let page = try await messaging.search.search(text, in: conversation, for: principal.userID, limit: Int(limit))
        let results = page.hits.map { JSONObject(["message": MessageJSON($0.message), "score": $0.score]) }
        return try json(JSONObject([
            "results": results, "excludedEncryptedConversations": page.excludedEncryptedConversations,
        ]))
    }

    @Sendable func unread(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        _ = try QueryInput(request, allowed: [])
        let principal = try await principal(request)
        let counts = try await messaging.readState.unreadCounts(for: principal.userID)
        let items = counts.map {
            JSONObject(["conversation": $0.conversationID.description, "unread": $0.count, "readSeq": $0.readSeq])
        }
        return try json(JSONObject(["conversations": items]))
    }

    /// The caller's own feed (Protocol.md §4a) after a position: what a client without a
    /// realtime connection polls to keep its conversation list current.
    @Sendable func feed(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let query = try QueryInput(request, allowed: ["after", "limit"])
        let after = try query.integer("after", in: 0...Int64.max, default: 0)!
        let limit = try query.integer("limit", in: 1...Int64(limits.messaging.maxEventPage), default: 200)!
        let principal = try await principal(request)
        try admit(.query, user: principal.userID, context: context)
        let page = try await messaging.feed.events(for: principal.userID, after: after, limit: Int(limit))
        return try json(JSONObject([
            "entries": page.events.map(FeedEntryJSON.init), "nextAfter": page.events.last?.seq ?? after,
            "hasMore": page.hasMore, "seq": page.head,
        ]))
    }
}
