import MessagingPresence

/// The limits of protocol v1 that the codec enforces on every inbound frame.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ProtocolLimits: Hashable, Sendable {
    /// The protocol version this library speaks.
    public static let version = 1

    /// The largest inbound frame in bytes; a larger one closes the connection with 1009.
    /// Default 128 KiB (room for a 64 KiB encrypted body in base64 plus the envelope).
    public var maxFrameBytes: Int
    /// The deepest JSON nesting accepted (the envelope object is depth 1). Default 8.
    public var maxDepth: Int
    /// The longest request `id`, in ASCII characters. Default 64.
    public var maxRequestIDLength: Int
    /// The longest presence status text, in characters after trimming surrounding white
    /// space. Default and ceiling: `StatusText.maximumCharacters` (100), the presence
    /// tracker's own limit, so the codec never accepts a status the tracker refuses.
    public var maxStatusCharacters: Int
    /// Invalid frames in a row after which the connection closes with 1008. Default 10.
    public var maxConsecutiveInvalidFrames: Int

    /// Makes limits; the defaults are listed on each property.
    public init(
        maxFrameBytes: Int = 128 * 1024, maxDepth: Int = 8, maxRequestIDLength: Int = 64,
        maxStatusCharacters: Int = StatusText.maximumCharacters, maxConsecutiveInvalidFrames: Int = 10
    ) {
        self.maxFrameBytes = max(1024, maxFrameBytes)
        self.maxDepth = max(2, maxDepth)
        self.maxRequestIDLength = max(1, maxRequestIDLength)
        self.maxStatusCharacters = min(max(1, maxStatusCharacters), StatusText.maximumCharacters)
        self.maxConsecutiveInvalidFrames = max(1, maxConsecutiveInvalidFrames)
    }
}
