import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MessagingAuth
import MessagingCore
import MessagingDelivery
import MessagingPersistence
import MessagingTransport

/// One route of the HTTP API: method, path (Hummingbird syntax, `:name` for parameters) and handler.
struct APIRoute: Sendable {
    let method: HTTPRequest.Method
    let path: String
    let handler: @Sendable (Request, ChatRequestContext) async throws -> Response

    /// The path in OpenAPI syntax (`{name}`).
    var openAPIPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            .joined(separator: "/")
    }
}

/// The HTTP API's handlers over the assembled services.
///
/// Thread safety: immutable; safe to share across tasks.
struct ChatAPI: Sendable {
    let messaging: Messaging
    let store: any MessagingStore
    let auth: AuthService
    let pipeline: DeliveryPipeline
    let limiter: HTTPRateLimiter<ContinuousClock>
    let metrics: ServerMetrics
    let cookie: RefreshCookie
    let secureCookies: Bool
    let limits: ChatServerLimits
    let clock: any WallClock
    let readiness: Readiness
    /// Tells realtime subscribers that read positions moved (the gateway's `receipt` frames).
    let announceReads: @Sendable ([ReadReceipt]) async -> Void
    /// What deleting an account does to its messages.
    let deletedAccountMessages: DeletedAccountMessages
    let logger: Logger
    /// Hands a user's new block list to this node's realtime connections of that user.
    let blockListChanged: @Sendable (UserID) async -> Void
    /// The object storage of attachments.
    let media: ChatMedia

    /// Every route, in the order they are registered.
    func routes() -> [APIRoute] {
        let api: [APIRoute] = authRoutes() + conversationRoutes() + moderationRoutes() + messageRoutes() + receiptRoutes()
            + deviceRoutes() + queryRoutes()
        let rest: [APIRoute] = operationRoutes() + adminRoutes() + retentionRoutes() + notificationRoutes() + attachmentRoutes()
        return api + rest + webClientRoutes()
    }

    // MARK: Helpers shared by the handlers

    /// The caller, from `Authorization: Bearer <access token>`: a valid, unexpired token of an
    /// open session (401 otherwise). Records the session id for the request's log line.
    func principal(_ request: Request) async throws -> AuthenticatedPrincipal {
        guard let header = request.headers[.authorization] else { throw APIError.missingToken }
        guard let token = ConnectionMetadata.bearerToken(fromAuthorizationHeader: header), token.utf8.count <= 8192 else {
            throw APIError.malformedAuthorization
        }
        let principal = try await auth.authenticate(token)
        RequestLog.current?.session(principal.sessionID)
        return principal
    }

    /// Takes a token of `action` for the user (when known) and the client address; 429 otherwise.
    func admit(_ action: RateLimitedAction, user: UserID?, context: ChatRequestContext) throws {
        if let wait = limiter.admit(action, user: user?.description, address: context.clientAddress) {
            metrics.rateLimitRejections.increment()
            throw APIError.rateLimited(retryAfter: wait)
        }
    }

    /// Counts a rate-limited auth answer (login throttling) in the rejections counter.
    func countingThrottle<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as AuthError where error.code == .rateLimited {
            metrics.rateLimitRejections.increment()
            throw error
        }
    }

    /// Checks that `message` is in `conversation` and visible to the caller (404 otherwise),
    /// so `/conversations/{id}/messages/{messageId}` never acts on a message of another conversation.
    func requireMessage(_ message: MessageID, in conversation: ConversationID, for user: UserID) async throws {
        _ = try await messaging.conversations.conversation(conversation, for: user)
        let found = try await store.read { transaction in try transaction.message(id: message) }
        guard let found, found.conversationID == conversation else {
            throw APIError(.notFound, code: "not_found",
                message: "No such message in this conversation. Check the message id and the conversation id.")
        }
    }

    // MARK: Responses

    func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) throws -> Response {
        var headers = extra
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let data = try APIEncoding.encode(value)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    func noContent(headers: HTTPFields = [:]) -> Response {
        Response(status: .noContent, headers: headers)
    }
}
