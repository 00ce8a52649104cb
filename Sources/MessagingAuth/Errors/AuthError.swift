import MessagingCore

/// The one error type thrown by `MessagingAuth`.
///
/// Match on ``code``; it is stable across releases. ``message`` says what was wrong and
/// what to do about it. No error, message or description ever contains a password, a
/// token, a key or a hash: messages are fixed texts, and ``cause`` only ever holds a
/// storage error (whose adapters keep statement arguments out of their descriptions).
///
/// Thread safety: a value type; safe to share across tasks.
public struct AuthError: Error, Sendable, CustomStringConvertible {
    /// A stable, matchable error code.
    ///
    /// A struct over a private enum, so codes can be added without breaking exhaustive
    /// switches in client code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case invalidCredentials
            case accountDisabled
            case invalidToken
            case tokenExpired
            case sessionRevoked
            case refreshTokenReused
            case refreshConflict
            case rateLimited
            case weakPassword
            case handleTaken
            case invalidInput
            case forbidden
            case notFound
            case storage
            case misconfigured
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The handle or the password is wrong. Deliberately the same answer for an
        /// unknown handle and a wrong password.
        public static let invalidCredentials = Code(.invalidCredentials)
        /// The password was right but the account is disabled.
        public static let accountDisabled = Code(.accountDisabled)
        /// The token is malformed, not signed by a configured key with an allowed
        /// algorithm, not yet valid, not meant for this issuer or audience, or of another type.
        public static let invalidToken = Code(.invalidToken)
        /// The token (or the session behind a refresh token) has expired; log in again or refresh.
        public static let tokenExpired = Code(.tokenExpired)
        /// The session was revoked (logout, password change, account disabled, administrator).
        public static let sessionRevoked = Code(.sessionRevoked)
        /// A refresh token that had already been rotated was presented; its whole session
        /// was revoked (RFC 9700 reuse detection).
        public static let refreshTokenReused = Code(.refreshTokenReused)
        /// Another refresh of the same token won a race moments ago (only with a reuse
        /// grace period configured); use the tokens the other request received.
        public static let refreshConflict = Code(.refreshConflict)
        /// Too many failed logins for this account or client address; ``AuthError/retryAfter`` says when to retry.
        public static let rateLimited = Code(.rateLimited)
        /// The new password breaks the password policy (too short, too simple).
        public static let weakPassword = Code(.weakPassword)
        /// The handle is taken.
        public static let handleTaken = Code(.handleTaken)
        /// The input breaks a documented rule (handle shape, password too long, device name).
        public static let invalidInput = Code(.invalidInput)
        /// The caller's server roles do not allow the action.
        public static let forbidden = Code(.forbidden)
        /// The account or session does not exist, or is not the caller's.
        public static let notFound = Code(.notFound)
        /// The storage failed; retrying may help. ``AuthError/cause`` holds the store's error.
        public static let storage = Code(.storage)
        /// The auth configuration or key set is invalid (a host programming error).
        public static let misconfigured = Code(.misconfigured)

        /// The code's stable name, such as `invalidToken`.
        public var description: String { wrapped.rawValue }
    }

    /// The stable code.
    public var code: Code
    /// What was wrong and what to do about it.
    public var message: String
    /// For ``Code/rateLimited``: how long to wait before the next attempt.
    public var retryAfter: Duration?
    /// The underlying error, when another layer caused this one.
    public var cause: (any Error)?

    /// Makes an error.
    public init(code: Code, message: String, retryAfter: Duration? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.cause = cause
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let retryAfter { text += " (retry after \(retryAfter.components.seconds) s)" }
        if let cause { text += " (cause: \(String(describing: cause)))" }
        return text
    }
}

extension AuthError {
    static let invalidCredentials = AuthError(
        code: .invalidCredentials, message: "The handle or the password is wrong. Check both and try again.")

    static func invalidToken(_ reason: String) -> AuthError {
        AuthError(code: .invalidToken, message: "The token is not valid: \(reason). Log in again to get a new one.")
    }

    static let sessionRevoked = AuthError(
        code: .sessionRevoked, message: "This session was ended (logout, password change or an administrator). Log in again.")

    static func invalidInput(_ message: String) -> AuthError { AuthError(code: .invalidInput, message: message) }

    static func misconfigured(_ message: String) -> AuthError { AuthError(code: .misconfigured, message: message) }

    /// Wraps an error from the store or a domain rule: ``MessagingError`` codes are mapped,
    /// an ``AuthError`` passes through unchanged.
    static func wrapping(_ error: any Error) -> AuthError {
        if let error = error as? AuthError { return error }
        if let error = error as? MessagingError {
            switch error.code {
            case .invalidInput: return AuthError(code: .invalidInput, message: error.message)
            case .notFound: return AuthError(code: .notFound, message: error.message)
            case .conflict: return AuthError(code: .storage, message: "A row with the same unique key already exists; retry.", cause: error)
            default: return AuthError(code: .storage, message: "The auth store failed; retry, or check the logs.", cause: error)
            }
        }
        return AuthError(code: .storage, message: "The auth store failed; retry, or check the logs.", cause: error)
    }
}
