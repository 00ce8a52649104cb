import Foundation
import HTTPTypes
import Hummingbird
import MessagingAuth
import MessagingCore

extension ChatAPI {
    struct RegisterBody: RequestBody {
        static let fields = ["handle", "password", "displayName"]
        let handle: String
        let password: String
        let displayName: String?
    }

    struct LoginBody: RequestBody {
        static let fields = ["handle", "password", "deviceName"]
        let handle: String
        let password: String
        let deviceName: String?
    }

    struct RefreshBody: RequestBody {
        static let fields = ["refreshToken"]
        let refreshToken: String?
    }

    func authRoutes() -> [APIRoute] {
        [
            APIRoute(method: .post, path: "/v1/auth/register", handler: register),
            APIRoute(method: .post, path: "/v1/auth/login", handler: login),
            APIRoute(method: .post, path: "/v1/auth/refresh", handler: refresh),
            APIRoute(method: .post, path: "/v1/auth/logout", handler: logout),
            APIRoute(method: .get, path: "/v1/sessions", handler: listSessions),
            APIRoute(method: .delete, path: "/v1/sessions/:sessionId", handler: revokeSession),
        ]
    }

    @Sendable func register(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        try admit(.auth, user: nil, context: context)
        let body = try await request.decodeJSON(RegisterBody.self, limit: limits.maxRequestBodyBytes)
        let account = try await auth.register(handle: body.handle, password: Password(body.password), displayName: body.displayName)
        context.logger.info("account registered", metadata: ["user": "\(account.user.id)"])
        return try json(JSONObject(["user": UserJSON(account.user)]), status: .created)
    }

    @Sendable func login(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        try admit(.auth, user: nil, context: context)
        let body = try await request.decodeJSON(LoginBody.self, limit: limits.maxRequestBodyBytes)
        let client = try ClientInfo(deviceName: body.deviceName ?? "unnamed device", address: context.clientAddress)
        let result = try await countingThrottle {
            try await auth.login(handle: body.handle, password: Password(body.password), client: client)
        }
        RequestLog.current?.session(result.tokens.session.id)
        context.logger.info("logged in", metadata: ["user": "\(result.account.user.id)", "session": "\(result.tokens.session.id)"])
        return try tokensResponse(result.tokens, user: result.account.user)
    }

    @Sendable func refresh(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        try admit(.auth, user: nil, context: context)
        let body = try await request.decodeJSON(RefreshBody.self, limit: limits.maxRequestBodyBytes, emptyAllowed: true)
        let token = try refreshToken(body: body, request: request)
        let pair = try await countingThrottle { try await auth.refresh(token, clientAddress: context.clientAddress) }
        RequestLog.current?.session(pair.session.id)
        let user = try await messaging.users.user(id: pair.session.userID)
        return try tokensResponse(pair, user: user)
    }

    @Sendable func logout(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        try admit(.auth, user: nil, context: context)
        let principal = try await principal(request)
        let body = try await request.decodeJSON(RefreshBody.self, limit: limits.maxRequestBodyBytes, emptyAllowed: true)
        if body.refreshToken != nil || cookieToken(request) != nil {
            // The session of the refresh token presented (normally the caller's own).
            try await auth.logout(try refreshToken(body: body, request: request))
        }
        do {
            try await auth.revokeSession(principal.sessionID, by: principal)
        } catch {
            // Already gone (logging out twice) is not an error.
            guard error.code == .notFound else { throw error }
        }
        context.logger.info("logged out", metadata: ["user": "\(principal.userID)"])
        var headers = HTTPFields()
        headers[.setCookie] = cookie.clearingCookie()
        return noContent(headers: headers)
    }

    @Sendable func listSessions(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        _ = try QueryInput(request, allowed: [])
        let principal = try await principal(request)
        let sessions = try await auth.sessions(of: principal)
        return try json(JSONObject(["sessions": sessions.map { SessionJSON($0, current: principal.sessionID) }]))
    }

    @Sendable func revokeSession(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        let id = try context.identifier("sessionId", as: SessionID.self)
        try await auth.revokeSession(id, by: principal)
        context.logger.info("session revoked", metadata: ["user": "\(principal.userID)", "revoked": "\(id)"])
        return noContent()
    }

    // MARK: Helpers

    private func cookieToken(_ request: Request) -> RefreshToken? {
        request.headers[values: .cookie].lazy.compactMap { cookie.refreshToken(fromCookieHeader: $0) }.first
    }

    /// The refresh token from the body, else from the refresh cookie.
    private func refreshToken(body: RefreshBody, request: Request) throws -> RefreshToken {
        if let text = body.refreshToken {
            guard let token = RefreshToken(encoded: text) else {
                throw APIError.invalidField("refreshToken", "is not a refresh token (43 characters of base64url)")
            }
            return token
        }
        guard let token = cookieToken(request) else { throw APIError.missingRefreshToken }
        return token
    }

    private func tokensResponse(_ pair: TokenPair, user: User) throws -> Response {
        let now = clock.now().millisecondsSince1970
        let maxAge = Duration.milliseconds(max(0, pair.refreshTokenExpiresAt.millisecondsSince1970 - now))
        var headers = HTTPFields()
        headers[.setCookie] = cookie.setCookie(for: pair.refreshToken, maxAge: maxAge)
        let answer = TokensJSON(
            accessToken: pair.accessToken.compact, accessTokenExpiresAt: pair.accessToken.expiresAt.millisecondsSince1970,
            refreshToken: pair.refreshToken.encoded, refreshTokenExpiresAt: pair.refreshTokenExpiresAt.millisecondsSince1970,
            user: UserJSON(user), session: SessionJSON(pair.session, current: pair.session.id),
            device: DeviceJSON(id: pair.session.id.description, name: pair.session.deviceName))
        return try json(answer, headers: headers)
    }
}
