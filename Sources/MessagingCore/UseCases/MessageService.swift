import Foundation

/// The outcome of a send.
///
/// Thread safety: a value type; safe to share across tasks.
public struct SendReceipt: Hashable, Sendable {
    /// The stored message (the original one for a repeated send).
    public let message: Message
    /// `true` when this send repeated an earlier one with the same client message id and
    /// content: nothing new was stored and no event was appended.
    public let isDuplicate: Bool
}

/// Sending, editing, deleting, reacting and reading history.
///
/// Thread safety: immutable; safe to share across tasks.
public struct MessageService: Sendable {
    let context: ServiceContext

    /// Sends a message, idempotently on (conversation, sender, client message id): the same
    /// key with the same content returns the original message; with other content, `conflict`.
    public func send(_ draft: MessageDraft, to conversationID: ConversationID, by sender: UserID) async throws -> SendReceipt {
        try await send([draft], to: conversationID, by: sender)[0]
    }

    /// Sends several messages of one sender in one transaction (importers, bridges, bots):
    /// each is checked and made idempotent exactly as ``send(_:to:by:)`` does, and either all
    /// are stored or, when one fails, none is.
    ///
    /// Jobs (outbox): a new message that mentions members enqueues, in the same
    /// transaction, one ``NotificationRequest`` job per mentioned member other than the
    /// sender (coalesced per user and conversation within
    /// `MessagingConfiguration.notificationWindowMilliseconds`), except members who muted
    /// the conversation (``ConversationService/mute(_:until:by:)``) or block the sender
    /// (``BlockService``), and one ``NotificationScan`` of the conversation for the batch
    /// (coalesced per conversation: the members who do not receive the messages get one
    /// notification for the burst, ``NotificationService``). A repeated send enqueues nothing.
    /// So a committed message always has its jobs, and a job never names a message that did
    /// not commit.
    public func send(_ drafts: [MessageDraft], to conversationID: ConversationID, by sender: UserID) async throws -> [SendReceipt] {
        let committed = try await sendDeferringPublication(drafts, to: conversationID, by: sender)
        await context.publish(committed.events)
        return committed.value
    }

    /// Stores messages exactly as the batch `send` does and returns the receipts with the events
    /// the transaction committed, without publishing them: the caller publishes them (a
    /// repeated send commits no event). `DeliveryPipeline` uses it to answer the sender
    /// before publishing.
    public func sendDeferringPublication(
        _ drafts: [MessageDraft], to conversationID: ConversationID, by sender: UserID
    ) async throws -> Committed<[SendReceipt]> {
        guard !drafts.isEmpty else { return Committed([]) }
        guard drafts.count <= 1000 else {
            throw MessagingError.limitExceeded("A batch holds at most 1,000 messages; split it.")
        }
        for draft in drafts { try draft.validate(against: context.limits) }
        let now = context.clock.now()
        let prepared = drafts.map { (draft: $0, id: context.ids.next(IDKind.Message.self), digest: $0.contentDigest) }
        let permissions = context.permissions
        let window = context.configuration.notificationWindowMilliseconds
        let verifier = context.verifier
        failpoint(.cp1)
        let committed = try await context.store.commit { transaction in
            let (conversation, me) = try transaction.requireMembership(of: sender, in: conversationID)
            if conversation.kind == .channel { try permissions.require(me.role, to: .postInChannel) }
            let receipts = try prepared.map { item in
                let receipt = try Self.send(
                    item.draft, id: item.id, digest: item.digest, to: conversation, by: sender, role: me.role,
                    at: now, permissions: permissions, verifier: verifier, transaction: transaction)
                if !receipt.isDuplicate {
                    failpoint(.cp2)
                    try Self.enqueueJobs(for: receipt.message, windowMilliseconds: window, at: now, transaction: transaction)
                }
                return receipt
            }
            // One scan for the whole batch: the members who do not receive it are notified once.
            if let newest = receipts.filter({ !$0.isDuplicate }).map(\.message.seq).max() {
                let scan = NotificationScan(conversationID: conversationID, seq: newest)
                try transaction.enqueue(scan.makeJob(windowMilliseconds: window), at: now)
            }
            return receipts
        }
        failpoint(.cp3)
        return committed
    }

    /// The jobs a new message causes (see ``send(_:to:by:)``), in the send's transaction.
    private static func enqueueJobs(
        for message: Message, windowMilliseconds: Int64, at now: Timestamp, transaction: any MessagingTransaction
    ) throws {
        for user in Set(message.mentions).sorted() where user != message.senderID {
            // A member who muted the conversation, or who blocks the sender, gets no notification.
            if try transaction.member(user, in: message.conversationID)?.isMuted(at: now) == true { continue }
            if try transaction.blockedSenders(of: user).contains(message.senderID) { continue }
            let request = NotificationRequest(
                userID: user, conversationID: message.conversationID, reason: .mention, seq: message.seq,
                messageID: message.id)
            try transaction.enqueue(request.makeJob(windowMilliseconds: windowMilliseconds), at: now)
        }
    }

    /// The body of a send inside its transaction, after the membership guard.
    private static func send(
        _ draft: MessageDraft, id: MessageID, digest: UInt64, to conversation: Conversation, by sender: UserID,
        role: Role, at now: Timestamp, permissions: PermissionTable, verifier: (any EndToEndVerifier)?,
        transaction: any MessagingTransaction
    ) throws -> SendReceipt {
        let conversationID = conversation.id
        if draft.kind == .system { try permissions.require(role, to: .editConversation) }
        if conversation.isEncrypted {
            guard draft.kind == .encrypted, draft.encryption != nil else {
                throw MessagingError.invalidInput(
                    "This conversation is end-to-end encrypted: send a ciphertext sealed with its key, with the epoch and senderDevice.")
            }
        } else if draft.encryption != nil {
            throw MessagingError.invalidInput(
                "epoch and senderDevice belong to end-to-end encrypted conversations only; this one is not encrypted.")
        }
        if let existing = try transaction.message(in: conversationID, sender: sender, clientMessageID: draft.clientMessageID) {
            guard existing.contentDigest == digest else {
                throw MessagingError.conflict(
                    "The client message id '\(draft.clientMessageID)' was already used for a different message; use a new id for new content.")
            }
            return SendReceipt(message: existing, isDuplicate: true)
        }
        if conversation.isEncrypted, let header = draft.encryption, case .ciphertext(let ciphertext) = draft.body {
            try checkEncrypted(
                ciphertext, header: header, clientMessageID: draft.clientMessageID, in: conversationID, by: sender,
                verifier: verifier, transaction: transaction)
        }
        try checkReferences(of: draft, in: conversationID, transaction: transaction)
        if conversation.slowModeSeconds > 0, role < .admin {
            try claimSlowModePost(of: sender, in: conversation, at: now, transaction: transaction)
        }
        let seq = try transaction.nextSeq(of: conversationID, at: now)
        let message = Message(
            id: id, conversationID: conversationID, senderID: sender, seq: seq,
            clientMessageID: draft.clientMessageID, kind: draft.kind, body: draft.body,
            replyToID: draft.replyToID, threadRootID: draft.threadRootID, mentions: draft.mentions,
            attachments: draft.attachments, createdAt: now, editedAt: nil, deletedAt: nil, contentDigest: digest,
            encryption: draft.encryption)
        try transaction.insert(message)
        try attach(draft.attachments, to: id, in: conversationID, by: sender, at: now, transaction: transaction)
        try transaction.append(ConversationEvent(
            conversationID: conversationID, seq: seq, actorID: sender, occurredAt: now, payload: .messageCreated(message)))
        return SendReceipt(message: message, isDuplicate: false)
    }

    /// Replaces the body (and, when given, the mentions) of the caller's own message.
    /// Text messages take a text body, encrypted messages a ciphertext; system messages cannot be edited.
    public func edit(_ messageID: MessageID, to body: MessageBody, mentions: [UserID]? = nil, by editor: UserID) async throws -> Message {
        let now = context.clock.now()
        let limits = context.limits
        return try await context.write { transaction in
            var (message, conversation, _) = try transaction.requireVisibleMessage(messageID, for: editor)
            guard message.senderID == editor else {
                throw MessagingError.forbidden("Only the author can edit a message.")
            }
            guard !message.isDeleted else {
                throw MessagingError.conflict("The message was deleted; deleted messages cannot be edited.")
            }
            guard !conversation.isEncrypted else {
                throw MessagingError.invalidInput(
                    "Messages of an end-to-end encrypted conversation cannot be edited; delete the message and send a new one.")
            }
            let draft: MessageDraft
            switch (message.kind, body) {
            case (.text, .text(let text)):
                draft = try MessageDraft(
                    text: text, clientMessageID: message.clientMessageID, mentions: mentions ?? message.mentions, limits: limits)
            case (.encrypted, .ciphertext(let bytes)):
                draft = try MessageDraft(
                    ciphertext: bytes, clientMessageID: message.clientMessageID, mentions: mentions ?? message.mentions, limits: limits)
            case (.system, _):
                throw MessagingError.forbidden("System messages cannot be edited.")
            default:
                throw MessagingError.invalidInput(
                    "A \(message.kind) message must be edited with a \(message.kind == .text ? "text" : "ciphertext") body.")
            }
            guard draft.body != message.body || draft.mentions != message.mentions else { return message }
            try Self.checkReferences(of: draft, in: conversation.id, transaction: transaction)
            let seq = try transaction.nextSeq(of: conversation.id, at: now)
            try transaction.updateBody(of: messageID, to: draft.body, mentions: draft.mentions, editedAt: now)
            message.body = draft.body
            message.mentions = draft.mentions
            message.editedAt = now
            try transaction.append(ConversationEvent(
                conversationID: conversation.id, seq: seq, actorID: editor, occurredAt: now, payload: .messageEdited(message)))
            return message
        }
    }

    /// Deletes a message (its author, or a role allowed to delete others' messages),
    /// leaving a tombstone with its id and `seq`. Deleting a tombstone returns it unchanged.
    public func delete(_ messageID: MessageID, by actor: UserID) async throws -> Message {
        let now = context.clock.now()
        let permissions = context.permissions
        return try await context.write { transaction in
            let (message, _, me) = try transaction.requireVisibleMessage(messageID, for: actor)
            if message.senderID != actor { try permissions.require(me.role, to: .deleteOthersMessages) }
            return try transaction.deleteMessage(message, by: actor, at: now)
        }
    }

    /// Adds a reaction; adding one that exists changes nothing. At most
    /// `MessagingLimits.maxReactionsPerUserPerMessage` distinct emoji per user and message.
    public func react(to messageID: MessageID, with emoji: Emoji, by user: UserID) async throws {
        let now = context.clock.now()
        let maxReactions = context.limits.maxReactionsPerUserPerMessage
        try await context.write { transaction in
            let (message, conversation, _) = try transaction.requireVisibleMessage(messageID, for: user)
            guard !message.isDeleted else {
                throw MessagingError.conflict("The message was deleted; reactions cannot be added to it.")
            }
            let mine = try transaction.reactions(on: messageID, by: user)
            guard !mine.contains(emoji) else { return }
            guard mine.count < maxReactions else {
                throw MessagingError.limitExceeded(
                    "You already left \(mine.count) different reactions on this message; the limit is \(maxReactions). Remove one first.")
            }
            _ = try transaction.insert(Reaction(messageID: messageID, userID: user, emoji: emoji, createdAt: now))
            try transaction.record(
                { _ in .reactionAdded(messageID: messageID, userID: user, emoji: emoji) }, in: conversation.id, by: user, at: now)
        }
    }

    /// Removes the caller's reaction; removing one that does not exist changes nothing.
    public func unreact(to messageID: MessageID, with emoji: Emoji, by user: UserID) async throws {
        let now = context.clock.now()
        try await context.write { transaction in
            let (_, conversation, _) = try transaction.requireVisibleMessage(messageID, for: user)
            guard try transaction.deleteReaction(on: messageID, by: user, emoji: emoji) else { return }
            try transaction.record(
                { _ in .reactionRemoved(messageID: messageID, userID: user, emoji: emoji) }, in: conversation.id, by: user, at: now)
        }
    }

    /// One page of history by keyset on `seq`, newest first by default.
    public func history(of conversationID: ConversationID, for user: UserID, _ request: HistoryRequest = .init()) async throws -> MessagePage {
        try requirePageLimit(request.limit, max: context.limits.maxHistoryPage, what: "history")
        if let cursor = request.cursor, cursor < 0 {
            throw MessagingError.invalidInput("The history cursor is a seq and cannot be negative.")
        }
        return try await context.store.read { transaction in
            _ = try transaction.requireMember(user, of: conversationID)
            var rows = switch request.direction {
            case .backward: try transaction.messages(in: conversationID, before: request.cursor, limit: request.limit + 1)
            case .forward: try transaction.messages(in: conversationID, after: request.cursor, limit: request.limit + 1)
            }
            // The extra row only says whether there is more; dropped in place (no copy of the page).
            let hasMore = rows.count > request.limit
            if hasMore { rows.removeLast(rows.count - request.limit) }
            // Messages of users the reader blocks keep their place (seq), without content.
            let blocked = try transaction.blockedSenders(of: user)
            if !blocked.isEmpty { rows = rows.map { $0.shown(hiding: blocked) } }
            guard request.includesSummaries else { return MessagePage(messages: rows, hasMore: hasMore) }
            return try transaction.summarizedPage(rows, hasMore: hasMore, for: user)
        }
    }

    /// The checks of an encrypted message the server can make without reading it: the sender
    /// device is the sender's and active, the epoch is allowed, and the sealed message's signed
    /// header matches what the sender declared.
    private static func checkEncrypted(
        _ ciphertext: Data, header: EncryptionHeader, clientMessageID: ClientMessageID, in conversationID: ConversationID,
        by sender: UserID, verifier: (any EndToEndVerifier)?, transaction: any MessagingTransaction
    ) throws {
        let device = try transaction.requireOwnActiveDevice(header.senderDeviceID, of: sender)
        let state = try transaction.keyState(of: conversationID) ?? .initial
        guard state.keyEpoch >= state.requiredEpoch else {
            throw MessagingError.rekeyRequired(
                "The conversation needs a new key epoch (\(state.requiredEpoch)) before the next message: fetch its devices, upload envelopes for epoch \(state.requiredEpoch) to all of them, and send again with that epoch.")
        }
        guard header.epoch >= state.requiredEpoch else {
            throw MessagingError.rekeyRequired(
                "Epoch \(header.epoch) is no longer accepted: a member or device was removed after it. Send with epoch \(state.keyEpoch) (fetch your envelopes for its key) or start epoch \(state.keyEpoch + 1).")
        }
        guard header.epoch <= state.keyEpoch else {
            throw MessagingError.invalidInput(
                "No envelopes were uploaded for epoch \(header.epoch) (the conversation is at epoch \(state.keyEpoch)); upload them before sending with it.")
        }
        guard let verifier else {
            throw MessagingError.invalidInput("End-to-end encryption is not enabled on this server (no EndToEndVerifier).")
        }
        let sealed = try verifier.verifyMessage(ciphertext, senderBundle: device.bundle)
        guard sealed.conversationID == conversationID, sealed.epoch == header.epoch,
              sealed.senderDeviceID == header.senderDeviceID, sealed.clientMessageID == clientMessageID.rawValue
        else {
            throw MessagingError.invalidInput(
                "The sealed message's signed header (conversation, epoch, sender device, client message id) differs from the request's; seal and send the same values.")
        }
    }

    /// Slow mode: records this new message as the sender's latest post, or throws `slowMode`
    /// with how long to wait when the previous one is less than the interval ago. One atomic
    /// statement in the send's transaction, so concurrent sends of one member cannot both pass.
    private static func claimSlowModePost(
        of sender: UserID, in conversation: Conversation, at now: Timestamp, transaction: any MessagingTransaction
    ) throws {
        let interval = Int64(conversation.slowModeSeconds) * 1000
        guard let previous = try transaction.claimPost(of: sender, in: conversation.id, at: now, intervalMilliseconds: interval)
        else { return }
        let wait = max(1, previous.millisecondsSince1970 + interval - now.millisecondsSince1970)
        var error = MessagingError(
            code: .slowMode,
            message: "This conversation is in slow mode (one message per \(conversation.slowModeSeconds) s); send again in \((wait + 999) / 1000) s.")
        error.retryAfterMilliseconds = wait
        throw error
    }

    /// Checks reply target, thread root and mentions against the conversation.
    private static func checkReferences(
        of draft: MessageDraft, in conversationID: ConversationID, transaction: any MessagingTransaction
    ) throws {
        if let replyTo = draft.replyToID {
            guard let target = try transaction.message(id: replyTo), target.conversationID == conversationID else {
                throw MessagingError.invalidInput("The message replied to is not in this conversation; reply within one conversation.")
            }
            guard !target.isDeleted else {
                throw MessagingError.conflict("The message replied to was deleted; deleted messages cannot be replied to.")
            }
        }
        if let rootID = draft.threadRootID {
            guard let root = try transaction.message(id: rootID), root.conversationID == conversationID else {
                throw MessagingError.invalidInput("The thread root is not in this conversation.")
            }
            guard root.threadRootID == nil else {
                throw MessagingError.invalidInput("The thread root is itself in a thread; use that thread's root \(root.threadRootID!).")
            }
            guard !root.isDeleted else {
                throw MessagingError.conflict("The thread root was deleted; no new replies can be added to its thread.")
            }
        }
        for user in draft.mentions where try transaction.member(user, in: conversationID) == nil {
            throw MessagingError.invalidInput("The mentioned user \(user) is not a member of this conversation.")
        }
    }
}
