import Logging
import MessagingTransport
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
/// and drops the connection when the peer closes or after `closeTimeout`.
///
/// Thread safety: confined to its channel's event loop, like every channel handler.
final class WebSocketFrameGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let configuration: WebSocketTransportConfiguration
    private let logger: Logger
    private var fragments = 0
    private var messageBytes = 0
    private var closed = false

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

    private func fail(_ context: ChannelHandlerContext, code: WebSocketErrorCode, reason: String, tooBig: Bool) {
        guard !closed else { return }
        closed = true
        logger.debug("closing a WebSocket that broke the frame rules", metadata: ["reason": "\(reason)"])
        if tooBig {
            let message = "A message holds at most \(configuration.maxFrameBytes) bytes in at most \(configuration.maxFragmentsPerMessage) frames."
            let frame = ServerFrame.error(requestID: nil, code: .frameTooBig, message: message, retryAfterMilliseconds: nil)
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: frame.encoded()))), promise: nil)
        }
        var payload = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        payload.write(webSocketErrorCode: code)
        payload.writeString(reason)
        let loop = context.eventLoop.assumeIsolatedUnsafeUnchecked()
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)))
            .assumeIsolatedUnsafeUnchecked().whenComplete { _ in
                // Half-close so the peer reads the close frame; what it still sends is discarded.
                context.close(mode: .output, promise: nil)
            }
        let timeout = configuration.closeTimeout
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        loop.scheduleTask(in: .nanoseconds(nanoseconds)) { context.close(promise: nil) }
    }
}
