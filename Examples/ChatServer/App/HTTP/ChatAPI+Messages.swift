import Foundation
import Hummingbird
import MessagingCore
import MessagingDelivery

extension ChatAPI {
    struct SendBody: RequestBody {
        static let fields = [
            "clientMessageId", "body", "mentions", "ciphertext", "epoch", "senderDevice", "replyTo", "threadRoot", "attachments",
        ]
        let clientMessageId: String
        let body: String?
        let mentions: [String]?
        let ciphertext: String?
        let epoch: Int64?
        let senderDevice: String?
        let replyTo: String?
        let threadRoot: String?
        let attachments: [String]?
    }

    struct EditBody: RequestBody {
        static let fields = ["body"]
        let body: String
    }

    struct ReadBody: RequestBody {
        static let fields = ["seq"]
        let seq: Int64
    }

    func messageRoutes() -> [APIRoute] {
        [
            APIRoute(method: .get, path: "/v1/conversations/:id/messages", handler: history),
            APIRoute(method: .post, path: "/v1/conversations/:id/messages", handler: send),
            APIRoute(method: .get, path: "/v1/conversations/:id/events", handler: eventsSince),
            APIRoute(method: .post, path: "/v1/conversations/:id/read", handler: markRead),
            APIRoute(method: .put, path: "/v1/conversations/:id/messages/:messageId/reactions/:emoji", handler: react),
            APIRoute(method: .delete, path: "/v1/conversations/:id/messages/:messageId/reactions/:emoji", handler: unreact),
            APIRoute(method: .get, path: "/v1/conversations/:id/messages/:messageId", handler: readMessage),
            APIRoute(method: .get, path: "/v1/conversations/:id/messages/:messageId/replies", handler: replies),
            APIRoute(method: .patch, path: "/v1/conversations/:id/messages/:messageId", handler: edit),
            APIRoute(method: .delete, path: "/v1/conversations/:id/messages/:messageId", handler: deleteMessage),
        ]
    }

    @Sendable func history(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let query = try QueryInput(request, allowed: ["before", "limit"])
        let before = try query.integer("before", in: 1...Int64.max)
        let limit = try query.integer("limit", in: 1...Int64(limits.messaging.maxHistoryPage), default: 50)!
        let principal = try await principal(request)
        let id = try context.identifier("id", as: ConversationID.self)
        let page = try await messaging.messages.history(
            of: id, for: principal.userID, HistoryRequest(direction: .backward, cursor: before, limit: Int(limit)))
        return try json(JSONObject([
            "messages": page.details.map(MessageJSON.init), "hasMore": page.hasMore, "nextCursor": page.nextCursor,
        ]))
    }

    @Sendable func send(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let id = try context.identifier("id", as: ConversationID.self)
        // Room for the largest ciphertext the domain accepts, in base64 (4/3 of its size).
        let sendLimit = max(limits.maxRequestBodyBytes, limits.messaging.maxEncryptedBodyBytes / 3 * 4 + 8 * 1024)
        let body = try await request.decodeJSON(SendBody.self, limit: sendLimit)
        let mentions = try mentionIDs(body.mentions)
        let clientMessageID = try ClientMessageID(body.clientMessageId)
        let replyTo = try body.replyTo.map { (text) throws(APIError) in try identifier(text, field: "replyTo", as: MessageID.self) }
        let threadRoot = try body.threadRoot.map { (text) throws(APIError) in
            try identifier(text, field: "threadRoot", as: MessageID.self)
        }
        // Each named upload is checked in object storage before the send's transaction, which
        // then attaches it (same owner and conversation, not attached yet).
        let attachmentIDs = try (body.attachments ?? []).enumerated().map { (index, text) throws(APIError) in
            try identifier(text, field: "attachments[\(index)]", as: AttachmentID.self)
        }
        guard attachmentIDs.count <= limits.messaging.maxAttachments else {
            throw APIError.invalidField("attachments", "may name at most \(limits.messaging.maxAttachments) uploads")
        }
        let attachments = try await messaging.attachments.prepareForSend(attachmentIDs, in: id, by: principal.userID)
        let draft: MessageDraft
        switch (body.body, body.ciphertext) {
        case (let text?, nil):
            guard body.epoch == nil, body.senderDevice == nil else {
                throw APIError.invalidField("epoch", "and senderDevice go with a ciphertext, not with a text body")
            }
            try checkTextSize(text)
            draft = try MessageDraft(
                text: text, clientMessageID: clientMessageID, replyTo: replyTo, threadRoot: threadRoot, mentions: mentions,
                attachments: attachments, limits: limits.messaging)
        case (nil, let encoded?):
            guard let ciphertext = Data(base64Encoded: encoded) else {
                throw APIError.invalidField("ciphertext", "must be standard base64 (with padding)")
            }
            var encryption: EncryptionHeader?
            switch (body.epoch, body.senderDevice) {
            case (nil, nil): break
            case (let epoch?, let device?):
                guard epoch >= 1 else { throw APIError.invalidField("epoch", "is 1 or more") }
                encryption = EncryptionHeader(
                    epoch: UInt64(epoch), senderDeviceID: try identifier(device, field: "senderDevice", as: DeviceID.self))
            default:
                throw APIError.invalidField("epoch", "and senderDevice must be given together")
            }
            draft = try MessageDraft(
                ciphertext: ciphertext, clientMessageID: clientMessageID, replyTo: replyTo, threadRoot: threadRoot,
                mentions: mentions, attachments: attachments, encryption: encryption, limits: limits.messaging)
        default:
            throw APIError.invalidField("body", "or ciphertext: give exactly one of them")
        }
        let started = ContinuousClock.now
        // The same pipeline as realtime sends: store, answer, then publish to live subscribers.
        let receipt = try await pipeline.send(draft, to: id, by: principal.userID)
        let elapsed = started.duration(to: .now)
        metrics.sendLatency.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        context.logger.info("message sent", metadata: [
            "conversation": "\(id)", "seq": "\(receipt.message.seq)", "duplicate": "\(receipt.isDuplicate)",
        ])
        return try json(
            JSONObject(["message": MessageJSON(receipt.message), "duplicate": receipt.isDuplicate]),
            status: receipt.isDuplicate ? .ok : .created)
    }

    @Sendable func readMessage(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        _ = try QueryInput(request, allowed: [])
        let principal = try await principal(request)
        let conversation = try context.identifier("id", as: ConversationID.self)
        let message = try context.identifier("messageId", as: MessageID.self)
        // The use case checks membership and that the message is in this conversation (404 otherwise).
        let detail = try await messaging.messages.message(message, in: conversation, for: principal.userID)
        return try json(JSONObject(["message": MessageJSON(detail)]))
    }

    /// A thread's replies by keyset on `seq`, as history pages a conversation: `before`
    /// (newest first, the default) or `after` (oldest first), never both.
    @Sendable func replies(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let query = try QueryInput(request, allowed: ["before", "after", "limit"])
        let before = try query.integer("before", in: 1...Int64.max)
        let after = try query.integer("after", in: 0...Int64.max)
        let limit = try query.integer("limit", in: 1...Int64(limits.messaging.maxHistoryPage), default: 50)!
        guard before == nil || after == nil else {
            throw APIError.invalidParameter("before", "and 'after' cannot be combined; page one way at a time")
        }
        let principal = try await principal(request)
        let conversation = try context.identifier("id", as: ConversationID.self)
        let root = try context.identifier("messageId", as: MessageID.self)
        let page = after == nil
            ? HistoryRequest(direction: .backward, cursor: before, limit: Int(limit))
            : HistoryRequest(direction: .forward, cursor: after, limit: Int(limit))
        let thread = try await messaging.messages.replies(to: root, in: conversation, for: principal.userID, page)
        return try json(JSONObject([
            "root": MessageJSON(thread.root), "replies": thread.replies.details.map(MessageJSON.init),
            "hasMore": thread.replies.hasMore, "nextCursor": thread.replies.nextCursor,
        ]))
    }

    @Sendable func eventsSince(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let query = try QueryInput(request, allowed: ["after", "limit"])
        let after = try query.integer("after", in: 0...Int64.max, default: 0)!
        let limit = try query.integer("limit", in: 1...Int64(limits.messaging.maxEventPage), default: 200)!
        let principal = try await principal(request)
        let id = try context.identifier("id", as: ConversationID.self)
        let page = try await messaging.sync.events(in: id, after: after, limit: Int(limit), for: principal.userID)
        return try json(JSONObject([
            "events": page.events.map(EventJSON.init), "nextAfter": page.events.last?.seq ?? after, "hasMore": page.hasMore,
        ]))
    }

    @Sendable func markRead(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        let id = try context.identifier("id", as: ConversationID.self)
        let body = try await request.decodeJSON(ReadBody.self, limit: limits.maxRequestBodyBytes)
        if try await messaging.readState.advanceRead(id, upTo: body.seq, by: principal.userID) {
            // Moved: the conversation's subscribers hear of it (no receipt for a repeat).
            await announceReads([ReadReceipt(userID: principal.userID, conversationID: id, readSeq: body.seq)])
            return try json(JSONObject(["readSeq": body.seq]))
        }
        let member = try await messaging.readState.markRead(id, upTo: body.seq, by: principal.userID)
        return try json(JSONObject(["readSeq": member.readSeq]))
    }

    @Sendable func react(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let (principal, conversation, message, emoji) = try await reactionTarget(request, context)
        try await messaging.messages.react(to: message, with: emoji, by: principal.userID)
        return noContent()
    }

    @Sendable func unreact(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let (principal, conversation, message, emoji) = try await reactionTarget(request, context)
        try await messaging.messages.unreact(to: message, with: emoji, by: principal.userID)
        return noContent()
    }

    @Sendable func edit(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let conversation = try context.identifier("id", as: ConversationID.self)
        let message = try context.identifier("messageId", as: MessageID.self)
        let body = try await request.decodeJSON(EditBody.self, limit: limits.maxRequestBodyBytes)
        try checkTextSize(body.body)
        try await requireMessage(message, in: conversation, for: principal.userID)
        let edited = try await messaging.messages.edit(message, to: .text(body.body), by: principal.userID)
        return try json(JSONObject(["message": MessageJSON(edited)]))
    }

    @Sendable func deleteMessage(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let conversation = try context.identifier("id", as: ConversationID.self)
        let message = try context.identifier("messageId", as: MessageID.self)
        try await requireMessage(message, in: conversation, for: principal.userID)
        let deleted = try await messaging.messages.delete(message, by: principal.userID)
        return try json(JSONObject(["message": MessageJSON(deleted)]))
    }

    // MARK: Helpers

    private func reactionTarget(
        _ request: Request, _ context: ChatRequestContext
    ) async throws -> (AuthenticatedPrincipal, ConversationID, MessageID, Emoji) {
        let principal = try await principal(request)
        try admit(.reaction, user: principal.userID, context: context)
        let conversation = try context.identifier("id", as: ConversationID.self)
        let message = try context.identifier("messageId", as: MessageID.self)
        let emoji = try Emoji(try context.decodedParameter("emoji"))
        try await requireMessage(message, in: conversation, for: principal.userID)
        return (principal, conversation, message, emoji)
    }

    /// A message text over the size limit is an invalid value of this request (400), said before the use case sees it.
    private func checkTextSize(_ text: String) throws(APIError) {
        let size = text.utf8.count
        guard size <= limits.messaging.maxBodyBytes else {
            throw APIError.invalidField(
                "body", "is \(size) bytes of UTF-8; the limit is \(limits.messaging.maxBodyBytes) bytes. Split the text into several messages")
        }
    }

    private func mentionIDs(_ texts: [String]?) throws(APIError) -> [UserID] {
        guard let texts else { return [] }
        guard texts.count <= limits.messaging.maxMentions else {
            throw APIError.invalidField("mentions", "may name at most \(limits.messaging.maxMentions) users")
        }
        var ids: [UserID] = []
        for (index, text) in texts.enumerated() {
            ids.append(try identifier(text, field: "mentions[\(index)]", as: UserID.self))
        }
        return ids
    }
}
