import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import Synchronization

/// One request a mock server received.
struct RecordedRequest: Sendable {
    /// The HTTP version the request came in (2.0 through the HTTP/2 stream codec).
    let version: HTTPVersion
    let method: String
    let path: String
    /// Every header in arrival order; `host` carries the HTTP/2 `:authority`.
    let headers: [(name: String, value: String)]
    let body: [UInt8]

    /// The values of header `name` (case-insensitive).
    func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// The only value of header `name`, `nil` when it is missing or repeated.
    func header(_ name: String) -> String? {
        let values = headerValues(name)
        return values.count == 1 ? values[0] : nil
    }

    /// The body as a JSON object.
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }

    /// The body as `application/x-www-form-urlencoded` fields.
    var form: [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return fields
    }
}

/// A scripted answer.
struct MockResponse: Sendable {
    var status: Int
    var headers: [(String, String)] = []
    var body: String = ""
    /// Send the head and then nothing: the stream never ends.
    var stallAfterHead = false

    static let ok = MockResponse(status: 200, headers: [("apns-id", "8c2a1e4e-5f2d-4b7a-9c11-0d4c6a0e7f10")])

    /// An APNs error answer: `{"reason": reason}`.
    static func apns(_ status: Int, _ reason: String, headers: [(String, String)] = []) -> MockResponse {
        MockResponse(status: status, headers: [("content-type", "application/json")] + headers, body: #"{"reason":"\#(reason)"}"#)
    }

    /// A JSON answer.
    static func json(_ status: Int, _ body: String) -> MockResponse {
        MockResponse(status: status, headers: [("content-type", "application/json; charset=UTF-8")], body: body)
    }
}

/// A local HTTPS server on 127.0.0.1 that speaks only HTTP/2 (ALPN offers `h2` alone, and the
/// connection pipeline is HTTP/2 from the first byte), records every request and answers
/// from a script.
///
/// Answers: a response queued for the request's path with ``enqueue(_:forPath:)`` goes first;
/// else `fallback(request, n)`, where `n` counts earlier requests to the same path.
final class MockPushServer: Sendable {
    private struct State {
        var requests: [RecordedRequest] = []
        var queued: [String: [MockResponse]] = [:]
        var connections: [any Channel] = []
    }

    let port: Int
    private let listener: any Channel
    private let state = Mutex(State())
    private let fallback: @Sendable (RecordedRequest, Int) -> MockResponse

    private init(listener: any Channel, fallback: @escaping @Sendable (RecordedRequest, Int) -> MockResponse) {
        self.listener = listener
        self.port = listener.localAddress?.port ?? 0
        self.fallback = fallback
    }

    /// Starts a server presenting `pki`'s certificate.
    static func start(
        pki: TestPKI, fallback: @escaping @Sendable (RecordedRequest, Int) -> MockResponse = { _, _ in .ok }
    ) async throws -> MockPushServer {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(pki.certificate)], privateKey: .privateKey(pki.privateKey))
        tls.applicationProtocols = ["h2"]
        let context = try NIOSSLContext(configuration: tls)
        let box = ServerBox()
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    box.server?.track(channel)
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                        mode: .server, connectionConfiguration: .init(), streamConfiguration: .init()
                    ) { stream in
                        stream.eventLoop.makeCompletedFuture {
                            try stream.pipeline.syncOperations.addHandlers([
                                HTTP2FramePayloadToHTTP1ServerCodec(), RecordingHandler(box: box),
                            ])
                        }
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let server = MockPushServer(listener: listener, fallback: fallback)
        box.server = server
        return server
    }

    /// `https://127.0.0.1:<port>`.
    var baseURL: URL { URL(string: "https://127.0.0.1:\(port)")! }

    /// Every request so far, in arrival order.
    var requests: [RecordedRequest] { state.withLock { $0.requests } }

    /// Answers the next request to `path` with `response`.
    func enqueue(_ response: MockResponse, forPath path: String) {
        state.withLock { $0.queued[path, default: []].append(response) }
    }

    /// Closes the listener and every connection it accepted.
    func shutdown() async {
        let connections = state.withLock { $0.connections }
        for connection in connections { try? await connection.close() }
        try? await listener.close()
    }

    fileprivate func track(_ channel: any Channel) {
        state.withLock { $0.connections.append(channel) }
    }

    fileprivate func answer(_ request: RecordedRequest) -> MockResponse {
        let (queued, count): (MockResponse?, Int) = state.withLock { state in
            let count = state.requests.filter { $0.path == request.path }.count
            state.requests.append(request)
            if var queue = state.queued[request.path], !queue.isEmpty {
                let first = queue.removeFirst()
                state.queued[request.path] = queue
                return (first, count)
            }
            return (nil, count)
        }
        return queued ?? fallback(request, count)
    }
}

/// The server as the channel handlers see it (set once the listener is bound, before any
/// connection can arrive).
private final class ServerBox: Sendable {
    private let storage = Mutex<MockPushServer?>(nil)
    var server: MockPushServer? {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}

/// Collects one request of one HTTP/2 stream and writes the scripted answer.
private final class RecordingHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let box: ServerBox
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(box: ServerBox) { self.box = box }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head, let server = box.server else { return }
            let request = RecordedRequest(
                version: head.version, method: head.method.rawValue, path: head.uri,
                headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body)
            let response = server.answer(request)
            var headers = HTTPHeaders(response.headers)
            headers.add(name: "content-length", value: String(response.body.utf8.count))
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers))),
                promise: nil)
            if response.stallAfterHead {
                context.flush()
                return
            }
            // No DATA frame for an empty body, as APNs answers 200: the stream ends with the
            // final frame. (With an empty DATA frame before the final one, two concurrent
            // requests on a new connection never completed; whether the client or this mock
            // stalls was not determined.)
            if !response.body.isEmpty {
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
