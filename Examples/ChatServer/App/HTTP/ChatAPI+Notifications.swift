import Foundation
import Hummingbird
import MessagingCore

// Notification records and device push tokens over HTTP.
extension ChatAPI {
    struct MarkNotificationsBody: RequestBody {
        static let fields = ["ids"]
        let ids: [String]?
    }

    struct PushTokenBody: RequestBody {
        static let fields = ["platform", "token", "sandbox"]
        let platform: String
        let token: String
        let sandbox: Bool?
    }

    func notificationRoutes() -> [APIRoute] {
        [
            APIRoute(method: .get, path: "/v1/notifications", handler: listNotifications),
            APIRoute(method: .post, path: "/v1/notifications/read", handler: markNotificationsRead),
            APIRoute(method: .get, path: "/v1/me/push-tokens", handler: listPushTokens),
            APIRoute(method: .put, path: "/v1/me/push-tokens/:deviceId", handler: registerPushToken),
            APIRoute(method: .delete, path: "/v1/me/push-tokens/:deviceId", handler: removePushToken),
        ]
    }

    /// The caller's notification records, newest first, with the unread count.
    @Sendable func listNotifications(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let query = try QueryInput(request, allowed: ["before", "limit"])
        let before = try query.identifier("before", as: NotificationID.self)
        let limit = try query.integer("limit", in: 1...Int64(NotificationLimits.maxPageSize), default: 50)!
        let principal = try await principal(request)
        try admit(.query, user: principal.userID, context: context)
        let page = try await messaging.notifications.notifications(of: principal.userID, before: before, limit: Int(limit))
        return try json(JSONObject([
            "notifications": page.notifications.map(NotificationJSON.init), "hasMore": page.hasMore, "unread": page.unread,
        ]))
    }

    /// Marks the caller's records with `ids` read, or all of them without `ids`.
    @Sendable func markNotificationsRead(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let body = try await request.decodeJSON(MarkNotificationsBody.self, limit: limits.maxRequestBodyBytes, emptyAllowed: true)
        var ids: [NotificationID]?
        if let texts = body.ids {
            guard texts.count <= NotificationLimits.maxPageSize else {
                throw APIError.invalidField(
                    "ids", "may list at most \(NotificationLimits.maxPageSize) notifications; leave it out to mark every one read")
            }
            ids = try texts.enumerated().map { index, text in try identifier(text, field: "ids[\(index)]", as: NotificationID.self) }
        }
        let marked = try await messaging.notifications.markRead(ids, by: principal.userID)
        let unread = try await messaging.notifications.notifications(of: principal.userID, limit: 1).unread
        return try json(JSONObject(["marked": marked, "unread": unread]))
    }

    /// The caller's registered push tokens (the token itself is never echoed).
    @Sendable func listPushTokens(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        _ = try QueryInput(request, allowed: [])
        let principal = try await principal(request)
        try admit(.query, user: principal.userID, context: context)
        let tokens = try await messaging.notifications.pushTokens(of: principal.userID)
        return try json(JSONObject(["pushTokens": tokens.map(PushTokenJSON.init)]))
    }

    /// Registers or refreshes the push token of one of the caller's devices.
    @Sendable func registerPushToken(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let device = try context.identifier("deviceId", as: DeviceID.self)
        let body = try await request.decodeJSON(PushTokenBody.self, limit: limits.maxRequestBodyBytes)
        guard let platform = PushPlatform(rawValue: body.platform) else {
            throw APIError.invalidField("platform", "must be \"apns\" or \"fcm\"")
        }
        let token = try await messaging.notifications.registerPushToken(
            body.token, platform: platform, sandbox: body.sandbox ?? false, device: device, by: principal.userID)
        return try json(JSONObject(["pushToken": PushTokenJSON(token)]))
    }

    /// Removes the push token of one of the caller's devices (idempotent).
    @Sendable func removePushToken(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let device = try context.identifier("deviceId", as: DeviceID.self)
        try await messaging.notifications.removePushToken(device: device, by: principal.userID)
        return noContent()
    }
}

/// One notification record, as `GET /v1/notifications` lists it.
struct NotificationJSON: Encodable, Sendable {
    let id: String
    let conversation: String
    let reason: String
    let firstSeq: Int64
    let latestSeq: Int64
    let message: String?
    let count: Int
    let createdAt: Int64
    let readAt: Int64?

    init(_ record: NotificationRecord) {
        id = record.id.description
        conversation = record.conversationID.description
        reason = record.reason.rawValue
        firstSeq = record.firstSeq
        latestSeq = record.latestSeq
        message = record.messageID?.description
        count = record.count
        createdAt = record.createdAt.millisecondsSince1970
        readAt = record.readAt?.millisecondsSince1970
    }
}

/// One registered push token, without the token itself.
struct PushTokenJSON: Encodable, Sendable {
    let device: String
    let platform: String
    let sandbox: Bool
    let updatedAt: Int64

    init(_ token: PushToken) {
        device = token.deviceID.description
        platform = token.platform.rawValue
        sandbox = token.sandbox
        updatedAt = token.updatedAt.millisecondsSince1970
    }
}
