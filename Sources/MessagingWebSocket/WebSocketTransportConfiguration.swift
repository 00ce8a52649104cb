import Foundation

/// Which browser origins may open a realtime connection.
///
/// Browsers send an `Origin` header with every WebSocket upgrade, naming the page's
/// `http`/`https` origin (or `null`); a page on another site could otherwise open a
/// connection with a token it obtained. Native clients send no `Origin`, or one with a
/// `ws`/`wss` scheme (WebSocket libraries such as `WSClient` do), which no browser sends:
/// those are always admitted — origin checks protect browsers, not the server;
/// authentication still happens in the gateway. When a request carries several `Origin`
/// headers, every one must be admitted.
///
/// Thread safety: a value type; safe to share across tasks.
public struct OriginPolicy: Sendable, Hashable, CustomStringConvertible {
    private enum Wrapped: Hashable {
        case any
        case only(Set<String>)
    }

    private let wrapped: Wrapped

    /// Every origin is admitted (development only: any web page can connect).
    public static let any = OriginPolicy(wrapped: .any)

    /// Only these origins are admitted, compared exactly after lowercasing the scheme and
    /// host (`"https://chat.example.com"`, `"http://127.0.0.1:8080"`); an empty set admits
    /// no browser at all.
    public static func only(_ origins: Set<String>) -> OriginPolicy {
        OriginPolicy(wrapped: .only(Set(origins.map(Self.normalized))))
    }

    /// Whether a request carrying `origin` (the header's value, `nil` when absent) is admitted.
    public func admits(_ origin: String?) -> Bool {
        guard let origin else { return true }
        let value = Self.normalized(origin)
        if value.hasPrefix("ws://") || value.hasPrefix("wss://") { return true }
        switch wrapped {
        case .any: return true
        case .only(let allowed): return allowed.contains(Self.normalized(origin))
        }
    }

    static func normalized(_ origin: String) -> String {
        var value = origin.trimmingCharacters(in: .whitespaces)
        while value.hasSuffix("/") { value.removeLast() }
        return value.lowercased()
    }

    public var description: String {
        switch wrapped {
        case .any: "any origin"
        case .only(let allowed): allowed.isEmpty ? "no browser origin" : allowed.sorted().joined(separator: ", ")
        }
    }
}

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
