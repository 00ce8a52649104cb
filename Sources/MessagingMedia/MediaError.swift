/// The error type of `MessagingMedia`.
///
/// Match on ``code``; it is stable. ``message`` says what was wrong and what to do, and
/// never contains secrets, signatures or file contents.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MediaError: Error, Sendable, CustomStringConvertible {
    /// A stable, matchable code (a struct over a private enum, so codes can be added).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case invalidKey, invalidConfiguration, invalidExpiry, invalidRequest
            case sizeLimitExceeded, sizeMismatch, invalidSignature, expired
            case notFound, storageFailed
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// An object key is empty, too long, absolute, or has `.`/`..`/empty segments or
        /// control characters. Keys are made by the server; fix the code that builds them.
        public static let invalidKey = Code(.invalidKey)
        /// A configuration value is missing or out of range (region, bucket, endpoint,
        /// credentials, directory, signing key, size limit).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A URL lifetime is outside 1 second … 7 days.
        public static let invalidExpiry = Code(.invalidExpiry)
        /// A request value is malformed (method, header name or value, content type, size).
        public static let invalidRequest = Code(.invalidRequest)
        /// An upload sent more bytes than its signed size limit; nothing was stored.
        public static let sizeLimitExceeded = Code(.sizeLimitExceeded)
        /// An upload ended with fewer bytes than declared; nothing was stored.
        public static let sizeMismatch = Code(.sizeMismatch)
        /// A signed URL's signature does not match what the store signs: tampered or made
        /// with another key. The client asks for a new URL.
        public static let invalidSignature = Code(.invalidSignature)
        /// A signed URL's lifetime is over. The client asks for a new URL.
        public static let expired = Code(.expired)
        /// No object has the key.
        public static let notFound = Code(.notFound)
        /// The storage backend failed (I/O error, HTTP status, unreachable endpoint); retry
        /// later or check the backend named in the message.
        public static let storageFailed = Code(.storageFailed)

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
