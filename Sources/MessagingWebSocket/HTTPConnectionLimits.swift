/// Timeouts and size limits of the HTTP/1.1 connections served by
/// ``WebSocketListener/serverBuilder()`` (every HTTP request, not only upgrades).
///
/// - A new connection must deliver a complete request head (request line and headers)
///   within ``headerReadTimeout`` of connecting; a later request on a kept-alive connection
///   within ``headerReadTimeout`` of its first byte. A connection that sent part of a head
///   is answered `408` with the JSON error body, one that sent nothing is closed silently.
/// - A kept-alive connection with no request in flight is closed after ``idleTimeout``.
/// - A request line longer than ``maxRequestLineBytes`` is answered `414`, a head longer
///   than ``maxHeaderBytes`` (or any single header line longer than
///   ``maxRequestLineBytes``, or more than ``maxHeaderCount`` headers) `431`, both with the
///   JSON error body, and the connection is closed.
///
/// Upgraded WebSocket connections are not subject to these limits (the realtime protocol
/// has its own timeouts).
///
/// Thread safety: a value type; safe to share across tasks.
public struct HTTPConnectionLimits: Sendable, Equatable {
    /// How long a request head may take to arrive. Default 10 s.
    public var headerReadTimeout: Duration
    /// How long a kept-alive connection may wait for its next request. Default 60 s.
    public var idleTimeout: Duration
    /// The longest request line (and single header line), in bytes. Default 8 KiB.
    public var maxRequestLineBytes: Int
    /// The longest request head (request line plus headers), in bytes. Default 32 KiB.
    public var maxHeaderBytes: Int
    /// The most header fields one request may carry. Default 100.
    public var maxHeaderCount: Int

    /// Makes limits; every value has the default listed on its property.
    public init(
        headerReadTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60),
        maxRequestLineBytes: Int = 8 * 1024, maxHeaderBytes: Int = 32 * 1024, maxHeaderCount: Int = 100
    ) {
        precondition(headerReadTimeout > .zero && idleTimeout > .zero, "timeouts must be positive")
        precondition(maxRequestLineBytes > 0 && maxHeaderBytes >= maxRequestLineBytes && maxHeaderCount > 0, "limits must be positive")
        self.headerReadTimeout = headerReadTimeout
        self.idleTimeout = idleTimeout
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
    }
}
