import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MessagingTransport
import NIOCore
import Synchronization

/// The server side of the Server-Sent Events adapter: a `MessagingTransport.TransportListener`
/// fed by three Hummingbird 2 routes, for clients that cannot use WebSocket (a proxy that
/// strips upgrades, a network that blocks them).
///
/// - `GET path` opens a connection: a `text/event-stream` response whose first message
///   (`event: connection`) names the connection id, followed by one message per server
///   frame (`data: <frame JSON>`; events carry an `id:` resume token), `: keepalive`
///   comments, and, when the server closes the connection, `event: close` with the code
///   and reason.
/// - `POST path/{connection}` carries client frames (one, or several separated by `\n`) to
///   the connection; answered 202 `{"accepted":n}`, the answers come on the stream.
/// - `DELETE path/{connection}` closes the connection (204).
///
/// `POST` and `DELETE` carry the connection's key (from the `connection` message) in the
/// ``connectionKeyHeader`` header: the id travels in URLs, which end up in logs, so it is
/// only an address; the key, which only the stream's reader sees, is what lets a request
/// act on the connection (403 `invalid_connection_key` otherwise).
///
/// The token is taken from the `Authorization` header of the `GET` (never from the URL);
/// a browser's `EventSource` cannot set it and sends an `auth` frame as its first `POST`,
/// exactly as over WebSocket. `Origin` is checked on every request against
/// ``SSETransportConfiguration/allowedOrigins``. A stream opened with `Last-Event-ID`
/// resubscribes the conversations the token lists, after their seq, once authenticated.
///
/// ```swift
/// let sse = SSEListener(configuration: .init(allowedOrigins: .only(["https://chat.example.com"])), logger: logger)
/// sse.addRoutes(to: router, at: "/v1/realtime/events")   // Context: RemoteAddressRequestContext
/// // run a service calling `gateway.serve(sse)` beside the application
/// ```
///
/// Connections live on the node that serves their `GET`: a `POST` that reaches another node
/// is answered 404 `unknown_connection`, and the client opens a new stream there and resumes
/// by `seq` (nothing is lost, but a balancer that keeps a client on one node saves the
/// reconnects).
///
/// Thread safety: safe to share across tasks.
public final class SSEListener: TransportListener, Sendable {
    public typealias Connection = SSEConnection

    /// The settings.
    public let configuration: SSETransportConfiguration
    let logger: Logger
    private let registry = ListenerRegistry<String, SSEConnection>()

    /// Makes a listener.
    public init(configuration: SSETransportConfiguration = .init(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The routes ``addRoutes(to:at:)`` registers under `path`, as `METHOD /path`.
    public static func routes(at path: String) -> [String] {
        ["GET \(path)", "POST \(path)/{connection}", "DELETE \(path)/{connection}"]
    }

    /// Registers the stream (`GET path`), the frames (`POST path/:connection`) and the close
    /// (`DELETE path/:connection`) routes on `router`.
    public func addRoutes<Context: RemoteAddressRequestContext>(to router: Router<Context>, at path: RouterPath) {
        router.get(path) { [self] request, context -> Response in
            try openStream(request, remoteAddress: context.remoteAddress)
        }
        router.post(RouterPath("\(path)/:connection")) { [self] request, context -> Response in
            try checkOrigin(request)
            let connection = try connection(named: context.parameters.get("connection"), request: request)
            let frames = try await frames(of: request)
            do {
                try await connection.deliver(frames)
            } catch {
                throw SSERefusal.unknownConnection
            }
            return Response(
                status: .accepted, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"accepted":\#(frames.count)}"#)))
        }
        router.delete(RouterPath("\(path)/:connection")) { [self] request, context -> Response in
            try checkOrigin(request)
            let connection = try connection(named: context.parameters.get("connection"), request: request)
            await connection.close(.normal, reason: "closed by the client")
            return Response(status: .noContent)
        }
    }

    private func checkOrigin(_ request: Request) throws {
        if let refused = request.headers[values: .origin].first(where: { !configuration.allowedOrigins.admits($0) }) {
            logger.notice("refused an event-stream request from a disallowed origin", metadata: ["origin": "\(refused.prefix(200))"])
            throw SSERefusal.originNotAllowed(refused)
        }
    }

    /// The connection a `POST` or `DELETE` addresses, once its key checks out.
    private func connection(named id: String?, request: Request) throws -> SSEConnection {
        guard let id, id.utf8.count == 32, let connection = registry.connection(id) else {
            throw SSERefusal.unknownConnection
        }
        guard let key = request.headers[Self.connectionKeyHeader], connection.admits(key: key) else {
            logger.notice("refused an event-stream request without the connection's key", metadata: ["connection": "\(id)"])
            throw SSERefusal.invalidConnectionKey
        }
        return connection
    }

    /// The frames of a `POST` body: lines separated by `\n` (a trailing `\r` is dropped),
    /// empty lines skipped, within the configured limits.
    private func frames(of request: Request) async throws -> [[UInt8]] {
        let limit = configuration.maxRequestBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw SSERefusal.bodyTooLarge(limit)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch {
            throw SSERefusal.bodyTooLarge(limit)
        }
        let bytes = body.readableBytesView
        var frames: [[UInt8]] = []
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            var line = bytes[start..<end]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if !line.isEmpty {
                guard frames.count < configuration.maxFramesPerRequest else {
                    throw SSERefusal.tooManyFrames(configuration.maxFramesPerRequest)
                }
                frames.append(Array(line))
            }
            start = end == bytes.endIndex ? end : bytes.index(after: end)
        }
        guard !frames.isEmpty else { throw SSERefusal.emptyBody }
        return frames
    }

    /// Opens a connection for a `GET`: the streaming response that carries it.
    private func openStream(_ request: Request, remoteAddress: SocketAddress?) throws -> Response {
        try checkOrigin(request)
        var resume: ResumePositions?
        if let lastEventID = request.headers[Self.lastEventIDHeader] {
            guard let positions = ResumePositions(token: lastEventID, capacity: configuration.maxResumePositions) else {
                throw SSERefusal.invalidLastEventID
            }
            resume = positions
        }
        let address = remoteAddress.map { $0.ipAddress ?? "\($0)" } ?? "unknown"
        let token = request.headers[.authorization].flatMap(ConnectionMetadata.bearerToken(fromAuthorizationHeader:))
        let connection = SSEConnection(
            id: Self.randomHex(bytes: 16), key: Self.randomHex(bytes: 32), metadata: ConnectionMetadata(remoteAddress: address, bearerToken: token),
            configuration: configuration, resumeFrom: resume)
        guard let handler = registry.admit(connection, as: connection.id) else { throw SSERefusal.unavailable }
        let configuration = configuration
        let headers: HTTPFields = [
            .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store",
            .xContentTypeOptions: "nosniff", Self.accelBufferingHeader: "no",
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody { [self] (writer: inout any ResponseBodyWriter) in
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    if token != nil { await connection.releaseResumeFrames() }
                    await handler(connection)
                }
                group.addTask {
                    while (try? await Task.sleep(for: configuration.heartbeatInterval)) != nil {
                        guard (try? await connection.heartbeat()) != nil else { return }
                    }
                }
                do {
                    try await writer.write(ByteBuffer(bytes: SSEEncoding.opening(connection: connection.id, key: connection.key, heartbeat: configuration.heartbeatInterval)))
                    while let frame = await connection.outbound.next() {
                        try await writer.write(ByteBuffer(bytes: frame.bytes))
                    }
                    try await writer.write(ByteBuffer(bytes: SSEEncoding.closing(connection.closeStatus ?? SSEConnection.lost)))
                    try await writer.finish(nil)
                } catch {
                    // The client went away: end the connection so the gateway releases it.
                    await connection.close(SSEConnection.lost)
                }
                group.cancelAll()
                await group.waitForAll()
            }
            registry.finish(connection.id)
        })
    }

    static let lastEventIDHeader = HTTPField.Name("Last-Event-ID")!
    /// The header that carries a connection's key on its `POST`s and `DELETE`.
    public static let connectionKeyHeader = HTTPField.Name("Realtime-Connection-Key")!
    /// Tells nginx-style proxies not to buffer the stream.
    static let accelBufferingHeader = HTTPField.Name("X-Accel-Buffering")!

    /// `bytes` (a multiple of 8) random bytes in lowercase hex, from the system's CSPRNG.
    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<(bytes / 8)).map { _ in
            let value = generator.next() as UInt64
            let hex = String(value, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    public func listen(_ handler: @escaping @Sendable (SSEConnection) async -> Void) async throws {
        try await registry.listen(handler, name: "SSEListener")
    }

    /// Refuses new streams (503) from now on, without ending ``listen(_:)``.
    public func stopAccepting() {
        registry.stopAccepting()
    }

    public func stopListening() {
        registry.stopListening()
    }

    /// Closes every open connection (shutdown: 1001 going away). Call ``stopListening()``
    /// first so no new connection arrives meanwhile.
    public func closeAll(_ close: TransportClose) async {
        for connection in registry.connections { await connection.close(close) }
    }

    /// The number of open connections.
    public var activeConnections: Int { registry.count }

    /// Whether new streams are accepted now.
    public var isAccepting: Bool { registry.isAccepting }
}
