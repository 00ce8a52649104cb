import Foundation
import MessagingCore
import MessagingDelivery
import MessagingPresence
import MessagingWire

extension Gateway {
    /// The rate-limited action of a request type; `nil` for `ack`, which is never limited:
    /// it moves an in-memory cursor and the cursors are written in batches (coalesced), so a
    /// client acknowledging each event of a long replay, as §10 asks, costs no storage.
    static func action(of body: ClientRequest.Body) -> RateLimitedAction? {
        switch body {
        case .ack: nil
        case .auth: .auth
        case .send, .edit, .delete, .attachmentUpload: .message
        case .react, .unreact: .reaction
        case .read: .read
        case .typing: .typing
        case .presence: .presence
        case .subscribe, .unsubscribe, .history, .replies, .watch, .unwatch, .devices, .envelopes: .query
        case .feedSubscribe, .feedUnsubscribe, .receipts, .attachmentDownload: .query
        case .publishDevice, .removeDevice, .uploadEnvelopes: .message
        case .ping, .pong: .keepalive
        }
    }

    /// Answers one request of an authenticated connection.
    func dispatch<Connection: TransportConnection>(
        _ request: ClientRequest, _ connection: Connection, _ context: ConnectionContext<C.Instant>
    ) async {
        guard let me = context.authenticated else { return }
        let user = me.principal.userID
        if let action = Self.action(of: request.body),
            let wait = rateLimit(action, address: connection.metadata.remoteAddress, user: user) {
            let strikes = context.state.withLock { state -> Int in
                state.consecutiveRateLimited += 1
                return state.consecutiveRateLimited
            }
            await send(rateLimitedFrame(request.id, wait), on: connection)
            if strikes >= configuration.rateLimits.closeAfterConsecutiveRejections {
                logger.info("closing a connection that kept exceeding its rate limit", metadata: ["connection": "\(context.id)"])
                await connection.close(.rateLimited, reason: "rate limited; retry-after-ms=\(Self.milliseconds(wait))")
            }
            return
        }
        context.state.withLock { $0.consecutiveRateLimited = 0 }
        do {
            if let result = try await answer(request, me: me, connection, context) {
                await send(.ok(requestID: request.id, result: result), on: connection)
            }
        } catch {
            if !(error is MessagingError || error is PresenceError || error is DeliveryError || error is ProtocolError) {
                logger.error("a realtime request failed", metadata: ["type": "\(request.type)", "error": "\(Self.code(of: error))"])
            }
            await send(.error(error, requestID: request.id), on: connection)
        }
    }

    /// Handles an `ack` without `id` where it arrived (a streaming connection's I/O thread,
    /// see ``SessionStreamingConnection/setInboundFilter(_:)``): the same checks and effect
    /// as the reader's path, and nothing to answer. Returns `false`, changing nothing, for
    /// anything else and for an `ack` the reader must refuse (it answers the error).
    func acknowledgeInline(_ bytes: [UInt8], _ context: ConnectionContext<C.Instant>) -> Bool {
        guard let (conversation, seq) = decoder.decodeAcknowledgement(bytes) else { return false }
        let session = context.state.withLock { state in
            state.subscribed.contains(conversation) ? state.authenticated?.session : nil
        }
        guard let session, (try? acks.acknowledge(session, in: conversation, through: seq)) != nil else { return false }
        let now = clock.now
        context.state.withLock { state in
            state.lastInbound = now
            state.consecutiveInvalid = 0
            state.consecutiveRateLimited = 0
        }
        return true
    }

    /// Runs a request; returns the result to send, or `nil` when nothing is answered (or
    /// the answer was already sent).
    private func answer<Connection: TransportConnection>(
        _ request: ClientRequest, me: ConnectionContext<C.Instant>.Authenticated, _ connection: Connection,
        _ context: ConnectionContext<C.Instant>
    ) async throws -> ServerFrame.Result? {
        let user = me.principal.userID
        switch request.body {
        case .auth(let token, _, _):
            // A fresh access token of the same session (after a refresh) extends the
            // connection to that token's expiry; anything else changes nothing.
            let principal: AuthenticatedPrincipal
            do {
                principal = try await verifier.verify(token)
            } catch {
                throw ProtocolError(
                    .unauthorized, "The access token is invalid or expired; the connection keeps its current token until that expires.")
            }
            guard principal.userID == me.principal.userID, principal.sessionID == me.principal.sessionID else {
                throw ProtocolError(
                    .alreadyAuthenticated,
                    "The connection is authenticated for another session; only a fresh token of that session (a refresh) renews it.")
            }
            guard !registry.isRevoked(principal.sessionID) else {
                throw ProtocolError(.unauthorized, "The session was revoked; log in again.")
            }
            context.state.withLock { state in
                guard let current = state.authenticated, principal.expiresAt > current.principal.expiresAt else { return }
                state.authenticated = .init(principal: principal, deviceID: current.deviceID, session: current.session)
            }
            return .reauthenticated(expiresAt: context.authenticated?.principal.expiresAt ?? principal.expiresAt)

        case .subscribe(let conversation, let after):
            let alreadySubscribed = context.state.withLock { $0.subscribed.contains(conversation) }
            if alreadySubscribed {
                acks.leave(me.session, from: conversation)
                context.state.withLock { _ = $0.subscribed.remove(conversation) }
            }
            var start = after
            if let after {
                start = try await streamBacklog(of: conversation, after: after, for: user, on: connection)
            }
            let seq = try await acks.join(me.session, to: conversation, after: start)
            context.state.withLock { _ = $0.subscribed.insert(conversation) }
            if let subscription = context.presenceSubscription.withLock({ $0 }) {
                _ = try? await subscription.watch(conversation: conversation)
            }
            return .subscribed(conversation: conversation, seq: seq)

        case .unsubscribe(let conversation):
            let removed = context.state.withLock { $0.subscribed.remove(conversation) != nil }
            guard removed else {
                throw ProtocolError(.notSubscribed, "The connection is not subscribed to that conversation.")
            }
            acks.leave(me.session, from: conversation)
            context.presenceSubscription.withLock { $0 }?.unwatch(conversation: conversation)
            return .empty

        case .send(let send):
            // Named uploads are checked in object storage first; the send's transaction attaches them.
            let attachments = try await messaging.attachments.prepareForSend(send.attachments, in: send.conversationID, by: user)
            let draft: MessageDraft
            if let text = send.text {
                draft = try MessageDraft(
                    text: text, clientMessageID: send.clientMessageID, replyTo: send.replyTo, threadRoot: send.threadRoot,
                    mentions: send.mentions, attachments: attachments, limits: decoder.messagingLimits)
            } else {
                draft = try MessageDraft(
                    ciphertext: send.ciphertext ?? Data(), clientMessageID: send.clientMessageID, replyTo: send.replyTo,
                    threadRoot: send.threadRoot, mentions: send.mentions, attachments: attachments, encryption: send.encryption,
                    limits: decoder.messagingLimits)
            }
            let requestID = request.id
            // Answer the sender first, then publish (the pipeline's order).
            try await pipeline.send(draft, to: send.conversationID, by: user) { receipt in
                await self.send(
                    .ok(requestID: requestID, result: .sent(receipt.message, duplicate: receipt.isDuplicate)), on: connection)
            }
            return nil

        case .edit(let message, let text, let ciphertext, let mentions):
            let body: MessageBody = text.map { MessageBody.text($0) } ?? MessageBody.ciphertext(ciphertext ?? Data())
            return .message(try await messaging.messages.edit(message, to: body, mentions: mentions, by: user))

        case .delete(let message):
            return .message(try await messaging.messages.delete(message, by: user))

        case .react(let message, let emoji, _):
            try await messaging.messages.react(to: message, with: emoji, by: user)
            return .empty

        case .unreact(let message, let emoji, _):
            try await messaging.messages.unreact(to: message, with: emoji, by: user)
            return .empty

        case .read(let conversation, let seq):
            // Checked now, written by the coalescer's next flush (Gateway.run): a client that
            // reports every event it displays costs one write per window, not one per frame.
            return .read(readSeq: try await readReceipts.record(conversation, upTo: seq, by: user))

        case .typing(let conversation, let isTyping):
            let outcome = try await presence.typing(isTyping, by: user, in: conversation)
            return request.id == nil ? nil : .typing(throttled: outcome == .throttled)

        case .presence(let activity, let status):
            let ttl = try presence.heartbeat(user: user, device: me.deviceID, activity: activity)
            switch status {
            case .keep: break
            case .clear: try presence.setStatus(nil, for: user)
            case .set(let text): try presence.setStatus(try StatusText(text), for: user)
            }
            return request.id == nil ? nil : .presence(ttlMs: Self.milliseconds(ttl))

        case .watch(let users):
            guard let subscription = context.presenceSubscription.withLock({ $0 }) else { return .watched([]) }
            return .watched(try await subscription.watch(users: users))

        case .unwatch(let users):
            context.presenceSubscription.withLock { $0 }?.unwatch(users: users)
            return .empty

        case .history(let conversation, let page):
            return .history(try await messaging.messages.history(of: conversation, for: user, page))

        case .replies(let conversation, let root, let page):
            return .replies(try await messaging.messages.replies(to: root, in: conversation, for: user, page))

        case .ack(let conversation, let seq):
            guard context.state.withLock({ $0.subscribed.contains(conversation) }) else {
                throw ProtocolError(.notSubscribed, "Subscribe to the conversation before acknowledging its events.")
            }
            let outcome = try acks.acknowledge(me.session, in: conversation, through: seq)
            guard request.id != nil else { return nil }
            switch outcome {
            case .advanced(let cursor), .unchanged(let cursor): return .acked(seq: cursor)
            }

        case .publishDevice(let bundle):
            return .device(try await messaging.devices.publish(bundle, by: user).device)

        case .removeDevice(let device):
            return .device(try await messaging.devices.remove(device, by: user).device)

        case .devices(let conversation):
            return .devices(try await messaging.devices.devices(of: conversation, for: user))

        case .uploadEnvelopes(let upload):
            let receipt = try await messaging.devices.uploadEnvelopes(
                upload.envelopes, epoch: upload.epoch, from: upload.senderDeviceID, in: upload.conversationID, by: user)
            return .envelopesStored(receipt)

        case .envelopes(let device, let after, let limit):
            return .envelopes(try await messaging.devices.envelopes(for: device, after: after, limit: limit, by: user))

        case .feedSubscribe(let after):
            let state = try await messaging.feed.state(for: user, after: after)
            let follower = FeedFollower(user: user, cursor: after ?? state.head) { after in
                await self.deliverFeed(of: user, after: after, on: connection)
            }
            followFeed(follower, context)
            await send(.ok(requestID: request.id, result: .feedSubscribed(state)), on: connection)
            // After the answer: the entries after the cursor, and any appended since the
            // snapshot (the follower was registered before this, so none is missed).
            follower.wake(upTo: .max)
            return nil

        case .feedUnsubscribe:
            followFeed(nil, context)
            return .empty

        case .receipts(let conversation, let after, let limit):
            return .receipts(try await messaging.readState.receipts(in: conversation, for: user, after: after, limit: limit))

        case .attachmentUpload(let conversation, let upload):
            // The use case the HTTP route runs: the same checks and answers. Without a signer
            // (MessagingCore.Messaging.signingAttachmentTransfers(with:)) it answers
            // invalid_input, saying media is not configured.
            return .uploadSlot(try await messaging.attachments.uploadSlot(upload, in: conversation, by: user))

        case .attachmentDownload(let attachment):
            return .attachmentDownload(try await messaging.attachments.download(attachment, by: user))

        case .ping:
            await send(.pong, on: connection)
            return nil

        case .pong:
            return nil
        }
    }

    /// Writes a long backlog straight from the store to the connection, page by page,
    /// waiting on each write (backpressure), and stops one page short of the end; the hub
    /// join then replays that last page and continues live. Without this, a backlog longer
    /// than the outbound queue would overflow it and close the connection with 4410 on
    /// every reconnect. Returns the `seq` written through.
    ///
    /// A backlog that fits in one page (the usual reconnect) is not read here at all: one
    /// look at the conversation's `lastSeq` (no events decoded) leaves it to the join, so
    /// it is read once, not once here and again by the join.
    func streamBacklog<Connection: TransportConnection>(
        of conversation: ConversationID, after seq: Int64, for user: UserID, on connection: Connection
    ) async throws -> Int64 {
        let pageSize = max(1, min(200, configuration.outboundQueue.maxEvents / 2))
        let lastSeq = try await messaging.conversations.conversation(conversation, for: user).lastSeq
        guard lastSeq - seq > Int64(pageSize) else { return seq }
        var cursor = seq
        while true {
            let page = try await messaging.sync.events(in: conversation, after: cursor, limit: pageSize, for: user)
            guard page.hasMore else { return cursor }
            for event in page.events {
                try await connection.writeEvent(.text(try EncodedEvent(event).bytes), of: conversation, seq: event.seq)
                cursor = event.seq
            }
        }
    }
}

