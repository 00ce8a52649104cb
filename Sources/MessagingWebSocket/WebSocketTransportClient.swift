import HTTPTypes
import HummingbirdWSClient
import Logging
import MessagingTransport
import NIOWebSocket
import Synchronization
import WSClient
import WSCore

/// The client side of the WebSocket adapter: opens a connection to a protocol v1 server and
/// hands it to a closure as a `MessagingTransport.TransportConnection`.
///
/// The connection lives for the duration of the closure (structured, like grpc-swift-2's
/// clients); when the closure returns the connection is closed normally if it is still
/// open. The access token goes in the upgrade request's `Authorization` header.
///
/// ```swift
/// let client = WebSocketTransportClient(url: "ws://127.0.0.1:8080/v1/realtime", bearerToken: token, logger: logger)
/// let outcome = try await client.withConnection { connection in
///     for try await frame in connection.inbound { … }
/// }
/// print(outcome.close)   // e.g. 4410 resync required: resume from your last seq
/// ```
///
/// Thread safety: a value type; safe to share across tasks; each ``withConnection(_:)``
/// opens its own connection.
public struct WebSocketTransportClient: Sendable {
    /// The server's WebSocket URL (`ws://host:port/v1/realtime` or `wss://…`).
    public var url: String
    /// The access token sent as `Authorization: Bearer …`, if any.
    public var bearerToken: String?
    /// An `Origin` header to send in addition to the `ws://host` one the WebSocket client
    /// always sends (to act like a browser page of that origin, e.g. in tests).
    public var origin: String?
    /// Frame and message limits. The inbound limit should be at least the server's
    /// largest frame (history pages can be large), so the default is 16 MiB.
    public var configuration: WebSocketTransportConfiguration
    let logger: Logger

    /// Makes a client.
    public init(
        url: String, bearerToken: String? = nil, origin: String? = nil,
        configuration: WebSocketTransportConfiguration = .init(maxFrameBytes: 16 << 20), logger: Logger
    ) {
        self.url = url
        self.bearerToken = bearerToken
        self.origin = origin
        self.configuration = configuration
        self.logger = logger
    }

    /// How a connection ended.
    public struct Outcome<Value: Sendable>: Sendable {
        /// What the closure returned.
        public var value: Value
        /// The close code and reason the server sent, if it sent one (`nil` when the
        /// connection dropped without a close frame).
        public var close: TransportClose?
    }

    /// Opens a connection, runs `body` with it, and returns what `body` returned together
    /// with how the connection closed.
    ///
    /// - Throws: `MessagingTransport.TransportError` with code `upgradeRefused` when the
    ///   server (or a proxy) answers the upgrade request without upgrading, `connectionClosed`
    ///   when the server cannot be reached (the message says why), or whatever `body` throws.
    public func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (WebSocketConnection) async throws -> Value
    ) async throws -> Outcome<Value> {
        var headers = HTTPFields()
        if let bearerToken { headers[.authorization] = "Bearer \(bearerToken)" }
        if let origin { headers[.origin] = origin }
        let clientConfiguration = WebSocketClientConfiguration(
            maxFrameSize: max(configuration.maxFrameBytes, configuration.outboundFrameBytes),
            additionalHeaders: headers, extensions: [], closeTimeout: configuration.closeTimeout, autoPing: .disabled,
            validateUTF8: false)
        let result = Mutex<Result<Value, any Error>?>(nil)
        let closeFrame: WebSocketCloseFrame?
        let transportConfiguration = configuration
        do {
            closeFrame = try await WebSocketClient.connect(url: url, configuration: clientConfiguration, logger: logger) {
                inbound, outbound, _ in
                let connection = WebSocketConnection(
                    metadata: ConnectionMetadata(remoteAddress: "server", bearerToken: nil), inbound: inbound,
                    outbound: outbound, configuration: transportConfiguration)
                do {
                    let value = try await body(connection)
                    result.withLock { $0 = .success(value) }
                } catch {
                    result.withLock { $0 = .failure(error) }
                }
                if connection.closeStatus == nil { await connection.close(.normal, reason: "client done") }
            }
        } catch {
            if let outcome = result.withLock({ $0 }) {
                // The connection existed; the body's own outcome wins over the close error.
                return Outcome(value: try outcome.get(), close: nil)
            }
            if let refusal = error as? WebSocketClientError, refusal == .webSocketUpgradeFailed {
                throw TransportError(
                    code: .upgradeRefused,
                    message: "the server at \(url) answered without upgrading to WebSocket (a refusal, or a proxy that strips upgrades)")
            }
            throw TransportError(
                code: .connectionClosed, message: "could not open a WebSocket to \(url): \(error)")
        }
        guard let outcome = result.withLock({ $0 }) else {
            throw TransportError(
                code: .connectionClosed,
                message: "the server at \(url) refused the WebSocket upgrade (check the URL, token and Origin)")
        }
        let close = closeFrame.map {
            TransportClose(code: CloseCode(rawValue: UInt16(truncatingIfNeeded: $0.closeCode.code)), reason: $0.reason ?? "")
        }
        return Outcome(value: try outcome.get(), close: close)
    }
}

extension WebSocketErrorCode {
    /// The numeric close code.
    var code: Int {
        switch self {
        case .normalClosure: 1000
        case .goingAway: 1001
        case .protocolError: 1002
        case .unacceptableData: 1003
        case .dataInconsistentWithMessage: 1007
        case .policyViolation: 1008
        case .messageTooLarge: 1009
        case .missingExtension: 1010
        case .unexpectedServerError: 1011
        case .unknown(let code): Int(code)
        }
    }
}
