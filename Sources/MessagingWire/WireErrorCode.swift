import MessagingCore
import MessagingPresence

/// The stable error codes of protocol v1, carried in `error` frames as `code`.
///
/// A string-backed struct rather than an enum, so later protocol revisions can add codes;
/// clients must treat an unknown code like `internal`.
///
/// Thread safety: a value type; safe to share across tasks.
public struct WireErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code as sent on the wire.
    public let rawValue: String

    /// Wraps a code.
    public init(rawValue: String) { self.rawValue = rawValue }

    // Frame validation
    /// The frame is not a JSON object, or a field has the wrong JSON type or an invalid value.
    public static let badFrame = WireErrorCode(rawValue: "bad_frame")
    /// The text frame is not valid UTF-8.
    public static let invalidUTF8 = WireErrorCode(rawValue: "invalid_utf8")
    /// The JSON nests deeper than the limit.
    public static let tooDeep = WireErrorCode(rawValue: "too_deep")
    /// The frame's `type` is not a request type of this protocol version.
    public static let unknownType = WireErrorCode(rawValue: "unknown_type")
    /// The frame has a field its type does not define.
    public static let unknownField = WireErrorCode(rawValue: "unknown_field")
    /// A required field is missing.
    public static let missingField = WireErrorCode(rawValue: "missing_field")
    /// The frame is larger than the maximum frame size (the connection also closes with 1009).
    public static let frameTooBig = WireErrorCode(rawValue: "frame_too_big")
    /// Binary frames are not part of protocol v1.
    public static let binaryFrame = WireErrorCode(rawValue: "binary_frame")

    // Session
    /// The token is missing, invalid or expired, or the session was revoked.
    public static let unauthorized = WireErrorCode(rawValue: "unauthorized")
    /// The connection is already authenticated; `auth` may be sent once.
    public static let alreadyAuthenticated = WireErrorCode(rawValue: "already_authenticated")
    /// The user holds the maximum number of connections.
    public static let tooManyConnections = WireErrorCode(rawValue: "too_many_connections")
    /// The request was rate-limited; `retryAfterMs` says when to retry.
    public static let rateLimited = WireErrorCode(rawValue: "rate_limited")
    /// The client asked for a protocol version the server does not speak.
    public static let unsupportedProtocol = WireErrorCode(rawValue: "unsupported_protocol")

    // Domain (MessagingError and PresenceError)
    /// No such conversation or message, or the caller is not a member (indistinguishable on purpose).
    public static let notFound = WireErrorCode(rawValue: "not_found")
    /// The caller is a member but its role does not allow the action.
    public static let forbidden = WireErrorCode(rawValue: "forbidden")
    /// A value breaks a documented rule (size, encoding, reference).
    public static let invalidInput = WireErrorCode(rawValue: "invalid_input")
    /// The request contradicts the current state (a client message id reused with other content).
    public static let conflict = WireErrorCode(rawValue: "conflict")
    /// A configured limit was reached (reactions per message, page size).
    public static let limitExceeded = WireErrorCode(rawValue: "limit_exceeded")
    /// An encrypted conversation needs a new key epoch before this message (a member or device
    /// was removed): upload envelopes for a new epoch and send again with it.
    public static let rekeyRequired = WireErrorCode(rawValue: "rekey_required")
    /// One of the two users blocks the other: no direct conversation between them.
    public static let blocked = WireErrorCode(rawValue: "blocked")
    /// The user is banned from the conversation and cannot be added until unbanned.
    public static let banned = WireErrorCode(rawValue: "banned")
    /// The conversation is in slow mode: `retryAfterMs` says when the sender may post again.
    public static let slowMode = WireErrorCode(rawValue: "slow_mode")
    /// The storage or a dependency failed; retry with backoff.
    public static let unavailable = WireErrorCode(rawValue: "unavailable")

    // Delivery
    /// An `ack` or `unsubscribe` for a conversation the connection did not subscribe to.
    public static let notSubscribed = WireErrorCode(rawValue: "not_subscribed")
    /// An `ack` for a `seq` that was never delivered.
    public static let invalidAck = WireErrorCode(rawValue: "invalid_ack")

    /// An unexpected server failure.
    public static let `internal` = WireErrorCode(rawValue: "internal")

    public var description: String { rawValue }
}

extension WireErrorCode {
    /// The wire code of any error a request handler can meet.
    static func of(_ error: any Error) -> WireErrorCode {
        switch error {
        case let error as MessagingError:
            switch error.code {
            case .notFound: return .notFound
            case .forbidden: return .forbidden
            case .invalidInput: return .invalidInput
            case .conflict: return .conflict
            case .limitExceeded: return .limitExceeded
            case .rekeyRequired: return .rekeyRequired
            case .blocked: return .blocked
            case .banned: return .banned
            case .slowMode: return .slowMode
            default: return .unavailable
            }
        case let error as PresenceError:
            switch error.code {
            case .notFound: return .notFound
            case .invalidInput: return .invalidInput
            case .limitExceeded: return .limitExceeded
            case .unavailable: return .unavailable
            default: return .internal
            }
        case let error as ProtocolError:
            return error.code
        case let error as any WireCodedError:
            return error.wireCode
        default:
            return .internal
        }
    }

    /// A message for the wire: the domain errors' own messages (they never hold bodies,
    /// keys or tokens); a generic text for anything else.
    static func message(of error: any Error) -> String {
        switch error {
        case let error as MessagingError:
            switch error.code {
            case .storage, .incompatibleSchema, .corruptDatabase: return "The server could not reach its storage; retry later."
            default: return error.message
            }
        case let error as PresenceError: return error.message
        case let error as ProtocolError: return error.message
        case let error as any WireCodedError: return error.wireMessage
        default: return "The server failed to process the request; retry later."
        }
    }
}

/// An error of a module above this one (`MessagingDelivery`'s `DeliveryError`, for one)
/// that says its own wire code, so that the wire-code lookup maps it without this module
/// depending on that one.
public protocol WireCodedError: Error {
    /// The code protocol v1 answers for this error.
    var wireCode: WireErrorCode { get }
    /// The message sent with it (never bodies, keys or tokens).
    var wireMessage: String { get }
}

/// A request the protocol layer rejects, with its wire code.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The wire code.
    public var code: WireErrorCode
    /// What was wrong and how to fix it (never frame content).
    public var message: String
    /// The request's correlation id, when the frame got far enough to have one.
    public var requestID: String?

    /// Makes an error.
    public init(_ code: WireErrorCode, _ message: String, requestID: String? = nil) {
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    public var description: String { "\(code): \(message)" }
}
