import Foundation
import HTTPTypes
import Hummingbird
import MessagingAuth
import MessagingCore

/// An account as the administration routes show it (no password hash, ever).
struct AccountJSON: Encodable, Sendable {
    let user: UserJSON
    let roles: [String]
    /// When the account was disabled; absent while it is enabled.
    let disabledAt: Int64?

    init(_ account: Account) {
        user = UserJSON(account.user)
        roles = account.roles.sorted().map(\.rawValue)
        disabledAt = account.disabledAt?.millisecondsSince1970
    }
}

extension ChatAPI {
    struct RolesBody: RequestBody {
        static let fields = ["roles"]
        let roles: [String]
    }

    struct PasswordResetBody: RequestBody {
        static let fields = ["password"]
        let password: String
    }

    struct PasswordChangeBody: RequestBody {
        static let fields = ["currentPassword", "newPassword"]
        let currentPassword: String
        let newPassword: String
    }

    struct DeleteAccountBody: RequestBody {
        static let fields = ["password"]
        let password: String
    }

    /// The routes of account administration (server roles, checked by `AuthService`) and of
    /// the caller's own account.
    func adminRoutes() -> [APIRoute] {
        [
            APIRoute(method: .get, path: "/v1/admin/accounts/:userId", handler: getAccount),
            APIRoute(method: .delete, path: "/v1/admin/accounts/:userId", handler: deleteAccountByAdmin),
            APIRoute(method: .post, path: "/v1/admin/accounts/:userId/disable", handler: disableAccount),
            APIRoute(method: .post, path: "/v1/admin/accounts/:userId/enable", handler: enableAccount),
            APIRoute(method: .put, path: "/v1/admin/accounts/:userId/roles", handler: setAccountRoles),
            APIRoute(method: .post, path: "/v1/admin/accounts/:userId/password", handler: resetAccountPassword),
            APIRoute(method: .post, path: "/v1/account/password", handler: changeOwnPassword),
            APIRoute(method: .post, path: "/v1/account/delete", handler: deleteOwnAccount),
        ]
    }

    @Sendable func getAccount(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        _ = try QueryInput(request, allowed: [])
        let principal = try await principal(request)
        let user = try context.identifier("userId", as: UserID.self)
        return try json(JSONObject(["account": AccountJSON(try await auth.account(user, by: principal))]))
    }

    @Sendable func disableAccount(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        try await setDisabled(true, request, context)
    }

    @Sendable func enableAccount(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        try await setDisabled(false, request, context)
    }

    private func setDisabled(_ disabled: Bool, _ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        let user = try context.identifier("userId", as: UserID.self)
        _ = try await request.decodeJSON(EmptyBody.self, limit: limits.maxRequestBodyBytes, emptyAllowed: true)
        try await auth.setDisabled(disabled, account: user, by: principal)
        context.logger.notice(
            disabled ? "account disabled" : "account enabled", metadata: ["user": "\(user)", "by": "\(principal.userID)"])
        return try json(JSONObject(["account": AccountJSON(try await auth.account(user, by: principal))]))
    }

    @Sendable func setAccountRoles(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        let user = try context.identifier("userId", as: UserID.self)
        let body = try await request.decodeJSON(RolesBody.self, limit: limits.maxRequestBodyBytes)
        guard body.roles.count <= 16 else { throw APIError.invalidField("roles", "may list at most 16 roles") }
        var roles = Set<ServerRole>()
        for (index, name) in body.roles.enumerated() {
            do {
                roles.insert(try ServerRole(name))
            } catch {
                throw APIError.invalidField("roles[\(index)]", "is not a role name (1 to 32 of a-z, 0-9, '.', '_', '-', starting with a letter)")
            }
        }
        try await auth.setRoles(roles, account: user, by: principal)
        context.logger.notice("roles changed", metadata: ["user": "\(user)", "by": "\(principal.userID)"])
        return try json(JSONObject(["account": AccountJSON(try await auth.account(user, by: principal))]))
    }

    @Sendable func resetAccountPassword(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        try admit(.auth, user: nil, context: context)
        let principal = try await principal(request)
        let user = try context.identifier("userId", as: UserID.self)
        let body = try await request.decodeJSON(PasswordResetBody.self, limit: limits.maxRequestBodyBytes)
        try await auth.resetPassword(of: user, to: Password(body.password), by: principal)
        context.logger.notice("password reset", metadata: ["user": "\(user)", "by": "\(principal.userID)"])
        return noContent()
    }

    @Sendable func deleteAccountByAdmin(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        let user = try context.identifier("userId", as: UserID.self)
        _ = try QueryInput(request, allowed: [])
        guard user != principal.userID else {
            throw APIError(.forbidden, code: "forbidden",
                message: "Delete your own account with POST /v1/account/delete and your password.")
        }
        try await auth.deleteAccount(
            user, by: principal, password: nil, eraser: messaging.accounts.eraser(messages: deletedAccountMessages))
        return noContent()
    }

    @Sendable func changeOwnPassword(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        try admit(.auth, user: nil, context: context)
        let principal = try await principal(request)
        let body = try await request.decodeJSON(PasswordChangeBody.self, limit: limits.maxRequestBodyBytes)
        try await countingThrottle {
            try await auth.changePassword(current: Password(body.currentPassword), to: Password(body.newPassword), for: principal)
        }
        return noContent()
    }

    @Sendable func deleteOwnAccount(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        try admit(.auth, user: nil, context: context)
        let principal = try await principal(request)
        let body = try await request.decodeJSON(DeleteAccountBody.self, limit: limits.maxRequestBodyBytes)
        try await countingThrottle {
            try await auth.deleteAccount(
                principal.userID, by: principal, password: Password(body.password),
                eraser: messaging.accounts.eraser(messages: deletedAccountMessages))
        }
        var headers = HTTPFields()
        headers[.setCookie] = cookie.clearingCookie()
        return noContent(headers: headers)
    }
}
