/// An error that stops the chat server from starting.
///
/// Match on ``code``; ``message`` says what was wrong and how to fix it, and never contains
/// key material or tokens.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ChatServerError: Error, Sendable, CustomStringConvertible {
    /// A stable, matchable error code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case invalidConfiguration
            case keyFile
            case database
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A configuration value is out of range or malformed.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The token keys file cannot be read, written or parsed, or its permissions are too open.
        public static let keyFile = Code(.keyFile)
        /// The database cannot be opened or migrated.
        public static let database = Code(.database)

        /// The code's stable name, such as `keyFile`.
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
        if let cause { return "\(code): \(message) (cause: \(cause))" }
        return "\(code): \(message)"
    }

    static func invalidConfiguration(_ message: String) -> ChatServerError { .init(code: .invalidConfiguration, message: message) }
    static func keyFile(_ message: String, cause: (any Error)? = nil) -> ChatServerError {
        .init(code: .keyFile, message: message, cause: cause)
    }
}
