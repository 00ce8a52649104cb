import MessagingCore

/// A signed access token (a compact JWS), kept out of every description.
///
/// Thread safety: a value type; safe to share across tasks.
public struct AccessToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The compact serialization to send to the client (`header.payload.signature`).
    public let compact: String
    /// When it expires (`exp`).
    public let expiresAt: Timestamp

    public var description: String { "AccessToken(redacted, expires: \(expiresAt.millisecondsSince1970))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["expiresAt": expiresAt]) }
}
