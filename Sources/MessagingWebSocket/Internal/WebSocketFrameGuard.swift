import Logging
import MessagingTransport
import MessagingWire
import NIOCore
import NIOWebSocket

/// Sits right above the WebSocket frame decoder of an upgraded server connection and
/// enforces RFC 6455 and the adapter's limits before any frame reaches the connection:
///
/// - a frame the client did not mask (RFC 6455 §5.1), a malformed control frame, or a
///   frame the decoder cannot read closes the connection with 1002 (protocol error);
/// - a frame whose header announces more than `maxFrameBytes`, a fragmented message whose
///   running size passes it, or a message spanning more than `maxFragmentsPerMessage`
///   frames is answered with the protocol's `error` frame (`frame_too_big`), then closed
///   with 1009 (message too big).
///
/// After a violation it sends the close frame, half-closes, discards whatever else arrives
/// and drops the connection when the peer closes or after `closeTimeout`. The error and
/// close frames never land inside an outbound message that is being sent in fragments
/// (they wait for its last frame), and nothing is sent after the close frame.
///
/// Thread safety: confined to its channel's event loop, like every channel handler.
final class WebSocketFrameGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let configuration: WebSocketTransportConfiguration
    private let logger: Logger
    private var fragments = 0
    private var messageBytes = 0
    private var closed = false
    /// An outbound message was started and its last frame has not been written yet.
    private var sendingFragments = false
    /// The failure to answer once the outbound message in progress is complete.
    private var pending: (code: WebSocketErrorCode, reason: String, tooBig: Bool)?
    private var closeSent = false

    init(configuration: WebSocketTransportConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        let frame = unwrapInboundIn(data)
        guard frame.maskKey != nil else {
            fail(context, code: .protocolError, reason: "client frames must be masked (RFC 6455 5.1)", tooBig: false)
            return
        }
        switch frame.opcode {
        case .text, .binary:
            fragments = 1
            messageBytes = frame.data.readableBytes
        case .continuation:
            fragments += 1
            messageBytes += frame.data.readableBytes
        default:
            context.fireChannelRead(data)  // control frames: answered by the WebSocket handler
            return
        }
        if fragments > configuration.maxFragmentsPerMessage {
            fail(context, code: .messageTooLarge,
                reason: "a message may span at most \(configuration.maxFragmentsPerMessage) frames", tooBig: true)
            return
        }
        if messageBytes > configuration.maxFrameBytes {
            fail(context, code: .messageTooLarge, reason: "message exceeds \(configuration.maxFrameBytes) bytes", tooBig: true)
            return
        }
        if frame.fin {
            fragments = 0
            messageBytes = 0
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case NIOWebSocketError.invalidFrameLength:
            fail(context, code: .messageTooLarge, reason: "frame exceeds \(configuration.maxFrameBytes) bytes", tooBig: true)
        case is NIOWebSocketError:
            fail(context, code: .protocolError, reason: "malformed frame", tooBig: false)
        case is ByteToMessageDecoderError where closed:
            break  // the decoder reports every byte after its error; the close is on its way
        default:
            context.fireErrorCaught(error)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !closeSent else {
            promise?.fail(ChannelError.outputClosed)  // nothing goes after the close frame
            return
        }
        let frame = unwrapOutboundIn(data)
        switch frame.opcode {
        case .text, .binary, .continuation: sendingFragments = !frame.fin
        default: break
        }
        context.write(data, promise: promise)
        if !sendingFragments, let pending {
            self.pending = nil
            answer(context, code: pending.code, reason: pending.reason, tooBig: pending.tooBig)
        }
    }

    private func fail(_ context: ChannelHandlerContext, code: WebSocketErrorCode, reason: String, tooBig: Bool) {
        guard !closed else { return }
        closed = true
        logger.debug("closing a WebSocket that broke the frame rules", metadata: ["reason": "\(reason)"])
        let timeout = configuration.closeTimeout
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .nanoseconds(nanoseconds)) { context.close(promise: nil) }
        if sendingFragments {
            pending = (code, reason, tooBig)  // after the last frame of the message being sent
        } else {
            answer(context, code: code, reason: reason, tooBig: tooBig)
        }
    }

    /// Sends the `frame_too_big` error frame (when `tooBig`) and the close frame, then half-closes.
    private func answer(_ context: ChannelHandlerContext, code: WebSocketErrorCode, reason: String, tooBig: Bool) {
        if tooBig {
            let message = "A message holds at most \(configuration.maxFrameBytes) bytes in at most \(configuration.maxFragmentsPerMessage) frames."
            let frame = ServerFrame.error(requestID: nil, code: .frameTooBig, message: message, retryAfterMilliseconds: nil)
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: frame.encoded()))), promise: nil)
        }
        var payload = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        payload.write(webSocketErrorCode: code)
        payload.writeString(reason)
        closeSent = true
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)))
            .assumeIsolatedUnsafeUnchecked().whenComplete { _ in
                // Half-close so the peer reads the close frame; what it still sends is discarded.
                context.close(mode: .output, promise: nil)
            }
    }
}
