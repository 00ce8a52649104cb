/// The single error type thrown by every API of `MessagingE2EE`.
///
/// Match on ``code``; show ``message`` to developers. Neither ever contains key bytes,
/// passwords or plaintext: messages name the field or check that failed, never its value.
///
/// Thread safety: a value type; `Sendable`, safe to pass between tasks.
public struct E2EEError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A stable, machine-readable error code; new codes may be added in later versions.
    ///
    /// Thread safety: a value type; `Sendable`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case invalidFormat
            case unsupportedVersion
            case unsupportedKind
            case wrongKind
            case corrupted
            case authenticationFailed
            case signatureInvalid
            case wrongRecipient
            case wrongSender
            case wrongConversation
            case wrongEpoch
            case keyNotFound
            case keyConflict
            case invalidKey
            case invalidArgument
            case weakPassword
            case passwordHashingFailed
            case streamTruncated
            case streamExtended
            case streamFinished
            case io
            case cryptoUnavailable
        }

        private let value: Value

        private init(_ value: Value) {
            self.value = value
        }

        /// The bytes are not a well-formed object of the expected format (truncated, trailing bytes, bad length, bad text encoding).
        public static let invalidFormat = Code(.invalidFormat)
        /// The format version byte is not one this library implements.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// The kind byte names no object this library knows.
        public static let unsupportedKind = Code(.unsupportedKind)
        /// The kind byte names a known object, but not the one the caller asked to decode.
        public static let wrongKind = Code(.wrongKind)
        /// An integrity checksum over an unauthenticated format did not match.
        public static let corrupted = Code(.corrupted)
        /// AEAD decryption failed: wrong key, tampered ciphertext or tampered associated data.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// An Ed25519 signature did not verify under the expected public key.
        public static let signatureInvalid = Code(.signatureInvalid)
        /// A key envelope is addressed to another device or another key-agreement key.
        public static let wrongRecipient = Code(.wrongRecipient)
        /// The sender named inside an object is not the device bundle given to verify it.
        public static let wrongSender = Code(.wrongSender)
        /// The object belongs to a different conversation than the caller expected.
        public static let wrongConversation = Code(.wrongConversation)
        /// The object belongs to a different key epoch than the caller expected.
        public static let wrongEpoch = Code(.wrongEpoch)
        /// No conversation key is known for the conversation and epoch an object names.
        public static let keyNotFound = Code(.keyNotFound)
        /// A second, different key was offered for a conversation epoch that already has one.
        public static let keyConflict = Code(.keyConflict)
        /// A key has the wrong length or is cryptographically unusable (for example a low-order point).
        public static let invalidKey = Code(.invalidKey)
        /// An argument is out of its documented range.
        public static let invalidArgument = Code(.invalidArgument)
        /// A password is too short to protect exported keys.
        public static let weakPassword = Code(.weakPassword)
        /// Argon2id could not run with the requested limits (usually: not enough memory).
        public static let passwordHashingFailed = Code(.passwordHashingFailed)
        /// A media stream ended before its final chunk.
        public static let streamTruncated = Code(.streamTruncated)
        /// A media stream has bytes after its final chunk.
        public static let streamExtended = Code(.streamExtended)
        /// A media encryptor or decryptor was used after it finished or failed.
        public static let streamFinished = Code(.streamFinished)
        /// Reading or writing a file handle failed; see ``E2EEError/cause``.
        public static let io = Code(.io)
        /// libsodium could not be initialized.
        public static let cryptoUnavailable = Code(.cryptoUnavailable)

        /// The code's stable name, such as `"signatureInvalid"`.
        public var description: String { value.rawValue }
    }

    /// What went wrong, as a stable code.
    public var code: Code
    /// What was wrong and what to do about it; never contains secrets or plaintext.
    public var message: String
    /// The underlying error, when one caused this one (for example a file-system error).
    public var cause: (any Error)?

    /// Creates an error from a code, a message and an optional cause.
    ///
    /// Thread safety: pure; safe from any thread.
    public init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The code and the message, e.g. `signatureInvalid: the message signature …`.
    public var description: String {
        if let cause {
            return "\(code): \(message) (cause: \(cause))"
        }
        return "\(code): \(message)"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }
}

extension E2EEError {
    static func invalidFormat(_ message: String) -> E2EEError {
        E2EEError(code: .invalidFormat, message: message)
    }

    static func invalidArgument(_ message: String) -> E2EEError {
        E2EEError(code: .invalidArgument, message: message)
    }

    static func truncated(_ what: String) -> E2EEError {
        E2EEError(
            code: .invalidFormat,
            message: "input ends inside the \(what) field; the object is truncated: pass the complete bytes"
        )
    }
}
