/// The error type of the transport ports.
///
/// Match on ``code``; it is stable across releases.
///
/// Thread safety: a value type; safe to share across tasks.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// A stable, matchable error code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case connectionClosed
            case listenerClosed
            case frameTooLarge
            case upgradeRefused
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The connection is closed: a write after close, or a write the close interrupted.
        public static let connectionClosed = Code(.connectionClosed)
        /// The listener stopped accepting connections.
        public static let listenerClosed = Code(.listenerClosed)
        /// A frame exceeded the transport's maximum frame size.
        public static let frameTooLarge = Code(.frameTooLarge)
        /// The server answered the connection request with an HTTP status instead of
        /// switching protocols (a WebSocket upgrade refused by the server or a proxy on
        /// the way): this transport is unavailable there; another one may work.
        public static let upgradeRefused = Code(.upgradeRefused)

        public var description: String { wrapped.rawValue }
    }

    /// The stable code.
    public var code: Code
    /// What was wrong and what to do about it.
    public var message: String
    /// How the connection closed, when it did.
    public var close: TransportClose?

    /// Makes an error.
    public init(code: Code, message: String, close: TransportClose? = nil) {
        self.code = code
        self.message = message
        self.close = close
    }

    public var description: String {
        if let close { return "\(code): \(message) (closed \(close))" }
        return "\(code): \(message)"
    }
}
