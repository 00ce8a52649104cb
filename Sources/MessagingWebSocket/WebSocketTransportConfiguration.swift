import Foundation
import MessagingTransport

/// Settings of the WebSocket adapter (both sides).
///
/// Thread safety: a value type; safe to share across tasks.
public struct WebSocketTransportConfiguration: Sendable {
    /// The largest inbound message, in bytes. A single frame announcing more is refused by
    /// the frame decoder from its header, before any of its payload is buffered; a message
    /// split into continuation frames is refused as soon as its running size passes the
    /// limit. On the server both send a protocol `error` frame with code `frame_too_big`,
    /// then close the connection with 1009 (message too big).
    public var maxFrameBytes: Int
    /// The most frames one inbound message may span (its first frame and its continuation
    /// frames); more is answered like an oversized message (`frame_too_big`, close 1009).
    /// Server side only. Default 128.
    public var maxFragmentsPerMessage: Int = 128
    /// Timeouts and size limits of the HTTP/1.1 connections the server builder accepts
    /// (server side only).
    public var http: HTTPConnectionLimits = .init()
    /// The largest outbound frame; longer messages go out as continuation frames.
    public var outboundFrameBytes: Int
    /// Which browser origins may connect (server side only).
    public var allowedOrigins: OriginPolicy
    /// How long a close handshake may take before the TCP connection is dropped.
    public var closeTimeout: Duration

    /// Makes a configuration. Compression (permessage-deflate) is always off: it costs
    /// memory per connection and makes compressed-size attacks possible.
    public init(
        maxFrameBytes: Int = 65_536,
        outboundFrameBytes: Int = 16_384,
        allowedOrigins: OriginPolicy = .any,
        closeTimeout: Duration = .seconds(5)
    ) {
        precondition(maxFrameBytes > 0 && outboundFrameBytes > 0, "frame sizes must be positive")
        self.maxFrameBytes = maxFrameBytes
        self.outboundFrameBytes = outboundFrameBytes
        self.allowedOrigins = allowedOrigins
        self.closeTimeout = closeTimeout
    }
}
