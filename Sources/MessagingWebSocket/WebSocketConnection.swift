import Logging
import MessagingCore
import MessagingDelivery
import MessagingTransport
import NIOCore
import NIOWebSocket
import Synchronization
import WSCore

/// A `MessagingTransport.TransportConnection` over one WebSocket (either side).
///
/// - Inbound: ``receive()`` reads the next message straight from the socket (no extra
///   buffer: TCP backpressure reaches the peer when the reader is slow), joining
///   continuation frames and refusing, with close 1009, a message longer than
///   ``WebSocketTransportConfiguration/maxFrameBytes`` (on the server, the channel's frame
///   guard refuses it first, after a `frame_too_big` error frame; this check is the client's
///   and a backstop).
/// - Outbound: ``write(_:)`` sends a text or binary message, split into frames of at most
///   ``WebSocketTransportConfiguration/outboundFrameBytes``.
/// - ``close(_:)`` sends the close frame with the code and reason (truncated to the 123
///   bytes a close frame can carry) and ends the inbound sequence.
///
/// On the server, writes skip the frame encoder: each message is framed once into one
/// buffer and written from the channel's event loop, and a streamed session
/// (``stream(_:membershipEnded:resync:)``) has its events' shared frames written straight
/// from its queue, one flush per batch, with no task per connection.
///
/// Thread safety: safe to share across tasks; one reader at a time, any number of writers
/// (each message is written whole: on the server as one buffer, on the client under a lock).
public final class WebSocketConnection: SessionStreamingConnection, Sendable {
    public let metadata: ConnectionMetadata
    private let outbound: WebSocketOutboundWriter
    /// The server side's direct writer; `nil` on the client.
    private let sink: FrameSink?
    private let reader: Reader
    private let configuration: WebSocketTransportConfiguration
    private let state = Mutex(State())
    private let writeLock = AsyncLock()

    private struct State {
        var close: TransportClose?
        var closeSent = false
    }

    init(
        metadata: ConnectionMetadata, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
        sink: FrameSink? = nil, configuration: WebSocketTransportConfiguration
    ) {
        self.metadata = metadata
        self.outbound = outbound
        self.sink = sink
        self.reader = Reader(inbound.makeAsyncIterator())
        self.configuration = configuration
    }

    public var closeStatus: TransportClose? { state.withLock { $0.close } }

    public func receive() async throws -> TransportFrame? {
        if closeStatus != nil { return nil }
        // The messages returned before are handled (one reader, which asks again when done).
        sink?.inbound.markHandled(reader.returned)
        var message: [UInt8] = []
        var isText = true
        var inMessage = false
        while true {
            let frame: WebSocketDataFrame?
            do {
                frame = try await reader.next()
            } catch {
                markClosed(TransportClose(code: CloseCode(rawValue: 1006), reason: "connection lost"))
                return nil
            }
            guard let frame else {
                // The close frame's code is not visible here (the client adapter returns it
                // from `withConnection`); 1005 is RFC 6455's "no status available here".
                markClosed(TransportClose(code: CloseCode(rawValue: 1005), reason: "closed by the peer"))
                return nil
            }
            if closeStatus != nil { return nil }
            switch frame.opcode {
            case .text, .binary:
                if inMessage {
                    await close(TransportClose(code: CloseCode(rawValue: 1002), reason: "new message inside a fragmented one"))
                    return nil
                }
                inMessage = true
                isText = frame.opcode == .text
                message.removeAll(keepingCapacity: true)
            case .continuation:
                if !inMessage {
                    await close(TransportClose(code: CloseCode(rawValue: 1002), reason: "continuation frame without a message"))
                    return nil
                }
            }
            guard message.count + frame.data.readableBytes <= configuration.maxFrameBytes else {
                await close(
                    TransportClose(code: .messageTooBig, reason: "message exceeds \(configuration.maxFrameBytes) bytes"))
                return nil
            }
            message.append(contentsOf: frame.data.readableBytesView)
            if frame.fin {
                reader.returned += 1
                return isText ? .text(message) : .binary(message)
            }
        }
    }

    public func write(_ frame: TransportFrame) async throws {
        if let close = closeStatus {
            throw TransportError(code: .connectionClosed, message: "the WebSocket is closed (\(close))", close: close)
        }
        let isText: Bool
        let bytes: [UInt8]
        switch frame {
        case .text(let b): (isText, bytes) = (true, b)
        case .binary(let b): (isText, bytes) = (false, b)
        }
        let limit = configuration.outboundFrameBytes
        if let sink {
            // One buffer holding every frame of the message, written whole on the event loop.
            let frames = FrameSinkHandler.frames(of: ByteBuffer(bytes: bytes), opcode: isText ? 0x1 : 0x2, fragmentLimit: limit)
            do {
                try await sink.write(frames)
            } catch {
                let close = closeStatus ?? TransportClose(code: CloseCode(rawValue: 1006), reason: "connection lost")
                markClosed(close)
                throw TransportError(code: .connectionClosed, message: "the WebSocket is closed (\(close))", close: close)
            }
            return
        }
        do {
            try await writeLock.withLock {
                if bytes.count <= limit {
                    try await outbound.write(
                        .custom(WebSocketFrame(fin: true, opcode: isText ? .text : .binary, data: ByteBuffer(bytes: bytes))))
                    return
                }
                var start = 0
                while start < bytes.count {
                    let end = min(start + limit, bytes.count)
                    let opcode: WebSocketOpcode = start == 0 ? (isText ? .text : .binary) : .continuation
                    try await outbound.write(
                        .custom(WebSocketFrame(fin: end == bytes.count, opcode: opcode, data: ByteBuffer(bytes: bytes[start..<end]))))
                    start = end
                }
            }
        } catch {
            let close = closeStatus ?? TransportClose(code: CloseCode(rawValue: 1006), reason: "connection lost")
            markClosed(close)
            throw TransportError(code: .connectionClosed, message: "the WebSocket closed during a write (\(close))", close: close)
        }
    }

    /// `true` on the server side (``WebSocketListener``'s connections).
    public var streamsSessions: Bool { sink != nil }

    public func stream(
        _ session: OutboundSession, membershipEnded: @escaping @Sendable (ConversationID) -> Void,
        resync: @escaping @Sendable () -> Void
    ) {
        sink?.stream(session, membershipEnded: membershipEnded, resync: resync)
    }

    /// On the server, small complete text messages are offered to `filter` on the event
    /// loop, before the reading task (see `InboundFilterHandler`); on the client, ignored.
    public func setInboundFilter(_ filter: @escaping @Sendable ([UInt8]) -> Bool) {
        sink?.inbound.set(filter)
    }

    public func writeFromWriter(_ frames: @escaping @Sendable () -> [TransportFrame]) {
        guard closeStatus == nil else { return }
        sink?.writeFromLoop(frames)
    }

    public func close(_ close: TransportClose) async {
        let send = state.withLock { state -> Bool in
            if state.close == nil { state.close = close }
            if state.closeSent { return false }
            state.closeSent = true
            return true
        }
        guard send else { return }
        let code = WebSocketErrorCode(codeNumber: Int(close.code.rawValue))
        guard let sink else {
            try? await outbound.close(code, reason: Self.truncated(close.reason))
            return
        }
        // A client that stopped reading gets no close frame (it would queue behind what it
        // did not read): the TCP connection ends now (Protocol.md §12). Otherwise the close
        // frame goes out, and a close that cannot be written within the close timeout ends
        // the TCP connection too.
        guard sink.isWritable else {
            sink.closeNow()
            return
        }
        let timeout = configuration.closeTimeout
        let outbound = outbound
        let reason = Self.truncated(close.reason)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await outbound.close(code, reason: reason) }
            group.addTask {
                do { try await Task.sleep(for: timeout) } catch { return }
                sink.closeNow()
            }
            await group.next()
            group.cancelAll()
        }
        // The close frame is out; a peer that never answers it (stopped reading, gone without
        // a FIN) would keep the connection, and a `receive()` waiting meanwhile, open until
        // it leaves. The TCP connection ends after the close timeout at the latest.
        sink.closeNow(after: timeout)
    }

    /// Records how the connection ended when the peer (or the network) ended it.
    func markClosed(_ close: TransportClose) {
        state.withLock { state in
            if state.close == nil { state.close = close }
            state.closeSent = true
        }
    }

    /// Close reasons are limited to 123 UTF-8 bytes; cut at a character boundary.
    static func truncated(_ reason: String) -> String {
        guard reason.utf8.count > 123 else { return reason }
        var result = ""
        for character in reason {
            if result.utf8.count + String(character).utf8.count > 123 { break }
            result.append(character)
        }
        return result
    }

    /// The inbound iterator. `receive()` has one caller at a time (the port's contract), so
    /// the iterator is never used concurrently.
    private final class Reader: @unchecked Sendable {
        private var iterator: WebSocketInboundStream.AsyncIterator
        /// Messages returned so far.
        var returned = 0

        init(_ iterator: WebSocketInboundStream.AsyncIterator) { self.iterator = iterator }

        func next() async throws -> WebSocketDataFrame? { try await iterator.next() }
    }
}

/// A lock for async critical sections (keeps one message's frames together when several
/// tasks write to one connection). FIFO; never held across anything but frame writes.
final class AsyncLock: Sendable {
    private let state = Mutex<(locked: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func withLock<R>(_ body: () async throws -> R) async rethrows -> R {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        // Fast path: uncontended, no continuation.
        let acquired = state.withLock { state -> Bool in
            if state.locked { return false }
            state.locked = true
            return true
        }
        if acquired { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { state -> Bool in
                if !state.locked {
                    state.locked = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.locked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
