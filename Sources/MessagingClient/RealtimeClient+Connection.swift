import Foundation
import Logging
import MessagingCore
import MessagingTransport
import MessagingWire
import Synchronization

extension RealtimeClient {
    /// What one connection ended with, shared by its tasks.
    final class SessionOutcome: Sendable {
        let value = Mutex(SessionEnd())
    }

    /// What one connection ended with, for the reconnect decision.
    struct SessionEnd: Sendable {
        /// The connection became ready and every subscription caught up (resets the backoff).
        var caughtUp = false
        /// The server refused the access token.
        var tokenRefused = false
        /// A `rate_limited` answer's delay, for the backoff.
        var retryAfterMilliseconds: Int64?
    }

    /// Connects, keeps the subscriptions flowing and reconnects after every disconnect, until
    /// the task is cancelled (then it returns) or the server ends the session for good (then it
    /// throws ``RealtimeClientError`` `sessionEnded`: revoked, an unsupported protocol, or a token
    /// refused twice in a row, also after a refresh). On return every waiting send fails with
    /// `stopped` and ``updates`` finishes. Call it once per client.
    public func run() async throws {
        let first = state.withLock { state -> Bool in
            guard !state.running, !state.stopped else { return false }
            state.running = true
            return true
        }
        guard first else {
            throw RealtimeClientError(code: .invalidArgument, message: "run() was already called on this client; make a new one.")
        }
        defer { shutdown() }
        var backoff = ReconnectBackoff(base: configuration.backoffBase, cap: configuration.backoffCap)
        var refresh = false
        var refusedInARow = 0
        var failedInARow = 0
        while !Task.isCancelled {
            var closeCode: CloseCode?
            var retryAfter: Int64?
            var caughtUp = false
            do {
                let token = try await self.token(refresh)
                refresh = false
                let outcome = try await attempt(token: token)
                let end = outcome.value
                closeCode = outcome.close?.code
                retryAfter = end.retryAfterMilliseconds
                continuation.yield(.disconnected(outcome.close.map { TransportCloseSummary(code: $0.code.rawValue, reason: $0.reason) }))
                if end.caughtUp {
                    caughtUp = true
                    backoff.reset()
                    refusedInARow = 0
                }
                if closeCode == .forbidden || closeCode == .policyViolation {
                    throw RealtimeClientError(
                        code: .sessionEnded,
                        message: "The server ended the session (\(outcome.close?.reason ?? "closed")); log in again.", close: outcome.close)
                }
                if end.tokenRefused || closeCode == .unauthorized {
                    refresh = true
                    if !end.caughtUp { refusedInARow += 1 }
                    if refusedInARow >= 2 {
                        throw RealtimeClientError(
                            code: .sessionEnded, message: "The server refused the access token twice, a refreshed one too; log in again.",
                            close: outcome.close)
                    }
                }
            } catch let error as RealtimeClientError where error.code == .sessionEnded {
                throw error
            } catch {
                if Task.isCancelled { break }
                logger.info("realtime connection failed; retrying", metadata: ["error": "\(error)"])
            }
            failedInARow = caughtUp ? 0 : failedInARow + 1
            if let limit = configuration.maxFailedConnections, failedInARow > limit {
                throw RealtimeClientError(
                    code: .notConnected, message: "Gave up after \(limit) failed connection attempts in a row (the server is unreachable or refuses).")
            }
            let delay = backoff.nextDelay(closeCode: closeCode, retryAfterMilliseconds: retryAfter)
            do {
                try await Task.sleep(for: delay)
            } catch {
                break
            }
        }
    }

    /// One connection attempt. One that has not reached its first frame exchange within the
    /// request timeout (a server that accepted the socket but never answers the upgrade) is
    /// cancelled and left behind, so the client tries again instead of waiting forever.
    func attempt(token: String) async throws -> (value: SessionEnd, close: TransportClose?) {
        let flag = StartFlag()
        let transport = transport
        let task = Task {
            try await transport.withConnection { connection in
                flag.started.store(true, ordering: .relaxed)
                return await self.session(on: connection, token: token)
            }
        }
        let timeout = configuration.requestTimeout
        let result: Result<(value: SessionEnd, close: TransportClose?), any Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let once = ResumeOnce(continuation)
                Task {
                    do {
                        once.resume(.success(try await task.value))
                    } catch {
                        once.resume(.failure(error))
                    }
                }
                Task {
                    try? await Task.sleep(for: timeout)
                    if !flag.started.load(ordering: .relaxed) {
                        task.cancel()
                        once.resume(.failure(RealtimeClientError(
                            code: .timedOut, message: "The server did not complete the WebSocket upgrade within \(timeout).")))
                    }
                }
            }
        } onCancel: {
            task.cancel()
        }
        return try result.get()
    }

    /// Whether a connection attempt reached its session.
    final class StartFlag: Sendable {
        let started = Atomic<Bool>(false)
    }

    /// Resumes a continuation once; later results are dropped.
    final class ResumeOnce<T: Sendable>: Sendable {
        private let continuation: Mutex<CheckedContinuation<T, Never>?>
        init(_ continuation: CheckedContinuation<T, Never>) { self.continuation = Mutex(continuation) }
        func resume(_ value: T) {
            continuation.withLock { $0.take() }?.resume(returning: value)
        }
    }

    /// Everything one connection does, from the `auth` frame to its end.
    func session(on connection: any TransportConnection, token: String) async -> SessionEnd {
        let end = SessionOutcome()
        let link = ProtocolConnection(
            connection, configuration: .init(requestTimeout: configuration.requestTimeout, answersPings: true, keptFrames: 0), logger: logger)
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await link.run { frame in self.handle(frame, on: link, end: end) } }
                group.addTask {
                    guard let session = await self.handshake(on: link, token: token, end: end) else { return }
                    self.state.withLock { $0.session = session }
                    await self.maintain(link, session: session, token: token, end: end)
                }
                // The connection ends first, the handshake fails, or maintenance gives up on a dead one.
                _ = await group.next()
                await link.close(.goingAway, reason: "client reconnecting")
                group.cancelAll()
            }
        } onCancel: {
            link.shutDown()
            Task { await link.close(.goingAway, reason: "client stopped") }
        }
        state.withLock { state in
            if state.link === link { state.link = nil }
            state.session = nil
        }
        return end.value.withLock { $0 }
    }

    /// Authenticates on `link`; `nil` when the server refused (recorded in `end`) or did not
    /// answer within the request timeout (a server that accepted the connection but never
    /// answers, starting or stopping: the client tries again).
    private func handshake(on link: ProtocolConnection, token: String, end: SessionOutcome) async -> ClientSession? {
        do {
            return try await link.authenticate(token: token, device: configuration.deviceID)
        } catch let error as RealtimeClientError where error.code == .server {
            end.value.withLock { end in
                if error.serverCode == "unauthorized" { end.tokenRefused = true }
                if let retry = error.retryAfterMilliseconds { end.retryAfterMilliseconds = retry }
            }
            logger.info("realtime handshake refused", metadata: ["code": "\(error.serverCode ?? "?")"])
            // The server closes after a refusal (Protocol.md §1); its close code decides what
            // comes next, so wait for it (bounded) rather than close first.
            _ = try? await link.frame(from: Int.max, within: configuration.requestTimeout) { _ in false }
        } catch let error as RealtimeClientError where error.code == .timedOut {
            logger.debug("realtime handshake failed", metadata: ["error": "\(error)"])
            await link.close(.goingAway, reason: "no ready frame within \(configuration.requestTimeout)")
        } catch {
            logger.debug("realtime handshake failed", metadata: ["error": "\(error)"])
        }
        return nil
    }

    private func handle(_ json: ClientJSON, on link: ProtocolConnection, end: SessionOutcome) {
        switch json["type"]?.string {
        case "error":
            // Not the answer to a waiting request (those go to their waiter).
            let error = ProtocolConnection.serverError(json)
            if error.serverCode == "rate_limited", let retry = error.retryAfterMilliseconds {
                end.value.withLock { $0.retryAfterMilliseconds = retry }
            }
            logger.info("the server reported an error", metadata: ["code": "\(error.serverCode ?? "?")", "message": "\(error.message)"])
        case "event":
            guard let event = json["event"].flatMap(ClientEvent.init) else {
                logger.warning("the server sent an event without its common keys; ignored")
                return
            }
            deliver(event, on: link)
        case "typing":
            if let conversation = json["conversation"]?.string.flatMap(ConversationID.init),
                let user = json["user"]?.string.flatMap(UserID.init), let typing = json["typing"]?.bool
            {
                continuation.yield(.typing(conversationID: conversation, userID: user, isTyping: typing))
            }
        case "receipt":
            if let conversation = json["conversation"]?.string.flatMap(ConversationID.init),
                let user = json["user"]?.string.flatMap(UserID.init), let seq = json["readSeq"]?.integer
            {
                continuation.yield(.receipt(conversationID: conversation, userID: user, readSeq: seq))
            }
        case "presence":
            continuation.yield(.presence(json["presence"] ?? .null))
        case "feed":
            continuation.yield(.feed(json["entry"] ?? .null))
        default:
            break  // ping (answered by the connection), pong, late answers, and frame types of later revisions (Protocol.md §2: ignore them)
        }
    }

    /// Puts an event into `updates` when it is the next `seq` of a subscribed conversation.
    private func deliver(_ event: ClientEvent, on link: ProtocolConnection) {
        enum Decision { case deliver, drop, resync(after: Int64) }
        let decision = state.withLock { state -> Decision in
            guard let last = state.delivered[event.conversationID] else { return .drop }
            if event.seq <= last { return .drop }
            if event.seq > last + 1 { return .resync(after: last) }
            state.delivered[event.conversationID] = event.seq
            return .deliver
        }
        switch decision {
        case .deliver:
            continuation.yield(.event(event))
        case .drop:
            break
        case .resync(let last):
            // Never skip a seq (Protocol.md §10): subscribe again from the last one delivered.
            logger.warning("a gap in a conversation's events; subscribing again from the last delivered seq", metadata: [
                "conversation": "\(event.conversationID)", "last": "\(last)", "received": "\(event.seq)",
            ])
            Task {
                _ = try? await self.request(
                    ClientRequest.Body.subscribe(event.conversationID, after: last).fields, on: link)
            }
        }
    }

    /// Subscribes every conversation, then sends what waits, acknowledges and pings until the
    /// connection ends.
    private func maintain(_ link: ProtocolConnection, session: ClientSession, token: String, end: SessionOutcome) async {
        var done: Set<ConversationID> = []
        while true {
            let next = state.withLock { state -> [(ConversationID, Int64)]? in
                let missing = state.delivered.filter { !done.contains($0.key) }
                if missing.isEmpty {
                    state.link = link  // from here on, new subscriptions and sends use this link directly
                    return nil
                }
                return missing.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            }
            guard let next else { break }
            for (conversation, after) in next {
                done.insert(conversation)
                do {
                    _ = try await request(
                        ClientRequest.Body.subscribe(conversation, after: after).fields, on: link)
                } catch let error as RealtimeClientError where error.code == .server {
                    state.withLock { state in
                        state.delivered[conversation] = nil
                        state.acknowledged[conversation] = nil
                    }
                    continuation.yield(.subscriptionEnded(conversationID: conversation, error: error))
                } catch {
                    return  // the connection ended or stopped answering: the reader ends the session
                }
            }
        }
        end.value.withLock { $0.caughtUp = true }
        continuation.yield(.connected(session))
        if let encryption {
            Task { await encryption.connected(via: { try await self.request($0, on: link) }) }
        }
        for id in state.withLock({ $0.sendOrder }) { dispatch(id, on: link) }
        var lastPing = ContinuousClock.now
        var renewal = renewalTime(of: token)
        while !link.isClosed {
            do {
                try await Task.sleep(for: configuration.ackInterval)
            } catch {
                return
            }
            acknowledge(on: link)
            if let due = renewal, ContinuousClock.now >= due {
                renewal = await renewToken(on: link)
            }
            if ContinuousClock.now - lastPing >= configuration.pingInterval {
                link.enqueue(.ping)
                lastPing = .now
            }
            if ContinuousClock.now - link.lastReceived >= configuration.deadConnectionTimeout {
                logger.info("nothing arrived on the realtime connection for too long; reconnecting")
                await link.close(.goingAway, reason: "no frame from the server")
                return
            }
        }
    }

    /// Acknowledges every conversation's last delivered `seq` not acknowledged yet.
    func acknowledge(on link: ProtocolConnection) {
        let due = state.withLock { state -> [(ConversationID, Int64)] in
            var due: [(ConversationID, Int64)] = []
            for (conversation, seq) in state.delivered where seq > (state.acknowledged[conversation] ?? 0) {
                due.append((conversation, seq))
                state.acknowledged[conversation] = seq
            }
            return due
        }
        for (conversation, seq) in due {
            link.enqueue(.ack(conversation, seq: seq))
        }
    }

    /// Ends the client: waiting sends fail with `stopped`, `updates` finishes.
    func shutdown() {
        let (sends, link) = state.withLock { state -> ([PendingSend], ProtocolConnection?) in
            state.stopped = true
            state.running = false
            let sends = state.sendOrder.compactMap { state.sends[$0] }
            state.sends.removeAll()
            state.sendOrder.removeAll()
            defer { state.link = nil }
            return (sends, state.link)
        }
        link?.shutDown()
        for send in sends {
            send.continuation.resume(throwing: RealtimeClientError(code: .stopped, message: "The client stopped before the server answered the send."))
        }
        continuation.finish()
    }
}

extension RealtimeClient {
    /// When to renew `token` on the open connection: ``Configuration/tokenRenewalMargin``
    /// before its `exp` (read from the JWT's payload); `nil` when renewal is off or the token
    /// carries no readable expiry (the server then closes with 4401 at expiry, and the
    /// client reconnects with a refreshed token).
    func renewalTime(of token: String) -> ContinuousClock.Instant? {
        guard let margin = configuration.tokenRenewalMargin, let expiry = Self.expiry(of: token) else { return nil }
        let remaining = expiry.timeIntervalSinceNow - Double(margin.components.seconds)
        return ContinuousClock.now.advanced(by: .milliseconds(Int64(max(1, min(remaining, 86_400 * 365)) * 1000)))
    }

    /// The `exp` claim of a JWT (seconds since 1970), or `nil` for anything else.
    static func expiry(of token: String) -> Date? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].utf8.count <= 8192 else { return nil }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
            let claims = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let exp = (claims["exp"] as? NSNumber)?.doubleValue, exp.isFinite, (0...4_102_444_800).contains(exp)
        else { return nil }
        return Date(timeIntervalSince1970: exp)
    }

    /// Asks for a refreshed token and sends it in an `auth` frame on the open connection
    /// (Protocol.md §1, renewal); returns when to renew the new one. On failure the
    /// connection keeps its token until it expires.
    func renewToken(on link: ProtocolConnection) async -> ContinuousClock.Instant? {
        do {
            let fresh = try await token(true)
            _ = try await request(ClientRequest.Body.auth(token: fresh, device: nil, protocolVersion: nil).fields, on: link)
            continuation.yield(.tokenRenewed)
            return renewalTime(of: fresh)
        } catch {
            logger.info("renewing the access token on the open connection failed; it will reconnect at expiry", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
