import MessagingCore
import MessagingTransport
import Synchronization

/// The server side of one Server-Sent Events connection: a `text/event-stream` response
/// carries the server's frames; `POST`s to the connection's id carry the client's.
///
/// ``SSEListener`` makes these and hands them to its handler (the gateway); everything the
/// `MessagingTransport.TransportConnection` port promises holds: in-order frames each way,
/// backpressure on both (a `POST` waits while the inbound buffer is full; the gateway's
/// writes wait while the stream is behind), one close that wins, and a close code the
/// client reads from the stream's last message (`event: close`).
///
/// Thread safety: state behind `Mutex`es; safe to share across tasks; one reader at a time.
public final class SSEConnection: TransportConnection {
    public let metadata: ConnectionMetadata
    /// The connection id: 128 random bits in hex, the address of the connection's `POST`s.
    public let id: String
    /// 256 random bits in hex that every `POST` and `DELETE` must carry: the id appears in
    /// URLs (and so in access logs and proxies); the key only in the stream itself, so only
    /// the stream's reader, the authenticated client, can act on the connection.
    let key: String

    let inbound: FrameChannel
    let outbound: FrameChannel
    private let shared = CloseBox()
    private let positions: Mutex<ResumePositions>
    /// Frames to deliver after the client's `auth` frame (the `Last-Event-ID` resume), or
    /// right away when the stream was opened with a bearer token.
    private let resume = Mutex<[TransportFrame]>([])

    init(
        id: String, key: String, metadata: ConnectionMetadata, configuration: SSETransportConfiguration, resumeFrom: ResumePositions?
    ) {
        self.id = id
        self.key = key
        self.metadata = metadata
        let shared = shared
        let closed: @Sendable () -> TransportError = {
            TransportError(
                code: .connectionClosed, message: "The event stream is closed; reconnect to continue.",
                close: shared.status.withLock { $0 })
        }
        inbound = FrameChannel(capacity: configuration.inboundBufferFrames + configuration.maxResumePositions, closedError: closed)
        outbound = FrameChannel(capacity: configuration.outboundBufferFrames, closedError: closed)
        positions = Mutex(resumeFrom ?? ResumePositions(capacity: configuration.maxResumePositions))
        let subscribes: [TransportFrame] = (resumeFrom?.entries ?? []).map { entry in
            .text(#"{"after":\#(entry.seq),"conversation":"\#(entry.conversation)","id":"resume","type":"subscribe"}"#)
        }
        resume.withLock { $0 = subscribes }
    }

    /// Queues the `Last-Event-ID` subscriptions now (a stream opened with a bearer token is
    /// authenticated before its first frame).
    func releaseResumeFrames() async {
        let frames = resume.withLock { pending -> [TransportFrame] in
            defer { pending = [] }
            return pending
        }
        for frame in frames {
            try? await inbound.send(frame)
        }
    }

    /// Hands a `POST`'s frames to the reader, in order; the `Last-Event-ID` subscriptions
    /// follow the first `auth` frame.
    func deliver(_ frames: [[UInt8]]) async throws {
        for frame in frames {
            try await inbound.send(.text(frame))
            if Self.isAuthFrame(frame) { await releaseResumeFrames() }
        }
    }

    static func isAuthFrame(_ bytes: [UInt8]) -> Bool {
        let needle = Array(#""type":"auth""#.utf8)
        guard bytes.count >= needle.count else { return false }
        return bytes.withUnsafeBufferPointer { buffer in
            (0...(buffer.count - needle.count)).contains { start in
                buffer[start] == needle[0] && needle.indices.allSatisfy { buffer[start + $0] == needle[$0] }
            }
        }
    }

    /// Whether `presented` is this connection's key, compared in time independent of where
    /// the first difference is.
    func admits(key presented: String) -> Bool {
        let expected = Array(key.utf8), given = Array(presented.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ given[index] }
        return difference == 0
    }

    public func receive() async throws -> TransportFrame? {
        await inbound.next()
    }

    public func write(_ frame: TransportFrame) async throws {
        try await outbound.send(.text(SSEEncoding.message(frame.bytes)))
    }

    public func writeEvent(_ frame: TransportFrame, of conversation: ConversationID, seq: Int64) async throws {
        let token = positions.withLock { positions in
            positions.record(conversation, seq)
            return positions.token
        }
        try await outbound.send(.text(SSEEncoding.message(frame.bytes, id: token)))
    }

    /// Queues a keepalive comment.
    func heartbeat() async throws {
        try await outbound.send(.text(SSEEncoding.heartbeat))
    }

    public func close(_ close: TransportClose) async {
        let first = shared.status.withLock { status -> Bool in
            guard status == nil else { return false }
            status = close
            return true
        }
        guard first else { return }
        inbound.finish(dropBuffered: true)
        // The stream writes what is queued, then the close message.
        outbound.finish(dropBuffered: false)
    }

    public var closeStatus: TransportClose? { shared.status.withLock { $0 } }

    /// How a connection whose client went away is closed.
    static let lost = TransportClose(code: CloseCode(rawValue: 1006), reason: "the event stream ended")
}

/// A close status shared by a connection and the errors its queues throw.
final class CloseBox: Sendable {
    let status = Mutex<TransportClose?>(nil)
}
