/// The one error type thrown by `MessagingPresence`.
///
/// Presence has failure modes of its own (an unreachable presence store or membership
/// source, an invalid configuration, a device limit), so it has its own error rather than
/// adding codes to `MessagingError`. The codes it shares in meaning with `MessagingError`
/// (`notFound`, `invalidInput`, `limitExceeded`) keep their names and semantics: a caller
/// who is not a member of a conversation gets `notFound`, exactly as for a conversation
/// that does not exist.
///
/// Match on ``code``; it is stable across releases. ``message`` says what was wrong and
/// how to fix it, and never contains status texts or other user content.
///
/// Thread safety: a value type; safe to share across tasks.
public struct PresenceError: Error, Sendable, CustomStringConvertible {
    /// A stable, matchable error code.
    ///
    /// A struct over a private enum, so codes can be added without breaking exhaustive
    /// switches in client code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case notFound
            case invalidInput
            case limitExceeded
            case unavailable
            case invalidConfiguration
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The conversation does not exist or the caller is not a member of it; the two
        /// are indistinguishable on purpose.
        public static let notFound = Code(.notFound)
        /// The input breaks a documented rule (status text length or characters).
        public static let invalidInput = Code(.invalidInput)
        /// A configured limit was reached (devices per user, watched users per subscription).
        public static let limitExceeded = Code(.limitExceeded)
        /// The membership source or the presence store failed; retrying may help.
        /// `cause` holds the underlying error.
        public static let unavailable = Code(.unavailable)
        /// A ``PresenceConfiguration`` breaks one of its documented relations.
        public static let invalidConfiguration = Code(.invalidConfiguration)

        /// The code's stable name, such as `notFound`.
        public var description: String { wrapped.rawValue }
    }

    /// The stable code.
    public var code: Code
    /// What was wrong and what to do about it.
    public var message: String
    /// The underlying error, when another layer caused this one.
    public var cause: (any Error)?

    /// Makes an error.
    public init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause {
            return "\(code): \(message) (cause: \(String(describing: cause)))"
        }
        return "\(code): \(message)"
    }
}

extension PresenceError {
    static func invalidInput(_ message: String) -> PresenceError { .init(code: .invalidInput, message: message) }
    static func limitExceeded(_ message: String) -> PresenceError { .init(code: .limitExceeded, message: message) }
    static func invalidConfiguration(_ message: String) -> PresenceError {
        .init(code: .invalidConfiguration, message: message)
    }

    /// The answer to a request about a conversation the caller is not a member of.
    static var conversationNotFound: PresenceError {
        .init(
            code: .notFound,
            message: "No such conversation, or you are not a member of it. Check the conversation id.")
    }

    /// Wraps a failure of the membership source.
    static func audienceFailed(_ error: any Error) -> PresenceError {
        if let error = error as? PresenceError { return error }
        return .init(
            code: .unavailable,
            message: "Could not check conversation membership; retry. If it persists, check the message store.",
            cause: error)
    }
}
