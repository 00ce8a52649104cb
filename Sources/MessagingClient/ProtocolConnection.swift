import Logging
import MessagingCore
import MessagingTransport
import MessagingWire
import Synchronization

/// One realtime protocol v1 connection (Documentation/Protocol.md) over any
/// `TransportConnection`: the handshake, requests correlated with their answers by fresh
/// ids, and every other frame kept in arrival order. It never reconnects.
///
/// ```swift
/// let connection = ProtocolConnection(transportConnection, logger: logger)
/// try await withThrowingTaskGroup(of: Void.self) { group in
///     group.addTask { await connection.run() }
///     let session = try await connection.authenticate(token: accessToken)
///     let history = try await connection.request(.history(room, HistoryRequest(limit: 20)))
///     let event = try await connection.frame(within: .seconds(5)) { $0["type"]?.string == "event" }
///     await connection.close(reason: "done")
/// }
/// ```
///
/// ``run()`` reads and writes while the connection is open; everything else needs it
/// running. Answers (`ok`, `error`, `ready` carrying the id of a waiting request) go to
/// their request; every other frame is kept (see ``Configuration/keptFrames``), handed to
/// ``run(onFrame:)``'s handler, and waited for with ``frame(from:within:where:)``. A
/// `ping` is answered with `pong` (``Configuration/answersPings``).
///
/// What it does not do (``RealtimeClient`` does, on top of it): reconnect, resume
/// subscriptions from their last `seq`, drop duplicate events, retry sends.
///
/// Whatever the server sends is bounded: frames that are no JSON object with a `type` are
/// ignored, kept frames are capped unless the caller asks for all of them, and automatic
/// `pong`s and acknowledgements are dropped while the outbound queue is full.
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks. Call ``run()`` once.
public final class ProtocolConnection: Sendable {
    /// Settings of a ``ProtocolConnection``.
    ///
    /// Thread safety: a value type; safe to share across tasks.
    public struct Configuration: Sendable {
        /// How long a request (and the handshake) waits for its answer. Default 10 s.
        public var requestTimeout: Duration
        /// Answer every `ping` with a `pong`. Default `true`.
        public var answersPings: Bool
        /// Acknowledge every `event` as it arrives (an `ack` of its conversation and `seq`).
        /// Default `false`.
        public var acknowledgesEvents: Bool
        /// How many of the latest frames that are not answers are kept for
        /// ``ProtocolConnection/frame(from:within:where:)`` and ``ProtocolConnection/received(from:)``
        /// (at least this many, at most twice as many); `0` keeps none, `nil` keeps every
        /// frame (memory grows with the connection: tests and short-lived tools only).
        /// Default 1000.
        public var keptFrames: Int?
        /// Read frames as they arrive. `false`: read only while a request, the handshake or
        /// a frame wait is waiting, as a client that stops reading does (the transport's
        /// backpressure then reaches the server: tests of slow consumers). Default `true`.
        public var readsAhead: Bool

        /// Frames the outbound queue holds before automatic `pong`s and acknowledgements
        /// are dropped (a server flooding pings cannot grow it).
        static let automaticFrameLimit = 256

        /// Makes settings; every value has the default listed on its property.
        public init(
            requestTimeout: Duration = .seconds(10), answersPings: Bool = true, acknowledgesEvents: Bool = false, keptFrames: Int? = 1000,
            readsAhead: Bool = true
        ) {
            self.readsAhead = readsAhead
            self.requestTimeout = requestTimeout
            self.answersPings = answersPings
            self.acknowledgesEvents = acknowledgesEvents
            self.keptFrames = keptFrames
        }
    }

    /// The transport connection it runs on.
    public let connection: any TransportConnection
    /// Its settings.
    public let configuration: Configuration
    let logger: Logger
    let state: Mutex<State>

    /// A protocol connection over `connection`; nothing is read or written until ``run()``.
    public init(_ connection: any TransportConnection, configuration: Configuration = .init(), logger: Logger) {
        self.connection = connection
        self.configuration = configuration
        self.logger = logger
        state = Mutex(State(keptFrames: configuration.keptFrames))
    }

    // MARK: Running

    /// Reads and writes until the connection ends (closed by either side); then every
    /// waiting request fails with ``RealtimeClientError/Code-swift.struct/notConnected``.
    /// Cancelling it closes the connection.
    public func run() async {
        await run(onFrame: { _ in })
    }

    /// ``run()``, handing every frame that is not an answer to `handler` as it arrives
    /// (after keeping it), on the reading task: `handler` must not block.
    public func run(onFrame handler: @escaping @Sendable (ClientJSON) -> Void) async {
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.read(handler) }
                group.addTask { await self.writeQueued() }
                await group.waitForAll()
            }
        } onCancel: {
            self.shutDown()
            let connection = connection
            Task { await connection.close(.goingAway, reason: "client stopped") }
        }
    }

    // MARK: Handshake

    /// Sends an `auth` frame and waits for `ready` (Protocol.md §1); returns the session.
    ///
    /// Throws ``RealtimeClientError``: `server` for an `error` answer (`serverCode`
    /// `unauthorized`, `too_many_connections`, `unsupported_protocol`, `rate_limited` with
    /// `retryAfterMilliseconds`, …), `notConnected` when the connection ends first,
    /// `timedOut`, `invalidResponse` for a `ready` without user or device.
    public func authenticate(token: String, device: DeviceID? = nil, protocol version: Int64 = 1, timeout: Duration? = nil) async throws
        -> ClientSession
    {
        var fields: [String: ClientJSON] = ["type": "auth", "token": .string(token), "protocol": .integer(version)]
        if let device { fields["device"] = .string("\(device)") }
        let answer = try await exchange(fields, timeout: timeout ?? configuration.requestTimeout, handshake: true)
        return try Self.session(of: answer)
    }

    /// Waits for the `ready` frame a server sends by itself when the connection carried the
    /// token in its upgrade request's header; returns the session (at once when it came
    /// already). Throws as ``authenticate(token:device:protocol:timeout:)``.
    public func ready(timeout: Duration? = nil) async throws -> ClientSession {
        let deadline = ContinuousClock.now.advanced(by: timeout ?? configuration.requestTimeout)
        while true {
            let (frame, version, closed) = state.withLock { ($0.handshakeFrame, $0.version, $0.closed) }
            if let frame { return try Self.session(of: frame) }
            if closed { throw Self.closedError }
            guard ContinuousClock.now < deadline else {
                throw RealtimeClientError(code: .timedOut, message: "No ready frame within \(timeout ?? configuration.requestTimeout).")
            }
            await waitForChange(since: version, until: deadline)
        }
    }

    /// The session of the `ready` frame, once one came.
    public var session: ClientSession? { state.withLock { $0.session } }

    // MARK: Requests

    /// Sends `fields` (a request of Protocol.md §3, without `id`: a fresh one is added) and
    /// returns the answer's `result`.
    ///
    /// Throws ``RealtimeClientError``: `server` for an `error` answer (with `serverCode` and
    /// `retryAfterMilliseconds`), `timedOut` (the request may have been carried out),
    /// `notConnected` when the connection ends first, `invalidResponse` for another answer.
    public func request(_ fields: [String: ClientJSON], timeout: Duration? = nil) async throws -> ClientJSON {
        let answer = try await answer(to: fields, timeout: timeout)
        switch answer["type"]?.string {
        case "ok": return answer["result"] ?? .object([:])
        case "error": throw Self.serverError(answer)
        default:
            throw RealtimeClientError(code: .invalidResponse, message: "The answer to '\(fields["type"]?.string ?? "?")' is neither ok nor error.")
        }
    }

    /// Sends `fields` with a fresh `id` and returns the whole answer frame: `ok`, `error`
    /// (not thrown), or `ready` for an `auth`. Throws ``RealtimeClientError`` `timedOut` or
    /// `notConnected`.
    public func answer(to fields: [String: ClientJSON], timeout: Duration? = nil) async throws -> ClientJSON {
        try await exchange(fields, timeout: timeout ?? configuration.requestTimeout, handshake: false)
    }

    /// Sends a typed request (`MessagingWire`'s `ClientRequest.Body`, written by its
    /// encoder, so no field name is spelled here) and returns the answer's `result`, with
    /// the errors of the dictionary form.
    public func request(_ body: ClientRequest.Body, timeout: Duration? = nil) async throws -> ClientJSON {
        try await request(body.fields, timeout: timeout)
    }

    /// Sends a typed request and returns the whole answer frame, like the dictionary form.
    public func answer(to body: ClientRequest.Body, timeout: Duration? = nil) async throws -> ClientJSON {
        try await answer(to: body.fields, timeout: timeout)
    }

    // MARK: Writing

    /// Writes a frame of `fields` as they are (no `id` added) and returns once the
    /// transport took it; frames go out one at a time in the order they were queued.
    /// Throws ``RealtimeClientError`` `notConnected` once the connection is closed.
    public func write(_ fields: [String: ClientJSON]) async throws {
        try await write(raw: .text(ClientJSON.object(fields).text))
    }

    /// Writes a typed request as it is, without an `id` (`ack`, `typing`, `presence`,
    /// `ping`, `pong`), like the dictionary form.
    public func write(_ body: ClientRequest.Body) async throws {
        try await write(body.fields)
    }

    /// Writes `frame` as it is (a malformed one on purpose, say), like the dictionary form.
    public func write(raw frame: TransportFrame) async throws {
        // Nothing queued or being written: this task writes it itself (no hop to the writer).
        switch state.withLock({ $0.beginDirectWrite() }) {
        case nil:
            throw Self.closedError
        case true?:
            defer { endDirectWrite() }
            do {
                try await connection.write(frame)
            } catch {
                throw Self.writeFailed
            }
        case false?:
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if !enqueue(Outgoing(frame: frame, done: continuation)) { continuation.resume(throwing: Self.closedError) }
            }
        }
    }

    /// Queues a frame of `fields` without waiting for it to be written (typing, acks,
    /// pings); dropped once the connection is closed.
    public func enqueue(_ fields: [String: ClientJSON]) {
        _ = enqueue(Outgoing(frame: .text(ClientJSON.object(fields).text), done: nil))
    }

    /// Queues a typed request without an `id`, like the dictionary form.
    public func enqueue(_ body: ClientRequest.Body) {
        enqueue(body.fields)
    }

    // MARK: Received frames

    /// Frames received so far that were not answers: the number the next one gets.
    public var receivedCount: Int { state.withLock { $0.received } }

    /// When the last frame (of any kind) arrived.
    public var lastReceived: ContinuousClock.Instant { state.withLock { $0.lastReceived } }

    /// The kept frames from number `index` on (the oldest kept ones when `index` was dropped).
    public func received(from index: Int = 0) -> [ClientJSON] {
        Array(state.withLock { $0.frames(from: index).frames })
    }

    /// The first kept frame from number `index` on that `matches`, with its number, waiting
    /// up to `timeout` (default ``Configuration/requestTimeout``) for it to arrive; `nil` once
    /// the connection ended without one. Throws ``RealtimeClientError`` `timedOut`.
    public func frame(
        from index: Int = 0, within timeout: Duration? = nil, where matches: (ClientJSON) -> Bool
    ) async throws -> (index: Int, frame: ClientJSON)? {
        let limit = timeout ?? configuration.requestTimeout
        let deadline = ContinuousClock.now.advanced(by: limit)
        var next = index
        while true {
            let (start, frames, version, closed) = state.withLock { state in
                let (start, frames) = state.frames(from: next)
                return (start, Array(frames), state.version, state.closed)
            }
            for (offset, frame) in frames.enumerated() where matches(frame) { return (start + offset, frame) }
            next = start + frames.count
            if closed { return nil }
            guard ContinuousClock.now < deadline else {
                throw RealtimeClientError(code: .timedOut, message: "No matching frame within \(limit).")
            }
            await waitForChange(since: version, until: deadline)
        }
    }

    // MARK: Closing

    /// Closes the connection (waiting requests fail with `notConnected`). Idempotent.
    public func close(_ code: CloseCode = .normal, reason: String = "client done") async {
        shutDown()
        await connection.close(code, reason: reason)
    }

    /// How the connection closed (by either side), or `nil` while it is open.
    public var closeStatus: TransportClose? { connection.closeStatus }

    /// Whether the connection ended or ``close(_:reason:)`` was called.
    public var isClosed: Bool { state.withLock { $0.closed } }

    static let closedError = RealtimeClientError(code: .notConnected, message: "The connection closed before the answer came.")
    static let writeFailed = RealtimeClientError(code: .notConnected, message: "The connection is closed; the frame was not sent.")
}
