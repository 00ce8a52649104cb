import Foundation
import Hummingbird
import MessagingCore

// Moderation over HTTP: kicks with a reason, bans, slow mode, mutes, pins, and block lists.
extension ChatAPI {
    struct ReasonBody: RequestBody {
        static let fields = ["reason"]
        let reason: String?
    }

    struct SlowModeBody: RequestBody {
        static let fields = ["seconds"]
        let seconds: Int64
    }

    struct MuteBody: RequestBody {
        static let fields = ["until"]
        let until: Int64?
    }

    func moderationRoutes() -> [APIRoute] {
        [
            APIRoute(method: .post, path: "/v1/conversations/:id/members/:userId/kick", handler: kick),
            APIRoute(method: .get, path: "/v1/conversations/:id/bans", handler: listBans),
            APIRoute(method: .put, path: "/v1/conversations/:id/bans/:userId", handler: ban),
            APIRoute(method: .delete, path: "/v1/conversations/:id/bans/:userId", handler: unban),
            APIRoute(method: .put, path: "/v1/conversations/:id/slow-mode", handler: setSlowMode),
            APIRoute(method: .put, path: "/v1/conversations/:id/mute", handler: mute),
            APIRoute(method: .delete, path: "/v1/conversations/:id/mute", handler: unmute),
            APIRoute(method: .get, path: "/v1/conversations/:id/pins", handler: listPins),
            APIRoute(method: .put, path: "/v1/conversations/:id/pins/:messageId", handler: pin),
            APIRoute(method: .delete, path: "/v1/conversations/:id/pins/:messageId", handler: unpin),
            APIRoute(method: .get, path: "/v1/blocks", handler: listBlocks),
            APIRoute(method: .put, path: "/v1/blocks/:userId", handler: block),
            APIRoute(method: .delete, path: "/v1/blocks/:userId", handler: unblock),
        ]
    }

    // MARK: Kicks and bans

    @Sendable func kick(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let id = try context.identifier("id", as: ConversationID.self)
        let user = try context.identifier("userId", as: UserID.self)
        let body = try await request.decodeJSON(ReasonBody.self, limit: limits.maxRequestBodyBytes, emptyAllowed: true)
        try await messaging.moderation.kick(user, from: id, reason: body.reason, by: principal.userID)
        return noContent()
    }

    @Sendable func listBans(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let query = try QueryInput(request, allowed: ["after", "limit"])
        let limit = try query.integer("limit", in: 1...1000, default: 200)!
        let after = try query.identifier("after", as: UserID.self)
        let principal = try await principal(request)
        try admit(.query, user: principal.userID, context: context)
        let id = try context.identifier("id", as: ConversationID.self)
        let bans = try await messaging.moderation.bans(of: id, for: principal.userID, after: after, limit: Int(limit))
        return try json(JSONObject(["bans": bans.map(BanJSON.init)]))
    }

    @Sendable func ban(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let id = try context.identifier("id", as: ConversationID.self)
        let user = try context.identifier("userId", as: UserID.self)
        let body = try await request.decodeJSON(ReasonBody.self, limit: limits.maxRequestBodyBytes, emptyAllowed: true)
        let ban = try await messaging.moderation.ban(user, from: id, reason: body.reason, by: principal.userID)
        context.logger.info("user banned", metadata: ["conversation": "\(id)", "user": "\(user)", "by": "\(principal.userID)"])
        return try json(JSONObject(["ban": BanJSON(ban)]))
    }

    @Sendable func unban(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let id = try context.identifier("id", as: ConversationID.self)
        let user = try context.identifier("userId", as: UserID.self)
        try await messaging.moderation.unban(user, in: id, by: principal.userID)
        return noContent()
    }

    // MARK: Slow mode and mutes

    @Sendable func setSlowMode(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let id = try context.identifier("id", as: ConversationID.self)
        let body = try await request.decodeJSON(SlowModeBody.self, limit: limits.maxRequestBodyBytes)
        guard (0...Int64(ModerationLimits.maxSlowModeSeconds)).contains(body.seconds) else {
            throw APIError.invalidField("seconds", "must be between 0 (off) and \(ModerationLimits.maxSlowModeSeconds)")
        }
        let conversation = try await messaging.moderation.setSlowMode(Int(body.seconds), of: id, by: principal.userID)
        return try json(JSONObject(["conversation": ConversationJSON(conversation)]))
    }

    @Sendable func mute(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let id = try context.identifier("id", as: ConversationID.self)
        let body = try await request.decodeJSON(MuteBody.self, limit: limits.maxRequestBodyBytes, emptyAllowed: true)
        let until = body.until.map { Timestamp(millisecondsSince1970: $0) } ?? .forever
        let member = try await messaging.conversations.mute(id, until: until, by: principal.userID)
        return try json(MuteJSON(member))
    }

    @Sendable func unmute(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let id = try context.identifier("id", as: ConversationID.self)
        _ = try await messaging.conversations.mute(id, until: nil, by: principal.userID)
        return noContent()
    }

    // MARK: Pins

    @Sendable func listPins(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        _ = try QueryInput(request, allowed: [])
        let principal = try await principal(request)
        try admit(.query, user: principal.userID, context: context)
        let id = try context.identifier("id", as: ConversationID.self)
        let pins = try await messaging.moderation.pins(of: id, for: principal.userID)
        var items: [PinJSON] = []
        for pin in pins {
            let detail = try await messaging.messages.message(pin.messageID, in: id, for: principal.userID)
            items.append(PinJSON(pin, message: detail))
        }
        return try json(JSONObject(["pins": items]))
    }

    @Sendable func pin(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let id = try context.identifier("id", as: ConversationID.self)
        let messageID = try context.identifier("messageId", as: MessageID.self)
        _ = try await request.decodeJSON(EmptyBody.self, limit: limits.maxRequestBodyBytes, emptyAllowed: true)
        try await requireMessage(messageID, in: id, for: principal.userID)
        let pin = try await messaging.moderation.pin(messageID, by: principal.userID)
        let detail = try await messaging.messages.message(messageID, in: id, for: principal.userID)
        return try json(JSONObject(["pin": PinJSON(pin, message: detail)]))
    }

    @Sendable func unpin(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let id = try context.identifier("id", as: ConversationID.self)
        let messageID = try context.identifier("messageId", as: MessageID.self)
        try await requireMessage(messageID, in: id, for: principal.userID)
        try await messaging.moderation.unpin(messageID, by: principal.userID)
        return noContent()
    }

    // MARK: Blocks

    @Sendable func listBlocks(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        _ = try QueryInput(request, allowed: [])
        let principal = try await principal(request)
        try admit(.query, user: principal.userID, context: context)
        let blocks = try await messaging.blocks.blocks(of: principal.userID)
        return try json(JSONObject(["blocks": blocks.map(BlockJSON.init)]))
    }

    @Sendable func block(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let user = try context.identifier("userId", as: UserID.self)
        _ = try await request.decodeJSON(EmptyBody.self, limit: limits.maxRequestBodyBytes, emptyAllowed: true)
        let block = try await messaging.blocks.block(user, by: principal.userID)
        // This node's live connections of the caller withhold the user's messages from now on
        // (other nodes learn of it from the session feed).
        await blockListChanged(principal.userID)
        return try json(JSONObject(["block": BlockJSON(block)]))
    }

    @Sendable func unblock(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let user = try context.identifier("userId", as: UserID.self)
        try await messaging.blocks.unblock(user, by: principal.userID)
        await blockListChanged(principal.userID)
        return noContent()
    }
}

/// A ban as the API shows it.
struct BanJSON: Encodable, Sendable {
    let conversation: String
    let user: String
    let bannedBy: String
    let reason: String?
    let bannedAt: Int64

    init(_ ban: ConversationBan) {
        conversation = ban.conversationID.description
        user = ban.userID.description
        bannedBy = ban.bannedBy.description
        reason = ban.reason
        bannedAt = ban.bannedAt.millisecondsSince1970
    }
}

/// One entry of the caller's block list.
struct BlockJSON: Encodable, Sendable {
    let user: String
    let createdAt: Int64

    init(_ block: UserBlock) {
        user = block.blockedID.description
        createdAt = block.createdAt.millisecondsSince1970
    }
}

/// The caller's mute of a conversation (`mutedUntil` absent: for good).
struct MuteJSON: Encodable, Sendable {
    let conversation: String
    let muted: Bool
    let mutedUntil: Int64?

    init(_ member: Member) {
        conversation = member.conversationID.description
        muted = member.mutedUntil != nil
        mutedUntil = member.mutedUntil.flatMap { $0 == .forever ? nil : $0.millisecondsSince1970 }
    }
}

/// A pinned message with the message as the caller reads it.
struct PinJSON: Encodable, Sendable {
    let message: MessageJSON
    let pinnedBy: String
    let pinnedAt: Int64

    init(_ pin: PinnedMessage, message: MessageDetail) {
        self.message = MessageJSON(message)
        pinnedBy = pin.pinnedBy.description
        pinnedAt = pin.pinnedAt.millisecondsSince1970
    }
}
