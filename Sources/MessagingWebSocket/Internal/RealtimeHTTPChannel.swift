import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// The HTTP/1.1 child channel of ``WebSocketListener/serverBuilder()``: every request goes
/// to the application's responder, except a valid WebSocket upgrade of the listener's
/// route while it accepts, which is answered 101 and handed to the listener.
///
/// Unlike Hummingbird's own upgrade channel, a refused upgrade is not answered with a bare
/// `400`: the request continues to the router, whose realtime route answers the refusal's
/// status and JSON body (``WebSocketUpgradeRefusal``). The decision is made synchronously
/// on the event loop right before the 101 is written, so no upgrade is accepted after the
/// listener stopped accepting. It also installs ``HTTPConnectionGuard`` (timeouts,
/// oversized heads) and, after an upgrade, ``WebSocketFrameGuard``.
struct RealtimeHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    /// Runs an upgraded connection.
    typealias UpgradedHandler = @Sendable (NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, FrameSink, Logger) async -> Void

    enum UpgradeResult: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, FrameSink, UpgradedHandler)
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    }

    struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let configuration: WebSocketTransportConfiguration
    /// The handler of an accepted upgrade, or `nil` to leave the request to the responder.
    let decide: @Sendable (HTTPRequest, any Channel) -> UpgradedHandler?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let configuration = configuration
            let decide = decide
            let sync = channel.pipeline.syncOperations
            let connectionGuard = HTTPConnectionGuard(limits: configuration.http, logger: logger)
            try sync.addHandler(connectionGuard, name: HTTPConnectionGuard.name)

            let accepted = NIOLockedValueBox<UpgradedHandler?>(nil)
            let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
                maxFrameSize: configuration.maxFrameBytes,
                enableAutomaticErrorHandling: false,
                shouldUpgrade: { channel, head in
                    let handler = (try? HTTPRequest(head, secure: false, splitCookie: false)).flatMap { decide($0, channel) }
                    accepted.withLockedValue { $0 = handler }
                    return channel.eventLoop.makeSucceededFuture(handler == nil ? nil : HTTPHeaders())
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard let handler = accepted.withLockedValue({ $0 }) else {
                            throw ChannelError.inappropriateOperationForState
                        }
                        let sync = channel.pipeline.syncOperations
                        sync.removeHandler(name: HTTPRequestTracker.name, promise: nil)
                        sync.removeHandler(name: HTTPConnectionGuard.name, promise: nil)
                        try sync.addHandler(WebSocketFrameGuard(configuration: configuration, logger: logger))
                        let filter = InboundFilterState()
                        try sync.addHandler(InboundFilterHandler(state: filter))
                        // First in the pipeline: the frames it writes (events, answers) are
                        // complete and go to the socket as they are.
                        let sinkHandler = FrameSinkHandler(fragmentLimit: configuration.outboundFrameBytes)
                        try sync.addHandler(sinkHandler, position: .first)
                        let sink = FrameSink(handler: sinkHandler, eventLoop: channel.eventLoop, inbound: filter)
                        let asyncChannel = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        return UpgradeResult.websocket(asyncChannel, sink, handler)
                    }
                })

            var pipeline = NIOUpgradableHTTPServerPipelineConfiguration<UpgradeResult>(
                upgradeConfiguration: NIOTypedHTTPServerUpgradeConfiguration(
                    upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let sync = channel.pipeline.syncOperations
                            try sync.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                            try sync.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
                            let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                            // A refused upgrade continues as a plain request (to the route's refusal).
                            try sync.handler(type: HTTPRequestTracker.self).replayRefusedUpgrade()
                            return UpgradeResult.http(http)
                        }
                    }))
            pipeline.enablePipelining = false  // NIOAsyncChannel serializes requests
            pipeline.enableErrorHandling = false  // HTTPRequestTracker answers parse errors
            pipeline.enableResponseHeaderValidation = false  // swift-http-types validates
            pipeline.decoderConfiguration.maxHeaderFieldSize = configuration.http.maxRequestLineBytes
            pipeline.decoderConfiguration.maxHeaderListSize = configuration.http.maxHeaderBytes
            pipeline.decoderConfiguration.maxHeaderFieldCount = configuration.http.maxHeaderCount
            let result = try sync.configureUpgradableHTTPServerPipeline(configuration: pipeline)
            let upgradeHandler = try sync.handler(type: NIOTypedHTTPServerUpgradeHandler<UpgradeResult>.self)
            try sync.addHandler(
                HTTPRequestTracker(connectionGuard: connectionGuard), name: HTTPRequestTracker.name,
                position: .before(upgradeHandler))
            return Value(upgradeResult: result, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .websocket(let webSocket, let sink, let handler):
                await handler(webSocket, sink, logger)
            }
        } catch {
            // The connection ended before a request head was read (or its head was refused
            // by HTTPConnectionGuard, which answered it).
            logger.trace("HTTP connection ended before a request", metadata: ["error": "\(error)"])
        }
    }
}
