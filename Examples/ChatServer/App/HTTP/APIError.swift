import Foundation
import HTTPTypes
import Hummingbird
import MessagingAuth
import MessagingCore
import MessagingMedia
import MessagingSSE
import MessagingWebSocket

/// An HTTP API error: a status, a stable snake_case code and a message that says what to
/// fix, answered as `{"error":{"code":"…","message":"…"}}` (with `Retry-After` when limited).
///
/// Every error the handlers throw is turned into one of these by ``APIError/init(_:)``:
/// `MessagingError` and `AuthError` keep their meaning under a stable code; anything else is
/// `internal` (its details go to the log, never to the client).
///
/// Thread safety: a value type; safe to share across tasks.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// The stable code, such as `not_found`.
    public var code: String
    /// What was wrong and what to do about it.
    public var message: String
    /// When to retry (rate limits), in whole seconds, rounded up.
    public var retryAfterSeconds: Int?
    /// Further headers of the answer (`Allow` with 405, `Upgrade` with 426).
    public var headers: HTTPFields

    /// Makes an error.
    public init(
        _ status: HTTPResponse.Status, code: String, message: String, retryAfterSeconds: Int? = nil, headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    // MARK: HTTP-level errors

    static func invalidJSON(_ detail: String) -> APIError {
        APIError(.badRequest, code: "invalid_json", message: "The request body is not valid JSON: \(detail)")
    }
    static func unknownField(_ name: String, allowed: [String]) -> APIError {
        APIError(.badRequest, code: "unknown_field",
            message: "The field '\(name)' is not part of this request; allowed fields: \(allowed.isEmpty ? "none" : allowed.joined(separator: ", ")).")
    }
    static func unknownParameter(_ name: String, allowed: [String]) -> APIError {
        APIError(.badRequest, code: "unknown_parameter",
            message: "The query parameter '\(name)' is not part of this request; allowed: \(allowed.isEmpty ? "none" : allowed.joined(separator: ", ")).")
    }
    static func missingField(_ name: String) -> APIError {
        APIError(.badRequest, code: "missing_field", message: "The required field '\(name)' is missing.")
    }
    static func invalidField(_ name: String, _ expectation: String) -> APIError {
        APIError(.badRequest, code: "invalid_input", message: "The field '\(name)' \(expectation).")
    }
    static func invalidParameter(_ name: String, _ expectation: String) -> APIError {
        APIError(.badRequest, code: "invalid_input", message: "The parameter '\(name)' \(expectation).")
    }
    static func bodyTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large", message: "The request body is larger than \(limit) bytes; send less.")
    }
    static let unsupportedMediaType = APIError(
        .unsupportedMediaType, code: "unsupported_media_type", message: "Send the request body as JSON with Content-Type: application/json.")
    static let missingToken = APIError(
        .unauthorized, code: "unauthorized",
        message: "This route needs an access token: send 'Authorization: Bearer <access token>' (log in at POST /v1/auth/login).")
    static let malformedAuthorization = APIError(
        .unauthorized, code: "unauthorized", message: "The Authorization header must be 'Bearer <access token>'.")
    static let routeNotFound = APIError(
        .notFound, code: "route_not_found", message: "No such route; the API is described at GET /openapi.json.")
    static func methodNotAllowed(_ method: HTTPRequest.Method, allowed: [HTTPRequest.Method]) -> APIError {
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        return APIError(
            .methodNotAllowed, code: "method_not_allowed",
            message: "This route does not answer \(method.rawValue); it answers \(list) (see GET /openapi.json).",
            headers: [.allow: list])
    }
    static let missingRefreshToken = APIError(
        .badRequest, code: "missing_field",
        message: "Send the refresh token in the body ({\"refreshToken\":\"…\"}) or in the refresh cookie.")
    static func rateLimited(retryAfter: Duration) -> APIError {
        let seconds = max(1, Int((Double(retryAfter.components.seconds) + Double(retryAfter.components.attoseconds) / 1e18).rounded(.up)))
        return APIError(.tooManyRequests, code: "rate_limited", message: "Too many requests; retry after \(seconds) s.",
            retryAfterSeconds: seconds)
    }
    static let internalError = APIError(
        .internalServerError, code: "internal", message: "The server failed unexpectedly; retry later, and report it if it persists.")

    // MARK: Mapping the modules' errors

    /// The API error for any error a handler threw.
    public init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as MessagingError:
            self = Self.mapping(error)
        case let error as AuthError:
            self = Self.mapping(error)
        case let error as MediaError:
            self = Self.mapping(error)
        case let error as WebSocketUpgradeRefusal:
            self = APIError(error.status, code: error.code, message: error.message, headers: error.headers)
        case let error as SSERefusal:
            self = APIError(error.status, code: error.code, message: error.message)
        case let error as HTTPError:
            self = APIError(error.status, code: Self.code(for: error.status), message: error.body ?? error.status.reasonPhrase)
        case let error as any HTTPResponseError:
            self = APIError(error.status, code: Self.code(for: error.status), message: error.status.reasonPhrase)
        default:
            self = .internalError
        }
    }

    private static func mapping(_ error: MessagingError) -> APIError {
        switch error.code {
        case .notFound: APIError(.notFound, code: "not_found", message: error.message)
        case .forbidden: APIError(.forbidden, code: "forbidden", message: error.message)
        case .invalidInput: APIError(.badRequest, code: "invalid_input", message: error.message)
        case .conflict: APIError(.conflict, code: "conflict", message: error.message)
        case .limitExceeded: APIError(.conflict, code: "limit_exceeded", message: error.message)
        case .rekeyRequired: APIError(.conflict, code: "rekey_required", message: error.message)
        case .blocked: APIError(.forbidden, code: "blocked", message: error.message)
        case .banned: APIError(.forbidden, code: "banned", message: error.message)
        case .slowMode:
            APIError(
                .tooManyRequests, code: "slow_mode", message: error.message,
                retryAfterSeconds: Int(max(1, ((error.retryAfterMilliseconds ?? 1000) + 999) / 1000)))
        case .storage: APIError(.serviceUnavailable, code: "unavailable", message: "The database is busy or failing; retry with backoff.")
        default: .internalError
        }
    }

    private static func mapping(_ error: MediaError) -> APIError {
        switch error.code {
        case .invalidSignature: APIError(.forbidden, code: "invalid_signature", message: error.message)
        case .expired: APIError(.forbidden, code: "url_expired", message: error.message)
        case .sizeLimitExceeded: APIError(.contentTooLarge, code: "size_limit_exceeded", message: error.message)
        case .sizeMismatch: APIError(.badRequest, code: "size_mismatch", message: error.message)
        case .notFound: APIError(.notFound, code: "not_found", message: error.message)
        case .invalidKey, .invalidRequest, .invalidExpiry: APIError(.badRequest, code: "invalid_input", message: error.message)
        default:
            // invalidConfiguration, storageFailed, and any code added later.
            APIError(.serviceUnavailable, code: "unavailable", message: "The media store is failing; retry with backoff.")
        }
    }

    private static func mapping(_ error: AuthError) -> APIError {
        switch error.code {
        case .invalidCredentials: return APIError(.unauthorized, code: "invalid_credentials", message: error.message)
        case .accountDisabled: return APIError(.forbidden, code: "account_disabled", message: error.message)
        case .invalidToken: return APIError(.unauthorized, code: "invalid_token", message: error.message)
        case .tokenExpired: return APIError(.unauthorized, code: "token_expired", message: error.message)
        case .sessionRevoked: return APIError(.unauthorized, code: "session_revoked", message: error.message)
        case .refreshTokenReused: return APIError(.unauthorized, code: "refresh_token_reused", message: error.message)
        case .refreshConflict: return APIError(.conflict, code: "refresh_conflict", message: error.message)
        case .rateLimited: return .rateLimited(retryAfter: error.retryAfter ?? .seconds(1))
        case .weakPassword: return APIError(.badRequest, code: "weak_password", message: error.message)
        case .handleTaken: return APIError(.conflict, code: "handle_taken", message: error.message)
        case .invalidInput: return APIError(.badRequest, code: "invalid_input", message: error.message)
        case .forbidden: return APIError(.forbidden, code: "forbidden", message: error.message)
        case .notFound: return APIError(.notFound, code: "not_found", message: error.message)
        case .storage: return APIError(.serviceUnavailable, code: "unavailable", message: "The database is busy or failing; retry with backoff.")
        default: return .internalError
        }
    }

    private static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "route_not_found"
        case 405: "method_not_allowed"
        case 413: "body_too_large"
        case 429: "rate_limited"
        case 400..<500: "bad_request"
        case 503: "unavailable"
        default: "internal"
        }
    }

    // MARK: The response

    private struct Body: Encodable {
        struct Detail: Encodable {
            let code: String
            let message: String
        }
        let error: Detail
    }

    /// The JSON response of this error.
    func response() -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        let data = (try? APIEncoding.encode(Body(error: .init(code: code, message: message)))) ?? Data()
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
