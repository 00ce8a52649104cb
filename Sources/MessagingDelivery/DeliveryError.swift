import MessagingWire
/// The error type of `MessagingDelivery`.
///
/// Match on ``code``; it is stable. ``message`` says what was wrong and what to do, and
/// never contains message bodies, payloads or secrets.
///
/// Thread safety: a value type; safe to share across tasks.
public struct DeliveryError: Error, Sendable, CustomStringConvertible {
    /// A stable, matchable code (a struct over a private enum, so codes can be added).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case notSubscribed, invalidAcknowledgement, sessionClosed, pushFailed, invalidConfiguration, unknownQueue
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The session has not joined the conversation (or left it): an acknowledgement or
        /// request for it changes nothing.
        public static let notSubscribed = Code(.notSubscribed)
        /// An acknowledgement names a `seq` that was never delivered.
        public static let invalidAcknowledgement = Code(.invalidAcknowledgement)
        /// The session is closed; the client reconnects and resumes from its `seq`.
        public static let sessionClosed = Code(.sessionClosed)
        /// A push provider failed; the job runner retries it.
        public static let pushFailed = Code(.pushFailed)
        /// A configuration value is out of range.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A job's queue has no registered handler.
        public static let unknownQueue = Code(.unknownQueue)

        /// The code's stable name.
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
        if let cause { return "\(code): \(message) (cause: \(String(describing: cause)))" }
        return "\(code): \(message)"
    }
}

extension DeliveryError: WireCodedError {
    /// `not_subscribed` and `invalid_ack` for the acknowledgement errors a client causes;
    /// `internal` for the rest (they are the server's).
    public var wireCode: WireErrorCode {
        switch code {
        case .notSubscribed: .notSubscribed
        case .invalidAcknowledgement: .invalidAck
        default: .internal
        }
    }

    public var wireMessage: String { message }
}
