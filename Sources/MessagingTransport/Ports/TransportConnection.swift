import Foundation
import MessagingCore
import MessagingDelivery

/// What an adapter learned about a connection before any frame: the peer's address and,
/// when the upgrade request carried `Authorization: Bearer …`, the token.
///
/// Adapters must take the token from the `Authorization` header only, never from the URL
/// (URLs end up in logs and proxies).
///
/// Thread safety: a value type; safe to share across tasks. Its description never shows the token.
public struct ConnectionMetadata: Hashable, Sendable, CustomStringConvertible {
    /// The client's address (IP, or an adapter-specific name), the key of per-address rate limits.
    public var remoteAddress: String
    /// The bearer token from the upgrade request's `Authorization` header, if any.
    public var bearerToken: String?

    /// Makes metadata.
    public init(remoteAddress: String, bearerToken: String? = nil) {
        self.remoteAddress = remoteAddress
        self.bearerToken = bearerToken
    }

    /// The token of an `Authorization: Bearer <token>` header value (scheme compared
    /// case-insensitively, surrounding spaces ignored), or `nil` when the value is not one.
    /// Adapters and HTTP handlers share this parser so both accept the same headers.
    public static func bearerToken(fromAuthorizationHeader header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    public var description: String {
        "ConnectionMetadata(remoteAddress: \(remoteAddress), bearerToken: \(bearerToken == nil ? "none" : "redacted"))"
    }
}

/// One bidirectional, message-oriented connection (a WebSocket, an in-memory pair).
///
/// - Inbound: ``receive()`` (or the ``inbound`` sequence built on it) yields frames in
///   order, one reader at a time, and returns `nil` once the connection closed (by either
///   side). Adapters apply backpressure: they read from the network only as fast as the
///   reader asks.
/// - Outbound: ``write(_:)`` suspends while the adapter's outbound buffer is full
///   (backpressure) and throws ``TransportError/Code-swift.struct/connectionClosed`` once
///   the connection closed; writes of one task go out in order.
/// - ``close(_:)`` sends the close code and reason (once; later calls do nothing), ends
///   the inbound sequence, and fails pending and later writes.
///
/// Implementers: every method must be safe to call from any task; `write` and `close`
/// may be called concurrently from several tasks (the gateway writes responses and events
/// from different tasks). Throw ``TransportError`` only.
public protocol TransportConnection: Sendable {
    /// The address and upgrade-request token of the peer.
    var metadata: ConnectionMetadata { get }

    /// The next inbound frame, or `nil` once the connection is closed. One reader at a time.
    func receive() async throws -> TransportFrame?

    /// Sends a frame, suspending while the outbound buffer is full.
    func write(_ frame: TransportFrame) async throws

    /// Sends the frame of an event of `conversation` at `seq` (a live event or one of a
    /// replayed backlog). The default writes it with ``write(_:)``; an adapter that labels
    /// events implements it (the Server-Sent Events adapter puts the subscriptions'
    /// positions in each event's `id:` line, so `Last-Event-ID` resumes them).
    func writeEvent(_ frame: TransportFrame, of conversation: ConversationID, seq: Int64) async throws

    /// Closes the connection with a code and reason. Idempotent: the first close wins.
    func close(_ close: TransportClose) async

    /// How the connection closed (by either side), or `nil` while it is open.
    var closeStatus: TransportClose? { get }
}

extension TransportConnection {
    public func writeEvent(_ frame: TransportFrame, of conversation: ConversationID, seq: Int64) async throws {
        try await write(frame)
    }

    /// The inbound frames as an async sequence (built on ``receive()``).
    public var inbound: InboundFrames<Self> { InboundFrames(connection: self) }

    /// Closes the connection with `code` and `reason`.
    public func close(_ code: CloseCode, reason: String) async {
        await close(TransportClose(code: code, reason: reason))
    }
}

/// The inbound frames of a connection, in order; ends when the connection closes.
///
/// Thread safety: the sequence is `Sendable`; iterate it from one task at a time.
public struct InboundFrames<Connection: TransportConnection>: AsyncSequence, Sendable {
    public typealias Element = TransportFrame
    let connection: Connection

    /// The iterator: each `next()` is one ``TransportConnection/receive()``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let connection: Connection

        public mutating func next() async throws -> TransportFrame? {
            try await connection.receive()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(connection: connection) }
}

/// A connection that writes an `MessagingDelivery.OutboundSession`'s events itself, on
/// its own I/O thread, as they are queued: no task per connection, one flush per batch.
///
/// The gateway hands such a connection the session after the handshake (``stream(_:membershipEnded:resync:)``)
/// instead of running a task that waits on the session and calls ``TransportConnection/write(_:)``
/// for each event. The WebSocket adapter writes each event's pre-built frame
/// (`MessagingDelivery.EncodedEvent.frame`) straight to the socket.
///
/// Implementers: write the session's events in queue order, interleaved with
/// ``TransportConnection/write(_:)`` frames in the order the calls were made; stop reading the
/// queue while the socket is not writable (the session's limits then close it for resync);
/// after writing an event that ends the membership of the session's user
/// (`MessagingDelivery.EncodedEvent.endsMembership(of:)`: its `member.left`, or
/// `conversation.deleted`), call `membershipEnded` with its conversation; once the session closed
/// with `MessagingDelivery.CloseReason.resync` and everything queued was written, call
/// `resync` once. Callbacks run on any thread and must not block.
public protocol SessionStreamingConnection: TransportConnection {
    /// Whether this connection streams sessions (``stream(_:membershipEnded:resync:)``);
    /// when `false`, the gateway writes the events itself.
    var streamsSessions: Bool { get }

    /// Starts writing `session`'s events. Called once per connection.
    func stream(
        _ session: OutboundSession, membershipEnded: @escaping @Sendable (ConversationID) -> Void,
        resync: @escaping @Sendable () -> Void)

    /// Runs `frames` on the connection's writer and writes what it returns, in order with
    /// the session's events, without waiting for room: for small, infrequent frames
    /// produced elsewhere (typing and presence changes). Does nothing once closed.
    func writeFromWriter(_ frames: @escaping @Sendable () -> [TransportFrame])

    /// Lets the gateway handle small text messages where they arrive, without a hop to the
    /// reading task: the connection calls `filter` on its I/O thread with a complete text
    /// message's bytes, but only when every message that arrived before it was already
    /// handled by ``TransportConnection/receive()``'s caller (so the arrival order holds).
    /// When `filter` returns `true` the message is handled and ``TransportConnection/receive()``
    /// never returns it; otherwise it goes on to the reader as usual. `filter` must not block.
    ///
    /// The gateway uses it for `ack` frames, the one request every delivered event causes.
    /// The default implementation ignores the filter (every message reaches the reader).
    func setInboundFilter(_ filter: @escaping @Sendable ([UInt8]) -> Bool)
}

extension SessionStreamingConnection {
    public func setInboundFilter(_ filter: @escaping @Sendable ([UInt8]) -> Bool) {}
}
