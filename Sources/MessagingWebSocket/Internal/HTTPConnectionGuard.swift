import HTTPTypes
import Logging
import MessagingTransport
import NIOCore
import NIOHTTP1

/// The first handler of every HTTP connection (below the HTTP codec, on raw bytes):
/// enforces ``HTTPConnectionLimits``' timeouts and answers the requests the codec cannot
/// read — 408 for a head that did not arrive in time, 414/431 for one over the limits, 400
/// for one that is not HTTP/1.1 — with the JSON error body, then closes the connection.
///
/// It learns where requests begin and end from ``HTTPRequestTracker`` (above the decoder):
/// a decoded head stops the header timer; the end of the last response in flight starts
/// the idle timer. Removed from the pipeline when the connection upgrades to a WebSocket.
///
/// Thread safety: confined to its channel's event loop, like every channel handler.
final class HTTPConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let name = "messaging-http-connection-guard"

    private enum Phase {
        /// No request in flight, no byte of the next one yet (idle timer running).
        case waiting
        /// Part of a head arrived (header timer running): how many bytes, and where its
        /// request line ended (the offset of the first line feed) once it did.
        case readingHead(seen: Int, lineLength: Int?)
        /// At least one request head was decoded and its response is not finished.
        case inRequest
        /// A refusal was answered or the connection is closing: read nothing more.
        case closing
    }

    private let limits: HTTPConnectionLimits
    private let logger: Logger
    private var phase = Phase.waiting
    private var requestsInFlight = 0
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private var pendingRefusal: (status: HTTPResponse.Status, code: String, message: String)?
    private var servedRequests = 0
    private var quiescing = false

    init(limits: HTTPConnectionLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { startWaiting(first: true) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if timer == nil, case .waiting = phase { startWaiting(first: true) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        phase = .closing
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        switch phase {
        case .closing:
            return  // after a refusal: the rest of the request is not read
        case .waiting:
            guard buffer.readableBytes > 0 else { break }
            phase = .readingHead(seen: buffer.readableBytes, lineLength: Self.lineFeed(in: buffer, after: 0))
            schedule(after: limits.headerReadTimeout)
        case .readingHead(let seen, let lineLength):
            phase = .readingHead(seen: seen + buffer.readableBytes, lineLength: lineLength ?? Self.lineFeed(in: buffer, after: seen))
        case .inRequest:
            break
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Graceful shutdown: a connection waiting for its next request will not get one.
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            if case .waiting = phase, requestsInFlight == 0 {
                phase = .closing
                context.close(promise: nil)
                return
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The offset of the first line feed of `buffer`, counted from the start of the head
    /// (`before` bytes of it came earlier).
    private static func lineFeed(in buffer: ByteBuffer, after before: Int) -> Int? {
        buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")).map { before + $0 - buffer.readableBytesView.startIndex }
    }

    // MARK: Signals from the tracker above the decoder

    /// A request head was decoded.
    func headReceived() {
        requestsInFlight += 1
        if case .closing = phase { return }
        cancelTimer()
        phase = .inRequest
    }

    /// A response's last part was written.
    func responseEnded() {
        requestsInFlight = max(0, requestsInFlight - 1)
        servedRequests += 1
        guard requestsInFlight == 0 else { return }
        if let refusal = pendingRefusal {
            pendingRefusal = nil
            answer(refusal.status, code: refusal.code, message: refusal.message)
            return
        }
        if case .inRequest = phase { startWaiting(first: false) }
    }

    /// The decoder could not read a request head: answer with `status` and close (after
    /// the response in flight, if any).
    func refuse(_ error: HTTPParserError) {
        let refusal: (HTTPResponse.Status, String, String)
        switch error {
        case .headerOverflow:
            if case .readingHead(_, let lineLength) = phase, (lineLength ?? .max) > limits.maxRequestLineBytes {
                refusal = (.uriTooLong, "request_line_too_long",
                    "The request line is longer than \(limits.maxRequestLineBytes) bytes; shorten the URL.")
            } else {
                refusal = (.requestHeaderFieldsTooLarge, "headers_too_large",
                    "The request headers are too large: at most \(limits.maxHeaderBytes) bytes in all, \(limits.maxRequestLineBytes) per line and \(limits.maxHeaderCount) fields.")
            }
        default:
            refusal = (.badRequest, "bad_request", "The request is not valid HTTP/1.1.")
        }
        logger.debug("refused an unreadable HTTP request", metadata: ["status": "\(refusal.0.code)"])
        if requestsInFlight > 0 {
            if pendingRefusal == nil { pendingRefusal = refusal }
            phase = .closing
            return
        }
        answer(refusal.0, code: refusal.1, message: refusal.2)
    }

    // MARK: Timers and answers

    private func startWaiting(first: Bool) {
        phase = .waiting
        if quiescing {
            // Shutting down: no further request on this connection (after the answer).
            phase = .closing
            context?.flush()
            context?.close(promise: nil)
            return
        }
        // A new connection gets the header timeout for its first request; a kept-alive
        // one the idle timeout between requests.
        schedule(after: first && servedRequests == 0 ? limits.headerReadTimeout : limits.idleTimeout)
    }

    private func schedule(after delay: Duration) {
        cancelTimer()
        guard let context else { return }
        let nanoseconds = delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .nanoseconds(nanoseconds)) { [self] in
            timer = nil
            timedOut()
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    private func timedOut() {
        switch phase {
        case .waiting:
            logger.debug("closed an idle HTTP connection")
            phase = .closing
            context?.close(promise: nil)
        case .readingHead:
            logger.debug("closed an HTTP connection whose request head did not arrive in time")
            answer(.requestTimeout, code: "request_timeout",
                message: "The request head did not arrive within \(limits.headerReadTimeout); send the whole head at once.")
        case .inRequest, .closing:
            break
        }
    }

    /// Writes a complete response below the codec and closes the connection.
    private func answer(_ status: HTTPResponse.Status, code: String, message: String) {
        cancelTimer()
        phase = .closing
        guard let context else { return }
        let bytes = HTTPErrorBody.rawResponse(status: status, code: code, message: message)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes))).assumeIsolatedUnsafeUnchecked().whenComplete { _ in
            // Half-close first so the peer reads the answer before the connection ends.
            context.close(mode: .output, promise: nil)
            context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .seconds(2)) {
                context.close(promise: nil)
            }
        }
    }
}
