import Logging
import MessagingCore
import MessagingDelivery
import MessagingPresence
import MessagingWire

extension Gateway {
    /// Serves one connection until it closes: handshake, requests, events, keepalive.
    ///
    /// Returns once the connection is closed (by the peer, by a timeout, by a protocol
    /// violation, by revocation or by shutdown) and everything it held is released.
    public func handle<Connection: TransportConnection>(_ connection: Connection) async {
        let id = nextConnectionID.wrappingAdd(1, ordering: .relaxed).oldValue
        // A streaming transport writes the session's events itself (no task per connection).
        let streaming = (connection as? any SessionStreamingConnection).flatMap { $0.streamsSessions ? $0 : nil }
        let context = ConnectionContext<C.Instant>(id: id, now: clock.now, streams: streaming != nil)
        // Timeouts, expiry and pings: one entry in the gateway's timing wheel, no task.
        timers.schedule(id, after: configuration.authTimeout) { await self.checkTimers(connection, streaming, context) }
        if streaming != nil {
            // The reader is the connection's only task, and it runs in the caller's.
            await readLoop(connection, streaming, context)
            await closeAfterReader(connection, context)
        } else {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.readLoop(connection, nil, context) }
                group.addTask { await self.eventPump(connection, context) }
                group.addTask { await self.typingPump(connection, context) }
                // The reader ends when the connection closes (from any side); then stop the rest.
                _ = await group.next()
                await closeAfterReader(connection, context)
                group.cancelAll()
            }
        }
        // Release everything the connection held.
        timers.remove(id)
        registry.remove(id)
        followFeed(nil, context)
        let (authenticated, subscribed) = context.state.withLock { ($0.authenticated, Array($0.subscribed)) }
        // Why each connection ended (the first close wins: the peer's, a timeout's, a
        // violation's or the gateway's own), for hosts chasing unexpected disconnects.
        logger.debug("a realtime connection ended", metadata: [
            "connection": "\(id)", "code": "\(connection.closeStatus?.code.rawValue ?? 0)",
            "reason": "\(connection.closeStatus?.reason ?? "")", "user": "\(authenticated.map { "\($0.principal.userID)" } ?? "-")",
        ])
        if let authenticated {
            authenticated.session.close(.closed)
            acks.disconnect(authenticated.session, from: subscribed)
            presence.disconnect(device: authenticated.deviceID, of: authenticated.principal.userID)
        }
    }

    /// Closes the connection once its reader ended (1001 when the host is stopping the
    /// gateway, so the client comes back) and ends its session and presence feeds.
    private func closeAfterReader<Connection: TransportConnection>(_ connection: Connection, _ context: ConnectionContext<C.Instant>) async {
        if Task.isCancelled {
            await connection.close(.goingAway, reason: "server shutting down; reconnect with backoff")
        } else {
            await connection.close(.normal, reason: "closed")
        }
        context.pumps?.finish()
        context.presenceSubscription.withLock { $0.take() }?.cancel()
    }

    /// Forgets a subscription whose membership ended (the user left or was removed): no
    /// acknowledgement tracking, resends or typing for it any more.
    func endSubscription(to conversation: ConversationID, of session: OutboundSession, _ context: ConnectionContext<C.Instant>) {
        let removed = context.state.withLock { $0.subscribed.remove(conversation) != nil }
        guard removed else { return }
        acks.leave(session, from: conversation)
        context.presenceSubscription.withLock { $0 }?.unwatch(conversation: conversation)
    }

    // MARK: Tasks

    private func readLoop<Connection: TransportConnection>(
        _ connection: Connection, _ streaming: (any SessionStreamingConnection)?, _ context: ConnectionContext<C.Instant>
    ) async {
        if let token = connection.metadata.bearerToken {
            guard await authenticate(token: token, device: nil, requestID: nil, connection, streaming, context) else { return }
        }
        while let frame = try? await connection.receive() {
            let now = clock.now
            context.state.withLock { $0.lastInbound = now }
            let request: ClientRequest
            do {
                request = try decoder.decode(frame)
            } catch {
                await rejectFrame(error, connection, context)
                if context.authenticated == nil, error.code != .frameTooBig {
                    // Before the handshake, nothing but a valid auth (or ping) frame is tolerated.
                    await connection.close(.unauthorized, reason: "not authenticated")
                    return
                }
                continue
            }
            context.state.withLock { $0.consecutiveInvalid = 0 }
            guard context.authenticated != nil else {
                if case .auth(let token, let device, let version) = request.body {
                    if let version, version != ProtocolLimits.version {
                        await send(.error(
                            requestID: request.id, code: .unsupportedProtocol,
                            message: "This server speaks protocol \(ProtocolLimits.version).", retryAfterMilliseconds: nil), on: connection)
                        await connection.close(.policyViolation, reason: "unsupported protocol version")
                        return
                    }
                    if let wait = rateLimit(.auth, address: connection.metadata.remoteAddress, user: nil) {
                        await send(rateLimitedFrame(request.id, wait), on: connection)
                        await connection.close(.rateLimited, reason: "rate limited; retry-after-ms=\(Self.milliseconds(wait))")
                        return
                    }
                    guard await authenticate(token: token, device: device, requestID: request.id, connection, streaming, context)
                    else { return }
                } else if request.body == .ping {
                    await send(.pong, on: connection)
                } else {
                    await send(.error(
                        requestID: request.id, code: .unauthorized, message: "Authenticate with an \"auth\" frame first.",
                        retryAfterMilliseconds: nil), on: connection)
                    await connection.close(.unauthorized, reason: "not authenticated")
                    return
                }
                continue
            }
            await dispatch(request, connection, context)
        }
    }

    private func eventPump<Connection: TransportConnection>(_ connection: Connection, _ context: ConnectionContext<C.Instant>) async {
        guard let pumps = context.pumps else { return }
        var sessions = pumps.sessions.makeAsyncIterator()
        guard let session = await sessions.next() else { return }
        while let event = await session.next() {
            do {
                try await connection.writeEvent(.text(event.bytes), of: event.conversationID, seq: event.seq)
            } catch {
                return
            }
            if event.endsMembership(of: session.userID) {
                // The hub sends nothing after this event; forget the subscription here too.
                endSubscription(to: event.conversationID, of: session, context)
            }
        }
        if session.closeReason == .resync {
            await connection.close(.resyncRequired, reason: "resync required: resume from your last seq")
        }
    }

    private func typingPump<Connection: TransportConnection>(_ connection: Connection, _ context: ConnectionContext<C.Instant>) async {
        guard let pumps = context.pumps else { return }
        var subscriptions = pumps.presenceSubscriptions.makeAsyncIterator()
        guard let subscription = await subscriptions.next() else { return }
        let me = subscription.observer
        for await changes in subscription {
            for change in changes {
                if let frame = frame(for: change, to: me) { try? await connection.write(frame) }
            }
        }
    }

    /// The connection's timers, run by the timing wheel: closes it at the handshake
    /// timeout, at its token's expiry, when its session needs a resync, or when nothing was
    /// received for the idle timeout; sends `ping` every ``GatewayConfiguration/pingInterval``
    /// once authenticated. Returns when to check again, `nil` once the connection is closed.
    func checkTimers<Connection: TransportConnection>(
        _ connection: Connection, _ streaming: (any SessionStreamingConnection)?, _ context: ConnectionContext<C.Instant>
    ) async -> Duration? {
        guard connection.closeStatus == nil else { return nil }
        let now = clock.now
        let (authenticated, lastInbound, lastPing) = context.state.withLock { ($0.authenticated, $0.lastInbound, $0.lastPing) }
        guard let authenticated else {
            let waited = context.openedAt.duration(to: now)
            if waited >= configuration.authTimeout {
                await connection.close(.unauthorized, reason: "no auth frame within the handshake timeout")
                return nil
            }
            return configuration.authTimeout - waited
        }
        let untilExpiry = Duration.milliseconds(
            authenticated.principal.expiresAt.millisecondsSince1970 - wallClock.now().millisecondsSince1970)
        if untilExpiry <= .zero {
            // The token the connection was opened with ran out: the client refreshes it
            // and reconnects (Protocol.md §9), so no connection outlives its credentials.
            await connection.close(.unauthorized, reason: "access token expired; refresh it and reconnect")
            return nil
        }
        if authenticated.session.closeReason == .resync {
            await connection.close(.resyncRequired, reason: "resync required: resume from your last seq")
            return nil
        }
        // A ping that is due goes out first, even when the check comes late (a busy
        // machine) and the connection is about to be closed as idle.
        var sincePing = lastPing.duration(to: now)
        if sincePing >= configuration.pingInterval {
            context.state.withLock { $0.lastPing = now }
            sincePing = .zero
            if let streaming {
                // Without waiting for room: a peer that reads nothing must still meet its idle timeout.
                streaming.writeFromWriter { [ServerFrame.ping.transportFrame] }
            } else {
                do { try await connection.write(ServerFrame.ping.transportFrame) } catch { return nil }
            }
        }
        let quiet = lastInbound.duration(to: now)
        if quiet >= configuration.idleTimeout {
            await connection.close(.timeout, reason: "idle timeout: nothing received")
            return nil
        }
        return min(
            configuration.idleTimeout - quiet, configuration.pingInterval - sincePing, untilExpiry,
            configuration.expiryCheckInterval)
    }

    // MARK: Handshake

    private func authenticate<Connection: TransportConnection>(
        token: String, device: DeviceID?, requestID: String?, _ connection: Connection,
        _ streaming: (any SessionStreamingConnection)?, _ context: ConnectionContext<C.Instant>
    ) async -> Bool {
        let principal: AuthenticatedPrincipal
        do {
            principal = try await verifier.verify(token)
        } catch {
            logger.debug("refused a connection: the access token did not verify", metadata: ["code": "\(Self.code(of: error))"])
            await refuse(requestID, .unauthorized, "The access token is invalid or expired; refresh it and reconnect.", .unauthorized, connection)
            return false
        }
        let deviceID = device ?? DeviceID(principal.sessionID.uuid)
        let session = OutboundSession(
            id: ConnectionID(context.id), userID: principal.userID, deviceID: deviceID,
            limits: configuration.outboundQueue)
        let entry = ConnectionRegistry<C.Instant>.Entry(userID: principal.userID, sessionID: principal.sessionID, session: session) { close in
            session.close(.closed)
            await connection.close(close)
        }
        switch registry.admit(context.id, entry, maxPerUser: configuration.maxConnectionsPerUser) {
        case .revoked:
            await refuse(requestID, .unauthorized, "The session was revoked; log in again.", .unauthorized, connection)
            return false
        case .tooMany:
            await refuse(
                requestID, .tooManyConnections,
                "This user holds \(configuration.maxConnectionsPerUser) connections already; close one first.",
                .tooManyConnections, connection)
            return false
        case .admitted:
            break
        }
        // The user's block list, read once per connection (after admission, so a change from
        // now on reaches this session through ``refreshBlockList(of:)``).
        guard await loadBlockList(into: [session], of: principal.userID) else {
            registry.remove(context.id)
            await refuse(requestID, .unavailable, "The server could not reach its storage; retry later.", .internalError, connection)
            return false
        }
        context.state.withLock {
            $0.authenticated = .init(principal: principal, deviceID: deviceID, session: session)
            $0.lastPing = clock.now
        }
        // From now on the timers check idle time, pings and expiry.
        timers.schedule(context.id, after: configuration.housekeepingInterval) { await self.checkTimers(connection, streaming, context) }
        // A ready connection is online at once (a first heartbeat, active); the client's
        // `presence` frames keep it online past the TTL, or mark it idle.
        _ = try? presence.heartbeat(user: principal.userID, device: deviceID, activity: .active)
        if let streaming {
            streaming.stream(
                session,
                membershipEnded: { conversation in self.endSubscription(to: conversation, of: session, context) },
                resync: {
                    Task { await connection.close(.resyncRequired, reason: "resync required: resume from your last seq") }
                })
            // Acknowledgements are handled where they arrive, without a hop to the reader.
            streaming.setInboundFilter { bytes in self.acknowledgeInline(bytes, context) }
        } else {
            context.pumps?.sessionContinuation.yield(session)
        }
        let subscription = presence.subscribe(as: principal.userID)
        context.presenceSubscription.withLock { $0 = subscription }
        if let streaming {
            // Typing and presence changes are written from the connection's writer when they
            // come: no task waits for them.
            let me = principal.userID
            subscription.onChanges {
                streaming.writeFromWriter { subscription.takePendingChanges().compactMap { self.frame(for: $0, to: me) } }
            }
        } else {
            context.pumps?.presenceContinuation.yield(subscription)
        }
        let ready = ServerFrame.Ready(
            user: principal.userID, session: principal.sessionID, device: deviceID,
            heartbeatMs: Self.milliseconds(configuration.heartbeatInterval),
            idleTimeoutMs: Self.milliseconds(configuration.idleTimeout),
            maxFrameBytes: configuration.protocolLimits.maxFrameBytes)
        await send(.ready(requestID: requestID, ready), on: connection)
        return true
    }

    /// The frame of a typing or presence change for the watcher `me` (encoded once per
    /// change and shared), or `nil` for the watcher's own changes.
    private func frame(for change: PresenceChange, to me: UserID) -> TransportFrame? {
        switch change {
        case .typing(let typing) where typing.userID != me: changeFrames.frame(for: change)
        case .presence(let presence) where presence.userID != me: changeFrames.frame(for: change)
        default: nil
        }
    }

    private func refuse<Connection: TransportConnection>(
        _ requestID: String?, _ code: WireErrorCode, _ message: String, _ close: CloseCode, _ connection: Connection
    ) async {
        await send(.error(requestID: requestID, code: code, message: message, retryAfterMilliseconds: nil), on: connection)
        await connection.close(close, reason: code.rawValue)
    }

    // MARK: Helpers

    private func rejectFrame<Connection: TransportConnection>(
        _ error: ProtocolError, _ connection: Connection, _ context: ConnectionContext<C.Instant>
    ) async {
        await send(.error(error, requestID: error.requestID), on: connection)
        if error.code == .frameTooBig {
            await connection.close(.messageTooBig, reason: "frame too big")
            return
        }
        let invalid = context.state.withLock { state -> Int in
            state.consecutiveInvalid += 1
            return state.consecutiveInvalid
        }
        if error.code == .binaryFrame {
            await connection.close(.policyViolation, reason: "binary frames are not accepted; send text frames")
        } else if invalid >= configuration.protocolLimits.maxConsecutiveInvalidFrames {
            await connection.close(.policyViolation, reason: "too many invalid frames")
        }
    }

    func send<Connection: TransportConnection>(_ frame: ServerFrame, on connection: Connection) async {
        try? await connection.write(frame.transportFrame)
    }

    func rateLimitedFrame(_ requestID: String?, _ wait: Duration) -> ServerFrame {
        .error(
            requestID: requestID, code: .rateLimited,
            message: "Too many requests; retry after \(Self.milliseconds(wait)) ms.",
            retryAfterMilliseconds: Self.milliseconds(wait))
    }

    /// Takes a token from the user's and the address's buckets of `action`, then (with a
    /// `MessagingCore.SharedRateLimit`) counts the request in the deployment's window of
    /// the user's rule; returns how long to wait when any of them refuses. A request the
    /// shared count refuses gives its local tokens back.
    func rateLimit(_ action: RateLimitedAction, address: String, user: UserID?) -> Duration? {
        let limits = configuration.rateLimits
        let userKey = user.map { RateLimiter<C>.Key(scope: "u:\($0)", action: action) }
        let userRule = limits.perUser[action]
        if let userKey, let userRule, let wait = limiter.take(userKey, rule: userRule) { return wait }
        let addressKey = RateLimiter<C>.Key(scope: "a:\(address)", action: action)
        let addressRule = limits.perAddress[action]
        if let addressRule, let wait = limiter.take(addressKey, rule: addressRule) {
            if let userKey, let userRule { limiter.refund(userKey, rule: userRule) }
            return wait
        }
        // The same window size as the HTTP API's shared check (10 s of the rule's rate plus
        // its burst), under keys of their own: realtime and HTTP keep separate limits, as
        // they do on one node.
        if let sharedRateLimit, let user, let userRule,
            let wait = sharedRateLimit.admit(
                "rt:u:\(user):\(action.rawValue)", limit: Int(userRule.burst + userRule.perSecond * 10), at: wallClock.now())
        {
            if let userKey { limiter.refund(userKey, rule: userRule) }
            if let addressRule { limiter.refund(addressKey, rule: addressRule) }
            return wait
        }
        return nil
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    static func code(of error: any Error) -> String {
        if let error = error as? MessagingError { return "\(error.code)" }
        return String(describing: type(of: error))
    }
}
