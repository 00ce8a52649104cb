import MessagingWire

/// The error type of `MessagingClient`.
///
/// Match on ``code``; it is stable. For an error the server answered, ``serverCode`` is its
/// protocol v1 code (`not_found`, `forbidden`, `conflict`, `rate_limited`, …;
/// Protocol.md §7) and ``message`` the server's explanation.
///
/// Thread safety: a value type; safe to share across tasks.
public struct RealtimeClientError: Error, Sendable, CustomStringConvertible {
    /// A stable, matchable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case server, notConnected, timedOut, stopped, sessionEnded, invalidResponse, invalidArgument
            case missingKey, untrustedDevice, tampered, replayed, deviceNotActive, keyStorage
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The server answered the request with an `error` frame (see ``RealtimeClientError/serverCode``).
        public static let server = Code(.server)
        /// No connection is open; the request was not sent (sends wait for one instead).
        public static let notConnected = Code(.notConnected)
        /// No answer came within the configured time; the request may or may not have been
        /// carried out (a send is safe to repeat with the same client message id).
        public static let timedOut = Code(.timedOut)
        /// The client stopped (its `run()` returned) before the request was answered.
        public static let stopped = Code(.stopped)
        /// The server ended the session for good: revoked (4403) or an unsupported protocol
        /// (1008). Log in again; reconnecting with the same credentials cannot work.
        public static let sessionEnded = Code(.sessionEnded)
        /// The server sent something protocol v1 does not allow.
        public static let invalidResponse = Code(.invalidResponse)
        /// An argument is out of range (the message names it).
        public static let invalidArgument = Code(.invalidArgument)
        /// End-to-end encryption: this device holds no key for the message's epoch (it was sent
        /// before the device was given one, or after it was removed from the conversation).
        public static let missingKey = Code(.missingKey)
        /// End-to-end encryption: a device's bundle is not trusted: it does not verify, differs
        /// from the bundle pinned for its device id on first use, names another device or user,
        /// or the device is unknown (for a message: not a device of its sender).
        public static let untrustedDevice = Code(.untrustedDevice)
        /// End-to-end encryption: a sealed message or key envelope fails verification (altered
        /// bytes, a foreign signature, a header that does not match the message).
        public static let tampered = Code(.tampered)
        /// End-to-end encryption: an authentic sealed message shown again under another `seq`.
        public static let replayed = Code(.replayed)
        /// End-to-end encryption: this device is not an active device of the conversation
        /// (it was removed, or the server refuses its bundle), so it can neither send nor get keys.
        public static let deviceNotActive = Code(.deviceNotActive)
        /// End-to-end encryption: the key store could not load or save the keyring or identity.
        public static let keyStorage = Code(.keyStorage)

        /// The code's stable name.
        public var description: String { wrapped.rawValue }
    }

    /// The stable code.
    public var code: Code
    /// What went wrong and what to do.
    public var message: String
    /// The server's protocol v1 error code, for ``Code-swift.struct/server``.
    public var serverCode: String?
    /// For `rate_limited` and `slow_mode`: when to try again, in milliseconds.
    public var retryAfterMilliseconds: Int64?
    /// How the connection closed, for ``Code-swift.struct/sessionEnded``.
    public var close: TransportClose?

    /// Makes an error.
    public init(
        code: Code, message: String, serverCode: String? = nil, retryAfterMilliseconds: Int64? = nil, close: TransportClose? = nil
    ) {
        self.code = code
        self.message = message
        self.serverCode = serverCode
        self.retryAfterMilliseconds = retryAfterMilliseconds
        self.close = close
    }

    public var description: String {
        serverCode.map { "\(code) (\($0)): \(message)" } ?? "\(code): \(message)"
    }
}
