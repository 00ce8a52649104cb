import NIOCore
import NIOHTTP1

/// Sits right above the HTTP decoder: tells the ``HTTPConnectionGuard`` when a request
/// head was decoded and when a response ended, and hands it the decoder's errors (so the
/// client gets a JSON answer instead of a bare 400 or nothing).
///
/// Thread safety: confined to its channel's event loop, like every channel handler.
final class HTTPRequestTracker: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    static let name = "messaging-http-request-tracker"

    private let connectionGuard: HTTPConnectionGuard
    private var failed = false
    private var context: ChannelHandlerContext?
    /// The head of a request that asked for an upgrade, and whether its end passed too:
    /// NIO's upgrade handler keeps both when it does not upgrade (see ``replayRefusedUpgrade()``).
    private var upgradeHead: HTTPRequestHead?
    private var upgradeEndPassed = false

    init(connectionGuard: HTTPConnectionGuard) {
        self.connectionGuard = connectionGuard
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            connectionGuard.headReceived()
            upgradeHead = head.headers.contains(name: "upgrade") ? head : nil
            upgradeEndPassed = false
        case .end:
            if upgradeHead != nil { upgradeEndPassed = true }
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    /// Called when the upgrade handler decided not to upgrade a request that asked for it.
    /// That handler (NIOTypedHTTPServerUpgradeHandler) does not pass such a request's head
    /// on (nor its end, when it arrived before the decision), so the HTTP handlers would
    /// see a request without a head; this sends them again, into the handler's buffer, so
    /// they reach the responder first and in order.
    func replayRefusedUpgrade() {
        guard let context, let head = upgradeHead else { return }
        upgradeHead = nil
        context.fireChannelRead(wrapInboundOut(.head(head)))
        if upgradeEndPassed { context.fireChannelRead(wrapInboundOut(.end(nil))) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isEnd = if case .end = unwrapOutboundIn(data) { true } else { false }
        context.write(data, promise: promise)
        if isEnd { connectionGuard.responseEnded() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError {
            if !failed {
                failed = true
                connectionGuard.refuse(error)
            }
            return
        }
        // After a parser error the decoder reports every later byte; the answer is on its way.
        if failed, error is ByteToMessageDecoderError { return }
        context.fireErrorCaught(error)
    }
}
