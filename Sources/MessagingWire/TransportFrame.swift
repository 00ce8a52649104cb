/// One frame on a transport connection: a text frame (whose bytes should be UTF-8; the
/// protocol codec checks) or a binary frame.
///
/// Thread safety: a value type; safe to share across tasks.
public enum TransportFrame: Hashable, Sendable {
    /// A text frame. The bytes are passed on unchecked, so the codec can reject invalid UTF-8.
    case text([UInt8])
    /// A binary frame (protocol v1 does not use them; the gateway rejects them).
    case binary([UInt8])

    /// A text frame holding `string`'s UTF-8 bytes.
    public static func text(_ string: String) -> TransportFrame { .text(Array(string.utf8)) }

    /// The frame's payload bytes.
    public var bytes: [UInt8] {
        switch self {
        case .text(let bytes), .binary(let bytes): bytes
        }
    }

    /// The payload decoded as UTF-8, or `nil` when it is not valid UTF-8 or not a text frame.
    public var string: String? {
        guard case .text(let bytes) = self else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// A close code, as in the WebSocket close frame (RFC 6455 §7.4): the standard codes plus
/// the private 4000–4999 range that protocol v1 assigns (see `Documentation/Protocol.md`).
///
/// Thread safety: a value type; safe to share across tasks.
public struct CloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The numeric code.
    public let rawValue: UInt16

    /// Wraps a numeric code.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 1000: normal closure (the client or server is done).
    public static let normal = CloseCode(rawValue: 1000)
    /// 1001: going away — the server is shutting down or restarting; reconnect with backoff.
    public static let goingAway = CloseCode(rawValue: 1001)
    /// 1008: policy violation — binary frames, or too many invalid frames in a row.
    public static let policyViolation = CloseCode(rawValue: 1008)
    /// 1009: message too big — a frame exceeded the maximum frame size.
    public static let messageTooBig = CloseCode(rawValue: 1009)
    /// 1011: internal error — the server failed unexpectedly; reconnect with backoff.
    public static let internalError = CloseCode(rawValue: 1011)
    /// 4401: unauthorized — no token, an invalid or expired token, a revoked session at the
    /// handshake, or no `auth` frame within the handshake timeout. Get a new access token first.
    public static let unauthorized = CloseCode(rawValue: 4401)
    /// 4403: forbidden — the session was revoked (logout, password change, disabled account)
    /// while connected. Do not reconnect with the same session.
    public static let forbidden = CloseCode(rawValue: 4403)
    /// 4408: timeout — nothing received within the idle timeout (idle or half-open connection).
    public static let timeout = CloseCode(rawValue: 4408)
    /// 4409: too many connections — the user already holds the maximum number of connections.
    public static let tooManyConnections = CloseCode(rawValue: 4409)
    /// 4410: resync required — the client fell behind (its outbound queue overflowed) or an
    /// event gap was detected. Reconnect and resume from the last `seq` of each conversation.
    public static let resyncRequired = CloseCode(rawValue: 4410)
    /// 4429: rate limited — repeated requests past the rate limit. The reason says
    /// `retry-after-ms=N`; wait at least that long before reconnecting.
    public static let rateLimited = CloseCode(rawValue: 4429)

    public var description: String { "\(rawValue)" }
}

/// How a connection ended: the close code and a short human-readable reason.
///
/// Thread safety: a value type; safe to share across tasks.
public struct TransportClose: Hashable, Sendable, CustomStringConvertible {
    /// The close code.
    public let code: CloseCode
    /// A short reason (at most 123 UTF-8 bytes on WebSocket; adapters truncate).
    public let reason: String

    /// Makes a close value.
    public init(code: CloseCode, reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue) \(reason)" }
}
