/// The one error type thrown by `MessagingCore` and its store adapters.
///
/// Match on ``code``; it is stable across releases. ``message`` says what was wrong and
/// what to do about it, and never contains message bodies, keys or statement arguments.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MessagingError: Error, Sendable, CustomStringConvertible {
    /// A stable, matchable error code.
    ///
    /// A struct over a private enum, so codes can be added without breaking exhaustive
    /// switches in client code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case notFound
            case forbidden
            case invalidInput
            case conflict
            case limitExceeded
            case storage
            case incompatibleSchema
            case corruptDatabase
            case rekeyRequired
            case blocked
            case banned
            case slowMode
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The entity does not exist, or the caller may not know that it exists (a non-member
        /// asking about a conversation gets this, exactly as for a conversation that does not exist).
        public static let notFound = Code(.notFound)
        /// The caller is a member but its role does not allow the action.
        public static let forbidden = Code(.forbidden)
        /// The input breaks a documented rule (size, encoding, shape, reference).
        public static let invalidInput = Code(.invalidInput)
        /// The request contradicts the current state: a reused idempotency key with other
        /// content, a taken handle, the last owner leaving.
        public static let conflict = Code(.conflict)
        /// A configured limit was reached (reactions per message, page size, members).
        public static let limitExceeded = Code(.limitExceeded)
        /// The storage engine failed; retrying may help. `cause` holds the engine error.
        public static let storage = Code(.storage)
        /// The database was written by a newer schema than this library knows.
        public static let incompatibleSchema = Code(.incompatibleSchema)
        /// The database file is not a valid database; it is left untouched.
        public static let corruptDatabase = Code(.corruptDatabase)
        /// An encrypted conversation needs a new key epoch before this message: a member or a
        /// device was removed since the epoch the message names. Upload envelopes for a new
        /// epoch to the current devices and send again with it.
        public static let rekeyRequired = Code(.rekeyRequired)

        /// One of the two users blocks the other: no direct conversation between them.
        public static let blocked = Code(.blocked)
        /// The user is banned from the conversation: it cannot join or be added until unbanned.
        public static let banned = Code(.banned)
        /// The conversation is in slow mode and the sender posted less than its interval ago;
        /// `MessagingError.retryAfterMilliseconds` says how long to wait.
        public static let slowMode = Code(.slowMode)

        /// The code's stable name, such as `notFound`.
        public var description: String { wrapped.rawValue }
    }

    /// The stable code.
    public var code: Code
    /// What was wrong and what to do about it.
    public var message: String
    /// The underlying error, when another layer caused this one.
    public var cause: (any Error)?
    /// How long to wait before the same request can succeed (``Code/slowMode``), in milliseconds.
    public var retryAfterMilliseconds: Int64?

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

extension MessagingError {
    static func notFound(_ message: String) -> MessagingError { .init(code: .notFound, message: message) }
    static func forbidden(_ message: String) -> MessagingError { .init(code: .forbidden, message: message) }
    static func invalidInput(_ message: String) -> MessagingError { .init(code: .invalidInput, message: message) }
    static func conflict(_ message: String) -> MessagingError { .init(code: .conflict, message: message) }
    static func limitExceeded(_ message: String) -> MessagingError { .init(code: .limitExceeded, message: message) }
    static func rekeyRequired(_ message: String) -> MessagingError { .init(code: .rekeyRequired, message: message) }
    static func blocked(_ message: String) -> MessagingError { .init(code: .blocked, message: message) }
    static func banned(_ message: String) -> MessagingError { .init(code: .banned, message: message) }

    /// The answer to any request about a conversation the caller is not a member of.
    static var conversationNotFound: MessagingError {
        .notFound("No such conversation, or you are not a member of it. Check the conversation id.")
    }
    /// The answer to any request about a message the caller cannot see.
    static var messageNotFound: MessagingError {
        .notFound("No such message in a conversation you are a member of. Check the message id.")
    }
}
