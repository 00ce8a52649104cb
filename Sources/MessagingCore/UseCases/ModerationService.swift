/// Moderating a group or channel: kicking with a reason, bans, slow mode and pinned messages.
///
/// Roles follow ``PermissionTable``: banning needs ``ConversationAction/banMember``, slow mode
/// ``ConversationAction/editConversation``, pins ``ConversationAction/pinMessage`` (in a direct
/// conversation both members may pin), and an actor acts on a member only when it outranks
/// it (owners may act on owners), as for removals.
///
/// Thread safety: immutable; safe to share across tasks.
public struct ModerationService: Sendable {
    let context: ServiceContext

    /// Removes (kicks) a member with an optional reason recorded in the log; the member may be
    /// added again later. The same as ``ConversationService/removeMember(_:from:reason:by:)``.
    public func kick(_ user: UserID, from conversationID: ConversationID, reason: String? = nil, by actor: UserID) async throws {
        guard user != actor else {
            throw MessagingError.invalidInput("You cannot remove yourself with a kick; leave the conversation instead.")
        }
        try await ConversationService(context: context).removeMember(user, from: conversationID, reason: reason, by: actor)
    }

    /// Bans `user` from a group or channel: a member is removed at once (the `member.banned`
    /// event ends its live subscriptions), and nobody can add them again until
    /// ``unban(_:in:by:)``. A user who is not a member may be banned too. Banning a user who
    /// is banned already returns the existing ban unchanged.
    public func ban(_ user: UserID, from conversationID: ConversationID, reason: String? = nil, by actor: UserID) async throws -> ConversationBan {
        let reason = try Self.reason(reason)
        guard user != actor else { throw MessagingError.invalidInput("You cannot ban yourself; leave the conversation instead.") }
        let now = context.clock.now()
        let permissions = context.permissions
        return try await context.write(feed: { transaction in
            let (conversation, me) = try transaction.requireMembership(of: actor, in: conversationID)
            try ConversationService.requireMutableMembership(conversation)
            try permissions.require(me.role, to: .banMember)
            if let existing = try transaction.ban(of: user, in: conversationID) { return (existing, []) }
            var feed: [UserFeedEvent] = []
            if let target = try transaction.member(user, in: conversationID) {
                try ConversationService.requireOutranks(me, target)
                try transaction.removeMember(user, from: conversationID)
                if conversation.isEncrypted { try transaction.requireNewEpoch(in: conversationID) }
                feed.append(try transaction.appendFeedEvent(
                    .left(removedBy: actor, reason: reason, banned: true), for: user, about: conversationID, at: now))
            } else if try transaction.user(id: user) == nil {
                throw MessagingError.notFound("No user has the id \(user).")
            }
            let ban = ConversationBan(conversationID: conversationID, userID: user, bannedBy: actor, reason: reason, bannedAt: now)
            try transaction.insert(ban)
            try transaction.record({ _ in .memberBanned(userID: user, reason: reason) }, in: conversationID, by: actor, at: now)
            return (ban, feed)
        })
    }

    /// Lifts a ban; the user may then be added again. Lifting a ban that does not exist changes nothing.
    public func unban(_ user: UserID, in conversationID: ConversationID, by actor: UserID) async throws {
        let now = context.clock.now()
        let permissions = context.permissions
        try await context.write { transaction in
            let (conversation, me) = try transaction.requireMembership(of: actor, in: conversationID)
            try ConversationService.requireMutableMembership(conversation)
            try permissions.require(me.role, to: .banMember)
            guard try transaction.deleteBan(of: user, in: conversationID) else { return }
            try transaction.record({ _ in .memberUnbanned(userID: user) }, in: conversationID, by: actor, at: now)
        }
    }

    /// The bans of a conversation ordered by user id, for members allowed to ban; page with
    /// `after` set to the last user id seen.
    public func bans(
        of conversationID: ConversationID, for user: UserID, after: UserID? = nil, limit: Int = 200
    ) async throws -> [ConversationBan] {
        try requirePageLimit(limit, max: 1000, what: "ban")
        let permissions = context.permissions
        return try await context.store.read { transaction in
            let me = try transaction.requireMember(user, of: conversationID)
            try permissions.require(me.role, to: .banMember)
            return try transaction.bans(in: conversationID, after: after, limit: limit)
        }
    }

    /// Sets the slow-mode interval of a group or channel, 0 (off) to
    /// ``ModerationLimits/maxSlowModeSeconds``: a member below admin then sends at most one
    /// new message per interval, and a send within it fails with `slowMode` and how long to
    /// wait. Owners and admins are exempt; a repeated send (same client message id) is not a new message.
    public func setSlowMode(_ seconds: Int, of conversationID: ConversationID, by actor: UserID) async throws -> Conversation {
        guard (0...ModerationLimits.maxSlowModeSeconds).contains(seconds) else {
            throw MessagingError.invalidInput(
                "The slow-mode interval must be between 0 (off) and \(ModerationLimits.maxSlowModeSeconds) seconds; it was \(seconds).")
        }
        let now = context.clock.now()
        let permissions = context.permissions
        return try await context.write { transaction in
            var (conversation, me) = try transaction.requireMembership(of: actor, in: conversationID)
            guard conversation.kind != .direct else {
                throw MessagingError.invalidInput("Direct conversations have no slow mode; set it on a group or channel.")
            }
            try permissions.require(me.role, to: .editConversation)
            guard conversation.slowModeSeconds != seconds else { return conversation }
            try transaction.setSlowMode(seconds: seconds, of: conversationID)
            conversation.slowModeSeconds = seconds
            conversation.lastSeq = try transaction.record(
                { _ in .slowModeChanged(seconds: seconds) }, in: conversationID, by: actor, at: now)
            conversation.lastActivityAt = now
            return conversation
        }
    }

    /// Pins a message of the conversation (at most ``ModerationLimits/maxPinsPerConversation``);
    /// pinning a pinned message returns its pin unchanged. Deleted messages cannot be pinned,
    /// and deleting a message drops its pin.
    public func pin(_ messageID: MessageID, by actor: UserID) async throws -> PinnedMessage {
        let now = context.clock.now()
        let permissions = context.permissions
        return try await context.write { transaction in
            let (message, conversation, me) = try transaction.requireVisibleMessage(messageID, for: actor)
            if conversation.kind != .direct { try permissions.require(me.role, to: .pinMessage) }
            guard !message.isDeleted else {
                throw MessagingError.conflict("The message was deleted; deleted messages cannot be pinned.")
            }
            let pins = try transaction.pins(in: conversation.id)
            if let existing = pins.first(where: { $0.messageID == messageID }) { return existing }
            guard pins.count < ModerationLimits.maxPinsPerConversation else {
                throw MessagingError.limitExceeded(
                    "The conversation has \(ModerationLimits.maxPinsPerConversation) pinned messages, the limit; unpin one first.")
            }
            let pin = PinnedMessage(conversationID: conversation.id, messageID: messageID, pinnedBy: actor, pinnedAt: now)
            _ = try transaction.insert(pin)
            try transaction.record({ _ in .messagePinned(messageID: messageID) }, in: conversation.id, by: actor, at: now)
            return pin
        }
    }

    /// Unpins a message; unpinning one that is not pinned changes nothing.
    public func unpin(_ messageID: MessageID, by actor: UserID) async throws {
        let now = context.clock.now()
        let permissions = context.permissions
        try await context.write { transaction in
            let (_, conversation, me) = try transaction.requireVisibleMessage(messageID, for: actor)
            if conversation.kind != .direct { try permissions.require(me.role, to: .pinMessage) }
            guard try transaction.deletePin(of: messageID, in: conversation.id) else { return }
            try transaction.record({ _ in .messageUnpinned(messageID: messageID) }, in: conversation.id, by: actor, at: now)
        }
    }

    /// The pins of a conversation, oldest first, for a member; `notFound` otherwise.
    public func pins(of conversationID: ConversationID, for user: UserID) async throws -> [PinnedMessage] {
        try await context.store.read { transaction in
            _ = try transaction.requireMember(user, of: conversationID)
            return try transaction.pins(in: conversationID)
        }
    }

    private static func reason(_ text: String?) throws(MessagingError) -> String? {
        try text.flatMap { (text) throws(MessagingError) in
            try ConversationService.optionalText(text, field: "reason", max: ModerationLimits.maxReasonCharacters)
        }
    }
}
