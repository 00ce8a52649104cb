import MessagingTransport

/// Settings of the Server-Sent Events adapter.
///
/// Thread safety: a value type; safe to share across tasks.
public struct SSETransportConfiguration: Sendable {
    /// Which browser origins may open streams and post frames (server side). Default: any.
    public var allowedOrigins: OriginPolicy
    /// The largest `POST` body, in bytes (one or more frames separated by `\n`). Longer
    /// bodies are answered 413 `body_too_large` and none of their frames is delivered.
    /// Default 1 MiB; a single frame is also subject to the gateway's `maxFrameBytes`.
    public var maxRequestBodyBytes: Int
    /// The most frames one `POST` may carry (more: 413 `too_many_frames`). Default 64.
    public var maxFramesPerRequest: Int
    /// How often the stream carries a `: keepalive` comment, so proxies and the client see
    /// traffic on a quiet stream and a vanished client is noticed. Default 15 s.
    public var heartbeatInterval: Duration
    /// Inbound frames a connection buffers before a `POST` waits for the gateway to read
    /// them (backpressure on the sender). Default 64.
    public var inboundBufferFrames: Int
    /// Outbound frames a connection buffers before the gateway's writes wait for the
    /// stream (backpressure; a stream that stays behind is closed by the gateway's
    /// slow-consumer rules). Default 256.
    public var outboundBufferFrames: Int
    /// The most conversations an event's `id:` line (the `Last-Event-ID` resume token)
    /// lists: the most recently delivered ones. Default 32.
    public var maxResumePositions: Int

    /// Makes settings; every value has the default listed on its property.
    public init(
        allowedOrigins: OriginPolicy = .any, maxRequestBodyBytes: Int = 1 << 20, maxFramesPerRequest: Int = 64,
        heartbeatInterval: Duration = .seconds(15), inboundBufferFrames: Int = 64, outboundBufferFrames: Int = 256,
        maxResumePositions: Int = 32
    ) {
        precondition(maxRequestBodyBytes > 0 && maxFramesPerRequest > 0, "request limits must be positive")
        precondition(heartbeatInterval > .zero, "the heartbeat interval must be positive")
        self.allowedOrigins = allowedOrigins
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.maxFramesPerRequest = maxFramesPerRequest
        self.heartbeatInterval = heartbeatInterval
        self.inboundBufferFrames = max(1, inboundBufferFrames)
        self.outboundBufferFrames = max(1, outboundBufferFrames)
        self.maxResumePositions = max(1, maxResumePositions)
    }
}
