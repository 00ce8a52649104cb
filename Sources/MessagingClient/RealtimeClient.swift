import Foundation
import Logging
import MessagingCore
import MessagingTransport
import MessagingWire
import Synchronization

/// A typed client of realtime protocol v1 (Documentation/Protocol.md) that keeps a
/// conversation's events flowing across disconnects.
///
/// ```swift
/// let client = RealtimeClient(
///     transport: WebSocketClientTransport(url: "ws://127.0.0.1:8080/v1/realtime", logger: logger),
///     token: { refresh in try await myTokens.accessToken(refresh: refresh) }, logger: logger)
/// try await client.subscribe(room, after: lastSeqIProcessed)
/// let sent = try await client.send(text: "hello", to: room)
/// for await update in client.updates {
///     if case .event(let event) = update { show(event); save(event.seq) }
/// }
/// // meanwhile, in the host's task group: try await client.run()
/// ```
///
/// What it does for you:
/// - **Connects and reconnects** (``run()``): authenticates with an `auth` frame (the token
///   never travels in a URL), and after any disconnect waits with the documented full-jitter
///   backoff (Protocol.md §10, `ReconnectBackoff`) and connects again; a 4401 (token
///   expired) asks `token` for a refreshed one first.
/// - **Resumes** every subscribed conversation from the last `seq` it delivered, so
///   ``updates`` carries each event exactly once and in order: duplicates are dropped by
///   `seq`, and a gap (never expected from a conforming server) re-subscribes from the last
///   delivered `seq` instead of skipping.
/// - **Acknowledges** cumulatively, batched every ``Configuration/ackInterval``.
/// - **Sends idempotently**: ``send(text:to:clientMessageID:replyTo:threadRoot:mentions:)``
///   keeps one client message id and retries it on every new connection until the server
///   answers, so a send across a dropped connection is stored once.
///
/// Events count as delivered when they are put into ``updates``; an app that must survive
/// its own restart saves the `seq` of each event it processed and passes it to
/// ``subscribe(_:after:)`` the next time.
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks. Run ``run()`` once.
public final class RealtimeClient: Sendable {
    /// Settings of a ``RealtimeClient``.
    ///
    /// Thread safety: a value type; safe to share across tasks.
    public struct Configuration: Sendable {
        /// The device the server keeps acknowledgement cursors and presence for; `nil`:
        /// the login session's id (right for one install per login).
        public var deviceID: DeviceID?
        /// How long a request waits for its answer. Default 10 s.
        public var requestTimeout: Duration
        /// How long a send keeps retrying (across reconnects) before it fails with
        /// ``RealtimeClientError/Code-swift.struct/timedOut``. Default 2 minutes.
        public var sendTimeout: Duration
        /// How often processed events are acknowledged. Default 100 ms.
        public var ackInterval: Duration
        /// How often the client pings (the server closes connections idle for 60 s). Default 15 s.
        public var pingInterval: Duration
        /// A connection from which nothing arrived for this long is closed and replaced
        /// (a half-open socket). Default 45 s (the server pings every 20 s).
        public var deadConnectionTimeout: Duration
        /// The reconnect backoff's base. Default 250 ms.
        public var backoffBase: Duration
        /// The reconnect backoff's cap. Default 15 s.
        public var backoffCap: Duration
        /// Connection attempts in a row that may fail (no connection, or one that never
        /// caught up) before ``RealtimeClient/run()`` gives up with
        /// ``RealtimeClientError/Code-swift.struct/notConnected``; `nil` (the default): never.
        public var maxFailedConnections: Int?
        /// How long before the access token's expiry (its JWT `exp`) the client asks `token`
        /// for a refreshed one and renews the open connection with it (an `auth` frame,
        /// Protocol.md §1), so the connection never closes for expiry; `nil` turns renewal
        /// off. Default 60 s.
        public var tokenRenewalMargin: Duration?

        /// Makes settings; every value has the default listed on its property.
        public init(
            deviceID: DeviceID? = nil, requestTimeout: Duration = .seconds(10), sendTimeout: Duration = .seconds(120),
            ackInterval: Duration = .milliseconds(100), pingInterval: Duration = .seconds(15),
            deadConnectionTimeout: Duration = .seconds(45), backoffBase: Duration = ReconnectBackoff.defaultBase,
            backoffCap: Duration = ReconnectBackoff.defaultCap, maxFailedConnections: Int? = nil,
            tokenRenewalMargin: Duration? = .seconds(60)
        ) {
            self.maxFailedConnections = maxFailedConnections
            self.tokenRenewalMargin = tokenRenewalMargin
            self.deviceID = deviceID
            self.requestTimeout = requestTimeout
            self.sendTimeout = sendTimeout
            self.ackInterval = ackInterval
            self.pingInterval = pingInterval
            self.deadConnectionTimeout = deadConnectionTimeout
            self.backoffBase = backoffBase
            self.backoffCap = backoffCap
        }
    }

    struct PendingSend {
        let fields: [String: ClientJSON]
        let continuation: CheckedContinuation<SentMessage, any Error>
    }

    struct State {
        /// Subscribed conversations and the last `seq` put into `updates`.
        var delivered: [ConversationID: Int64] = [:]
        /// The last `seq` acknowledged per conversation.
        var acknowledged: [ConversationID: Int64] = [:]
        /// The open connection, once ready and caught up.
        var link: ProtocolConnection?
        var sends: [String: PendingSend] = [:]
        var sendOrder: [String] = []
        var running = false
        var stopped = false
        var session: ClientSession?
    }

    let state = Mutex(State())
    let transport: any ClientTransport
    let configuration: Configuration
    let token: @Sendable (_ refresh: Bool) async throws -> String
    let logger: Logger
    let continuation: AsyncStream<ClientUpdate>.Continuation

    /// The end-to-end encryption this client seals and opens messages with; `nil` for a
    /// plaintext client.
    public let encryption: ClientEncryption?

    /// Everything received, in order: events (each `seq` once), typing, receipts, presence,
    /// feed entries, and connection changes. Finishes when ``run()`` returns.
    public let updates: AsyncStream<ClientUpdate>

    /// A client over `transport`; `token` returns an access token (a fresh one when
    /// `refresh` is `true`: the server said the last one expired). With `encryption`, sends
    /// into encrypted conversations are sealed and ``decrypt(_:)`` opens what arrives
    /// (Documentation/Client.md, *End-to-end encryption*).
    public init(
        transport: any ClientTransport, configuration: Configuration = .init(), encryption: ClientEncryption? = nil,
        token: @escaping @Sendable (_ refresh: Bool) async throws -> String, logger: Logger
    ) {
        self.encryption = encryption
        self.transport = transport
        self.configuration = configuration
        self.token = token
        self.logger = logger
        (updates, continuation) = AsyncStream.makeStream(of: ClientUpdate.self)
    }

    // MARK: Subscriptions

    /// Subscribes to `conversation`, replaying its events after `seq` (0: all of them), and
    /// keeps it subscribed across reconnects. Returns once the server answered, or at once
    /// when no connection is open (it is subscribed when one is).
    ///
    /// Throws ``RealtimeClientError`` `server` (`not_found` for a conversation you are not a member
    /// of) and then forgets the subscription; `invalidArgument` for a negative `seq`.
    public func subscribe(_ conversation: ConversationID, after seq: Int64) async throws {
        guard seq >= 0 else {
            throw RealtimeClientError(code: .invalidArgument, message: "after is a seq and cannot be negative; pass 0 to replay everything.")
        }
        let link = state.withLock { state -> ProtocolConnection? in
            state.delivered[conversation] = seq
            state.acknowledged[conversation] = seq
            return state.link
        }
        guard let link else { return }
        do {
            _ = try await request(ClientRequest.Body.subscribe(conversation, after: seq).fields, on: link)
        } catch let error as RealtimeClientError where error.code == .server {
            state.withLock { state in
                state.delivered[conversation] = nil
                state.acknowledged[conversation] = nil
            }
            throw error
        }
    }

    /// Stops receiving `conversation`'s events.
    public func unsubscribe(_ conversation: ConversationID) async throws {
        let link = state.withLock { state -> ProtocolConnection? in
            state.delivered[conversation] = nil
            state.acknowledged[conversation] = nil
            return state.link
        }
        guard let link else { return }
        _ = try? await request(ClientRequest.Body.unsubscribe(conversation).fields, on: link)
    }

    /// The last `seq` of `conversation` put into ``updates`` (`nil` when not subscribed).
    public func lastSeq(in conversation: ConversationID) -> Int64? {
        state.withLock { $0.delivered[conversation] }
    }

    /// The session of the open connection, `nil` while disconnected.
    public var session: ClientSession? {
        state.withLock { $0.link == nil ? nil : $0.session }
    }

    // MARK: Sending

    /// Sends a text message, retrying it with the same `clientMessageID` on every new
    /// connection until the server answers (at most ``Configuration/sendTimeout``): the
    /// server stores it once and answers a retry with the stored message (`duplicate`).
    ///
    /// Throws ``RealtimeClientError`` `server` for a refusal (the `serverCode` says which:
    /// `not_found`, `forbidden`, `slow_mode`, …), `timedOut`, or `stopped`.
    ///
    /// With ``encryption``, a send into an encrypted conversation is sealed instead
    /// (``ClientEncryption``): it needs an open connection for its key steps (`notConnected`
    /// otherwise; so does the first send into a conversation not seen yet, to learn whether
    /// it is encrypted), carries no `mentions` (`invalidArgument`), and throws the encryption
    /// codes (`deviceNotActive`, `untrustedDevice`) when no key can be made. The sealed bytes
    /// are retried as they are until answered; a later call with the same `clientMessageID`
    /// seals anew and is answered `conflict`.
    public func send(
        text: String, to conversation: ConversationID, clientMessageID: String = UUID().uuidString.lowercased(),
        replyTo: MessageID? = nil, threadRoot: MessageID? = nil, mentions: [UserID] = []
    ) async throws -> SentMessage {
        var fields: [String: ClientJSON] = ["type": "send", "conversation": .string("\(conversation)"), "clientMessageId": .string(clientMessageID)]
        if let replyTo { fields["replyTo"] = .string("\(replyTo)") }
        if let threadRoot { fields["threadRoot"] = .string("\(threadRoot)") }
        if let encryption, try await encryption.isEncrypted(conversation, via: requester) {
            guard mentions.isEmpty else {
                throw RealtimeClientError(code: .invalidArgument, message: "Messages of encrypted conversations carry no mentions.")
            }
            return try await sendSealed(Array(text.utf8), fields: fields, to: conversation, encryption: encryption)
        }
        fields["text"] = .string(text)
        if !mentions.isEmpty { fields["mentions"] = .array(mentions.map { .string("\($0)") }) }
        return try await enqueue(fields, clientMessageID: clientMessageID)
    }

    /// Keeps a send's `fields` until the server answers, sending them on every new connection.
    func enqueue(_ fields: [String: ClientJSON], clientMessageID: String) async throws -> SentMessage {
        let timeout = configuration.sendTimeout
        return try await withCheckedThrowingContinuation { continuation in
            let (link, stopped) = state.withLock { state -> (ProtocolConnection?, Bool) in
                if state.stopped { return (nil, true) }
                if state.sends[clientMessageID] == nil { state.sendOrder.append(clientMessageID) }
                state.sends[clientMessageID] = PendingSend(fields: fields, continuation: continuation)
                return (state.link, false)
            }
            if stopped {
                continuation.resume(throwing: RealtimeClientError(code: .stopped, message: "The client stopped; nothing was sent."))
                return
            }
            if let link { dispatch(clientMessageID, on: link) }
            Task {
                try? await Task.sleep(for: timeout)
                self.finishSend(
                    clientMessageID,
                    .failure(RealtimeClientError(
                        code: .timedOut,
                        message: "No answer to the send within \(timeout); it may have been stored: send again with the same clientMessageID.")))
            }
        }
    }

    /// Sends one outstanding send on `link`, retrying on the same link after a timeout.
    func dispatch(_ clientMessageID: String, on link: ProtocolConnection) {
        Task {
            while let fields = self.state.withLock({ $0.sends[clientMessageID]?.fields }), !link.isClosed {
                do {
                    let result = try await self.request(fields, on: link)
                    guard let message = result["message"].flatMap(ClientMessage.init) else {
                        self.finishSend(
                            clientMessageID,
                            .failure(RealtimeClientError(code: .invalidResponse, message: "The send's answer carries no valid message.")))
                        return
                    }
                    self.finishSend(clientMessageID, .success(SentMessage(message: message, duplicate: result["duplicate"]?.bool ?? false)))
                    return
                } catch let error as RealtimeClientError where error.code == .server {
                    self.finishSend(clientMessageID, .failure(error))
                    return
                } catch let error as RealtimeClientError where error.code == .timedOut {
                    continue  // the same link is still open: ask again (idempotent)
                } catch {
                    return  // the connection ended: the next one sends it again
                }
            }
        }
    }

    func finishSend(_ clientMessageID: String, _ result: Result<SentMessage, any Error>) {
        let pending = state.withLock { state -> PendingSend? in
            guard let pending = state.sends.removeValue(forKey: clientMessageID) else { return nil }
            state.sendOrder.removeAll { $0 == clientMessageID }
            return pending
        }
        pending?.continuation.resume(with: result)
    }

    // MARK: Other requests

    /// Sends any request of Protocol.md §3 on the open connection and returns its `result`
    /// (`history`, `read`, `react`, `receipts`, …): `fields` without `id` (the client adds it).
    ///
    /// Throws ``RealtimeClientError`` `notConnected` while no connection is open, `server` for an
    /// `error` answer, `timedOut`.
    public func request(_ fields: [String: ClientJSON]) async throws -> ClientJSON {
        guard let link = state.withLock({ $0.link }) else {
            throw RealtimeClientError(code: .notConnected, message: "No connection is open; wait for .connected in updates, or retry.")
        }
        return try await request(fields, on: link)
    }

    /// Moves the read position of `conversation` to `seq`; returns the position now stored.
    public func markRead(_ conversation: ConversationID, upTo seq: Int64) async throws -> Int64 {
        let result = try await request(ClientRequest.Body.read(conversation, seq: seq).fields)
        guard let readSeq = result["readSeq"]?.integer else {
            throw RealtimeClientError(code: .invalidResponse, message: "The read answer carries no readSeq.")
        }
        return readSeq
    }

    /// Tells the other members that the user is (or stopped) typing; nothing when disconnected.
    public func setTyping(_ typing: Bool, in conversation: ConversationID) {
        state.withLock { $0.link }?.enqueue(.typing(conversation, isTyping: typing))
    }

    /// Sends a presence heartbeat (`activity` `active` or `idle`); nothing when disconnected.
    public func heartbeat(idle: Bool = false) {
        state.withLock { $0.link }?.enqueue(.presence(idle ? .idle : .active, status: .keep))
    }

    /// Sends `fields` with a fresh `id` on `link` and waits for its answer (at most the request timeout).
    func request(_ fields: [String: ClientJSON], on link: ProtocolConnection) async throws -> ClientJSON {
        try await link.request(fields)
    }
}
