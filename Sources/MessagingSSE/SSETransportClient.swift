import AsyncHTTPClient
import Foundation
import Logging
import MessagingTransport
import NIOCore
import NIOHTTP1
import Synchronization

/// The client side of the Server-Sent Events adapter: opens an event stream to a protocol
/// v1 server and hands it to a closure as a `MessagingTransport.TransportConnection`
/// (``SSEClientConnection``), whose writes are `POST`s.
///
/// The connection lives for the duration of the closure; when the closure returns it is
/// closed (`DELETE`) if it is still open.
///
/// ```swift
/// let client = SSETransportClient(url: "http://127.0.0.1:8080/v1/realtime/events", logger: logger)
/// let outcome = try await client.withConnection { connection in
///     try await connection.write(.text(#"{"type":"auth","id":"a1","token":"…"}"#))
///     for try await frame in connection.inbound { … }
/// }
/// print(outcome.close)   // e.g. 4410 resync required: resume from your last seq
/// ```
///
/// Each open stream holds one HTTP/1.1 connection of `httpClient`'s pool for as long as it
/// lasts, and its `POST`s need others: AsyncHTTPClient keeps 8 connections per host by
/// default, so a process with many streams to one server passes a client whose
/// `concurrentHTTP1ConnectionsPerHostSoftLimit` covers them.
///
/// Thread safety: a value type; safe to share across tasks; each ``withConnection(_:)``
/// opens its own connection.
public struct SSETransportClient: Sendable {
    /// The server's event-stream URL (`http://host:port/v1/realtime/events` or `https://…`).
    public var url: String
    /// The access token sent as `Authorization: Bearer …` on the stream request, if any.
    public var bearerToken: String?
    /// An `Origin` header to send with every request (to act as a page of that origin).
    public var origin: String?
    /// A `Last-Event-ID` to open the stream with (a previous connection's
    /// ``SSEClientConnection/lastEventID``): the server resubscribes what it lists.
    public var lastEventID: String?
    /// How long opening the stream (until the response head) and each `POST` may take.
    public var requestTimeout: Duration
    let httpClient: HTTPClient
    let logger: Logger

    /// Makes a client; requests go through `httpClient` (the shared client by default).
    public init(
        url: String, bearerToken: String? = nil, origin: String? = nil, lastEventID: String? = nil,
        requestTimeout: Duration = .seconds(15), httpClient: HTTPClient = .shared, logger: Logger
    ) {
        self.url = url
        self.bearerToken = bearerToken
        self.origin = origin
        self.lastEventID = lastEventID
        self.requestTimeout = requestTimeout
        self.httpClient = httpClient
        self.logger = logger
    }

    /// How a connection ended.
    public struct Outcome<Value: Sendable>: Sendable {
        /// What the closure returned.
        public var value: Value
        /// The close code and reason the server sent (its `event: close`), or `nil` when
        /// the stream ended without one.
        public var close: TransportClose?
    }

    /// Opens a stream, runs `body` with its connection, and returns what `body` returned
    /// together with how the server closed the connection.
    ///
    /// - Throws: `MessagingTransport.TransportError` with code `upgradeRefused` when the
    ///   server answers the stream request with another status (the message carries the
    ///   status and the server's error code), `connectionClosed` when it cannot be
    ///   reached, or whatever `body` throws.
    public func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (SSEClientConnection) async throws -> Value
    ) async throws -> Outcome<Value> {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "text/event-stream")
        request.headers.add(name: "Cache-Control", value: "no-store")
        if let bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)") }
        if let origin { request.headers.add(name: "Origin", value: origin) }
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: .init(requestTimeout), logger: logger)
        } catch {
            throw TransportError(code: .connectionClosed, message: "could not open an event stream at \(url): \(error)")
        }
        guard response.status == .ok else {
            let detail = (try? await response.body.collect(upTo: 16 * 1024)).map { String(buffer: $0) } ?? ""
            throw TransportError(
                code: .upgradeRefused,
                message: "the server at \(url) answered the event-stream request with \(response.status.code): \(detail.prefix(300))")
        }
        var events = response.body.makeAsyncIterator()
        var parser = SSEParser()
        // The first message names the connection.
        var opening: SSEParser.Message?
        var following: [SSEParser.Message] = []
        do {
            while opening == nil, let buffer = try await events.next() {
                let messages = try parser.parse(buffer.readableBytesView)
                opening = messages.first
                following = Array(messages.dropFirst())
            }
        } catch {
            throw TransportError(code: .connectionClosed, message: "the event stream at \(url) ended before it opened: \(error)")
        }
        guard let opening, opening.event == "connection", let (id, key) = Self.connection(in: opening.data) else {
            throw TransportError(
                code: .connectionClosed, message: "the event stream at \(url) did not start with its connection id and key")
        }
        let connection = SSEClientConnection(
            id: id, key: key, postURL: url + "/" + id, origin: origin, requestTimeout: requestTimeout, httpClient: httpClient,
            lastEventID: parser.lastEventID, logger: logger)
        let eventSource = UnsafeTransfer(events)
        let startingParser = parser
        let buffered = following
        let result = await withTaskGroup(of: Result<Value, any Error>?.self) { group in
            group.addTask {
                await connection.read(from: eventSource.value, parser: startingParser, buffered: buffered)
                return nil
            }
            group.addTask {
                do {
                    let value = try await body(connection)
                    return .success(value)
                } catch {
                    return .failure(error)
                }
            }
            var outcome: Result<Value, any Error>?
            while let next = await group.next() {
                if let next {
                    outcome = next
                    if connection.closeStatus == nil { await connection.close(.normal, reason: "client done") }
                    group.cancelAll()
                }
            }
            return outcome
        }
        guard let result else {
            throw TransportError(code: .connectionClosed, message: "the event stream at \(url) ended")
        }
        return Outcome(value: try result.get(), close: connection.serverClose)
    }

    /// The connection id and key of a stream's first message.
    static func connection(in data: [UInt8]) -> (id: String, key: String)? {
        func isHex(_ text: String, length: Int) -> Bool {
            text.utf8.count == length && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any],
            let id = object["connection"] as? String, isHex(id, length: 32),
            let key = object["key"] as? String, isHex(key, length: 64)
        else { return nil }
        return (id, key)
    }
}

/// Hands a non-`Sendable` iterator to the one task that uses it from then on.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The client end of a Server-Sent Events connection (see ``SSETransportClient``):
/// inbound frames come from the event stream, each ``write(_:)`` is one `POST`.
///
/// Writes of one task arrive in order (each waits for the server's 202, which the server
/// sends once the frame is queued for the gateway). ``close(_:)`` sends `DELETE`.
///
/// Thread safety: safe to share across tasks; one reader at a time.
public final class SSEClientConnection: TransportConnection {
    public let metadata = ConnectionMetadata(remoteAddress: "server", bearerToken: nil)
    /// The connection id the server assigned.
    public let id: String
    /// The key every `POST` and `DELETE` carries (``SSEListener/connectionKeyHeader``).
    let key: String
    let postURL: String
    let origin: String?
    let requestTimeout: Duration
    let httpClient: HTTPClient
    let logger: Logger
    private let inbound: FrameChannel
    private let box: StateBox

    private final class StateBox: Sendable {
        let state: Mutex<State>
        init(_ state: State) { self.state = Mutex(state) }
    }

    private struct State {
        var close: TransportClose?
        var serverClose: TransportClose?
        var lastEventID: String?
    }

    init(
        id: String, key: String, postURL: String, origin: String?, requestTimeout: Duration, httpClient: HTTPClient,
        lastEventID: String?, logger: Logger
    ) {
        self.id = id
        self.key = key
        self.postURL = postURL
        self.origin = origin
        self.requestTimeout = requestTimeout
        self.httpClient = httpClient
        self.logger = logger
        let box = StateBox(State(lastEventID: lastEventID))
        self.box = box
        inbound = FrameChannel(capacity: 256) {
            TransportError(
                code: .connectionClosed, message: "The event stream is closed; reconnect to continue.",
                close: box.state.withLock { $0.close })
        }
    }

    /// The id of the last event received: pass it as ``SSETransportClient/lastEventID`` to
    /// resume the same subscriptions on a new stream.
    public var lastEventID: String? { box.state.withLock { $0.lastEventID } }

    /// The close the server sent (`event: close`), if it did.
    var serverClose: TransportClose? { box.state.withLock { $0.serverClose } }

    /// Reads the stream until it ends (the messages already parsed first), queueing frames
    /// for ``receive()``.
    func read(from events: HTTPClientResponse.Body.AsyncIterator, parser: SSEParser, buffered: [SSEParser.Message]) async {
        var events = events
        var parser = parser
        var messages = buffered
        do {
            while true {
                for message in messages {
                    box.state.withLock { $0.lastEventID = message.lastEventID }
                    switch message.event {
                    case "message":
                        try await inbound.send(.text(message.data))
                    case "close":
                        let close = Self.close(in: message.data)
                        box.state.withLock { $0.serverClose = close }
                        await finish(close)
                        return
                    default:
                        continue
                    }
                }
                guard let buffer = try await events.next() else { break }
                messages = try parser.parse(buffer.readableBytesView)
            }
        } catch {
            logger.debug("the event stream ended", metadata: ["error": "\(error)"])
        }
        await finish(TransportClose(code: CloseCode(rawValue: 1006), reason: "the event stream ended"))
    }

    static func close(in data: [UInt8]) -> TransportClose {
        let object = (try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any]
        let code = (object?["code"] as? Int).flatMap { (1000...4999).contains($0) ? UInt16($0) : nil } ?? 1006
        return TransportClose(code: CloseCode(rawValue: code), reason: object?["reason"] as? String ?? "")
    }

    /// Records the close (the first wins) and ends the inbound frames after those queued.
    private func finish(_ close: TransportClose) async {
        box.state.withLock { state in
            if state.close == nil { state.close = close }
        }
        inbound.finish(dropBuffered: false)
    }

    public func receive() async throws -> TransportFrame? {
        await inbound.next()
    }

    public func write(_ frame: TransportFrame) async throws {
        if let close = closeStatus {
            throw TransportError(code: .connectionClosed, message: "The event stream is closed; reconnect to continue.", close: close)
        }
        var request = HTTPClientRequest(url: postURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: SSEListener.connectionKeyHeader.rawName, value: key)
        if let origin { request.headers.add(name: "Origin", value: origin) }
        request.body = .bytes(ByteBuffer(bytes: frame.bytes))
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: .init(requestTimeout), logger: logger)
        } catch {
            throw TransportError(code: .connectionClosed, message: "could not post a frame to \(postURL): \(error)", close: closeStatus)
        }
        let answer = try? await response.body.collect(upTo: 16 * 1024)
        guard response.status == .accepted else {
            if response.status == .notFound {
                await finish(TransportClose(code: CloseCode(rawValue: 1006), reason: "the server no longer knows this event stream"))
            }
            throw TransportError(
                code: .connectionClosed,
                message: "the server refused a frame (\(response.status.code)): \(answer.map { String(buffer: $0) }?.prefix(300) ?? "")",
                close: closeStatus)
        }
    }

    public func close(_ close: TransportClose) async {
        let first = box.state.withLock { state -> Bool in
            guard state.close == nil else { return false }
            state.close = close
            return true
        }
        inbound.finish(dropBuffered: true)
        guard first else { return }
        var request = HTTPClientRequest(url: postURL)
        request.method = .DELETE
        request.headers.add(name: SSEListener.connectionKeyHeader.rawName, value: key)
        if let origin { request.headers.add(name: "Origin", value: origin) }
        if let response = try? await httpClient.execute(request, timeout: .seconds(5), logger: logger) {
            _ = try? await response.body.collect(upTo: 16 * 1024)
        }
    }

    public var closeStatus: TransportClose? { box.state.withLock { $0.close } }
}
