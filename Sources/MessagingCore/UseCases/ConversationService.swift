/// Creating conversations and managing their members and details.
///
/// Thread safety: immutable; safe to share across tasks.
public struct ConversationService: Sendable {
    let context: ServiceContext

    /// Creates a conversation with `creator` as owner (direct: both users as members).
    ///
    /// A direct conversation with a user who already has one with `creator` returns the
    /// existing one (asking for an encrypted one when the existing one is not is a `conflict`). With a `requestID`, a retried request returns the conversation the first
    /// one created (for `MessagingConfiguration.idempotencyRetentionMilliseconds`).
    ///
    /// `encrypted` makes it end-to-end encrypted for good: it then accepts only encrypted
    /// messages sealed with its key epochs (see ``DeviceService``) and is never indexed.
    public func create(
        _ spec: NewConversation, by creator: UserID, requestID: String? = nil, encrypted: Bool = false
    ) async throws -> Conversation {
        if encrypted { _ = try context.requireVerifier() }
        let now = context.clock.now()
        let newID: ConversationID = context.ids.next()
        let limits = context.limits
        let retention = context.configuration.idempotencyRetentionMilliseconds
        if let requestID { _ = try ClientMessageID(requestID) }  // same shape rules as a send key
        return try await context.write(feed: { transaction in
            let scope = "create-conversation:\(creator)"
            if let requestID, let saved = try transaction.idempotencyRecord(scope: scope, key: requestID, now: now),
               let savedID = ConversationID(saved) {
                return (try transaction.requireMembership(of: creator, in: savedID).0, [])
            }
            guard try transaction.user(id: creator) != nil else {
                throw MessagingError.notFound("No user has the id \(creator); register the creator first.")
            }
            let (kind, title, topic, others) = try Self.normalize(spec, creator: creator, limits: limits)
            for other in others where try transaction.user(id: other) == nil || transaction.isAccountDeleted(other) {
                throw MessagingError.notFound("No user has the id \(other); every member must be registered.")
            }
            var directKey: [UInt8]?
            if kind == .direct, let other = others.first {
                if try transaction.isBlocked(between: creator, and: other) {
                    throw MessagingError.blocked(
                        "One of you blocks the other, so there is no direct conversation between you; the one who blocks can unblock at DELETE /v1/blocks/{userId}.")
                }
                let key = Conversation.directKey(creator, other)
                if let existing = try transaction.directConversation(key: key) {
                    let conversation = try transaction.requireMembership(of: creator, in: existing).0
                    guard conversation.isEncrypted || !encrypted else {
                        throw MessagingError.conflict(
                            "You already have a direct conversation with this user that is not end-to-end encrypted (\(existing)); there is one direct conversation per pair, so create an encrypted group of two instead.")
                    }
                    return (conversation, [])
                }
                directKey = key
            }
            let conversation = Conversation(
                id: newID, kind: kind, title: title, topic: topic, creatorID: creator, createdAt: now,
                lastSeq: 0, lastActivityAt: now, isEncrypted: encrypted)
            try transaction.insert(conversation, directKey: directKey)
            if encrypted {
                try transaction.setKeyState(.initial, of: newID)
                try transaction.requireRoomForDevices(0, in: newID, limits: limits)
            }
            // Creation is not an event: the log starts empty (lastSeq 0) and the first
            // change gets seq 1. The initial members are part of the conversation's state.
            let creatorRole: Role = kind == .direct ? .member : .owner
            try transaction.insert(Member(conversationID: newID, userID: creator, role: creatorRole, joinedAt: now))
            // Every initial member's feed says so (the creator's other devices learn it too).
            var feed = [try transaction.appendFeedEvent(
                .joined(kind: kind, title: title, role: creatorRole, by: creator), for: creator, about: newID, at: now)]
            for other in others {
                try transaction.insert(Member(conversationID: newID, userID: other, role: .member, joinedAt: now))
                feed.append(try transaction.appendFeedEvent(
                    .joined(kind: kind, title: title, role: .member, by: creator), for: other, about: newID, at: now))
            }
            if let requestID {
                try transaction.saveIdempotencyRecord(
                    scope: scope, key: requestID, value: newID.description, expiresAt: now.adding(milliseconds: retention))
            }
            return (conversation, feed)
        })
    }

    /// Adds `user` with `role` (at most the actor's own role). Adding an existing member returns it unchanged.
    public func addMember(_ user: UserID, role: Role = .member, to conversationID: ConversationID, by actor: UserID) async throws -> Member {
        let now = context.clock.now()
        let permissions = context.permissions
        let maxMembers = context.limits.maxMembers
        let limits = context.limits
        return try await context.write(feed: { transaction in
            let (conversation, me) = try transaction.requireMembership(of: actor, in: conversationID)
            try Self.requireMutableMembership(conversation)
            try permissions.require(me.role, to: .addMember)
            guard role <= me.role else {
                throw MessagingError.forbidden("You cannot grant the role \(role), which is above your own (\(me.role)).")
            }
            guard try transaction.user(id: user) != nil, try !transaction.isAccountDeleted(user) else {
                throw MessagingError.notFound("No user has the id \(user).")
            }
            if let existing = try transaction.member(user, in: conversationID) { return (existing, []) }
            if try transaction.ban(of: user, in: conversationID) != nil {
                throw MessagingError.banned(
                    "The user \(user) is banned from this conversation; an owner or admin must unban them before they can be added.")
            }
            guard try transaction.memberCount(of: conversationID, role: nil) < maxMembers else {
                throw MessagingError.limitExceeded("The conversation has reached its limit of \(maxMembers) members.")
            }
            if conversation.isEncrypted {
                try transaction.requireRoomForDevices(
                    try transaction.activeDevices(of: user).count, in: conversationID, limits: limits)
            }
            let member = Member(conversationID: conversationID, userID: user, role: role, joinedAt: now)
            try transaction.insert(member)
            try transaction.record({ _ in .memberJoined(userID: user, role: role) }, in: conversationID, by: actor, at: now)
            let entry = try transaction.appendFeedEvent(
                .joined(kind: conversation.kind, title: conversation.title, role: role, by: actor), for: user,
                about: conversationID, at: now)
            return (member, [entry])
        })
    }

    /// Removes (kicks) another member, with an optional `reason` recorded in the log
    /// (`member.left` with `removedBy` and `reason`); the actor must outrank it (owners may
    /// remove owners). A removed member may be added again; ``ModerationService/ban(_:from:reason:by:)`` keeps them out.
    public func removeMember(_ user: UserID, from conversationID: ConversationID, reason: String? = nil, by actor: UserID) async throws {
        let reason = try reason.flatMap { (text) throws(MessagingError) in
            try Self.optionalText(text, field: "reason", max: ModerationLimits.maxReasonCharacters)
        }
        if user == actor { return try await leave(conversationID, by: actor) }
        let now = context.clock.now()
        let permissions = context.permissions
        try await context.write(feed: { transaction in
            let (conversation, me) = try transaction.requireMembership(of: actor, in: conversationID)
            try Self.requireMutableMembership(conversation)
            try permissions.require(me.role, to: .removeMember)
            guard let target = try transaction.member(user, in: conversationID) else {
                throw MessagingError.notFound("The user \(user) is not a member of this conversation.")
            }
            try Self.requireOutranks(me, target)
            try transaction.removeMember(user, from: conversationID)
            try transaction.record(
                { _ in .memberLeft(userID: user, removedBy: actor, reason: reason) }, in: conversationID, by: actor, at: now)
            if conversation.isEncrypted { try transaction.requireNewEpoch(in: conversationID) }
            return ((), [try transaction.appendFeedEvent(.left(removedBy: actor, reason: reason, banned: false), for: user, about: conversationID, at: now)])
        })
    }

    /// Changes a member's role. Nobody grants above their own role; only owners act on
    /// admins and owners; members may lower their own role; the last owner cannot be demoted.
    public func changeRole(of user: UserID, to role: Role, in conversationID: ConversationID, by actor: UserID) async throws -> Member {
        let now = context.clock.now()
        let permissions = context.permissions
        return try await context.write(feed: { transaction in
            let (conversation, me) = try transaction.requireMembership(of: actor, in: conversationID)
            try Self.requireMutableMembership(conversation)
            guard var target = try transaction.member(user, in: conversationID) else {
                throw MessagingError.notFound("The user \(user) is not a member of this conversation.")
            }
            if user == actor {
                guard role <= me.role else {
                    throw MessagingError.forbidden("You cannot raise your own role; ask an owner.")
                }
            } else {
                try permissions.require(me.role, to: .changeRole)
                try Self.requireOutranks(me, target)
                guard role <= me.role else {
                    throw MessagingError.forbidden("You cannot grant the role \(role), which is above your own (\(me.role)).")
                }
            }
            guard target.role != role else { return (target, []) }
            if target.role == .owner, try transaction.memberCount(of: conversationID, role: .owner) == 1 {
                throw MessagingError.conflict(
                    "This is the conversation's last owner; make another member owner before changing this role.")
            }
            let previous = target.role
            try transaction.setRole(role, of: user, in: conversationID)
            target.role = role
            try transaction.record(
                { _ in .memberRoleChanged(userID: user, from: previous, to: role) }, in: conversationID, by: actor, at: now)
            let entry = try transaction.appendFeedEvent(.roleChanged(to: role, by: actor), for: user, about: conversationID, at: now)
            return (target, [entry])
        })
    }

    /// Leaves a group or channel. The last owner must hand over ownership first, unless it is the only member.
    public func leave(_ conversationID: ConversationID, by user: UserID) async throws {
        let now = context.clock.now()
        try await context.write(feed: { transaction in
            let (conversation, me) = try transaction.requireMembership(of: user, in: conversationID)
            try Self.requireMutableMembership(conversation)
            if me.role == .owner,
               try transaction.memberCount(of: conversationID, role: .owner) == 1,
               try transaction.memberCount(of: conversationID, role: nil) > 1 {
                throw MessagingError.conflict(
                    "You are the last owner; make another member owner before leaving.")
            }
            try transaction.removeMember(user, from: conversationID)
            try transaction.record(
                { _ in .memberLeft(userID: user, removedBy: nil, reason: nil) }, in: conversationID, by: user, at: now)
            if conversation.isEncrypted { try transaction.requireNewEpoch(in: conversationID) }
            return ((), [try transaction.appendFeedEvent(.left(removedBy: nil, reason: nil, banned: false), for: user, about: conversationID, at: now)])
        })
    }

    /// Changes the title or topic. A channel keeps a non-empty title.
    public func update(_ conversationID: ConversationID, with changes: ConversationChanges, by actor: UserID) async throws -> Conversation {
        let now = context.clock.now()
        let permissions = context.permissions
        let limits = context.limits
        return try await context.write(feed: { transaction in
            var (conversation, me) = try transaction.requireMembership(of: actor, in: conversationID)
            guard conversation.kind != .direct else {
                throw MessagingError.invalidInput("Direct conversations have no title or topic.")
            }
            try permissions.require(me.role, to: .editConversation)
            var title = conversation.title
            var topic = conversation.topic
            if let newTitle = changes.title {
                title = try Self.optionalText(newTitle, field: "title", max: limits.maxTitleCharacters)
                if title == nil, conversation.kind == .channel {
                    throw MessagingError.invalidInput("A channel needs a title; give a non-empty one.")
                }
            }
            if let newTopic = changes.topic {
                topic = try Self.optionalText(newTopic, field: "topic", max: limits.maxTopicCharacters)
            }
            guard title != conversation.title || topic != conversation.topic else { return (conversation, []) }
            try transaction.updateDetails(of: conversationID, title: title, topic: topic)
            conversation.title = title
            conversation.topic = topic
            conversation.lastSeq = try transaction.record(
                { _ in .conversationUpdated(title: title, topic: topic) }, in: conversationID, by: actor, at: now)
            conversation.lastActivityAt = now
            let feed = try transaction.appendFeedEventToMembers(.updated(title: title, topic: topic), of: conversationID, at: now)
            return (conversation, feed)
        })
    }

    /// Mutes the conversation for `user` until `until` (``Timestamp/forever`` for good), or
    /// unmutes it with `nil`. A muted conversation makes no notification jobs (mentions,
    /// offline) for that member; everything else (delivery, unread counts) is unchanged.
    /// `until` must lie in the future.
    public func mute(_ conversationID: ConversationID, until: Timestamp?, by user: UserID) async throws -> Member {
        let now = context.clock.now()
        if let until, until <= now {
            throw MessagingError.invalidInput("A mute must end in the future; unmute with null instead.")
        }
        return try await context.write { transaction in
            var me = try transaction.requireMember(user, of: conversationID)
            try transaction.setMutedUntil(until, of: user, in: conversationID)
            me.mutedUntil = until
            return me
        }
    }

    /// Whether `user`'s mute of the conversation is in force now (`false` for a non-member).
    public func isMuted(_ conversationID: ConversationID, for user: UserID) async throws -> Bool {
        let now = context.clock.now()
        return try await context.store.read { transaction in
            try transaction.member(user, in: conversationID)?.isMuted(at: now) ?? false
        }
    }

    /// The conversation, for a member; `notFound` otherwise.
    public func conversation(_ conversationID: ConversationID, for user: UserID) async throws -> Conversation {
        try await context.store.read { transaction in
            try transaction.requireMembership(of: user, in: conversationID).0
        }
    }

    /// Members ordered by user id, for a member; page with `after` set to the last user id seen.
    public func members(of conversationID: ConversationID, for user: UserID, after: UserID? = nil, limit: Int = 200) async throws -> [Member] {
        try requirePageLimit(limit, max: 1000, what: "member")
        return try await context.store.read { transaction in
            _ = try transaction.requireMembership(of: user, in: conversationID)
            return try transaction.members(of: conversationID, after: after, limit: limit)
        }
    }

    /// The user's conversations, most recently active first, keyset-paginated.
    public func conversations(of user: UserID, after cursor: ConversationCursor? = nil, limit: Int = 50) async throws -> ConversationPage {
        try requirePageLimit(limit, max: context.limits.maxConversationPage, what: "conversation")
        return try await context.store.read { transaction in
            let rows = try transaction.conversations(of: user, after: cursor, limit: limit + 1)
            let page = Array(rows.prefix(limit))
            let next = rows.count > limit ? page.last.map {
                ConversationCursor(lastActivityAt: $0.conversation.lastActivityAt, conversationID: $0.conversation.id)
            } : nil
            return ConversationPage(conversations: page, nextCursor: next)
        }
    }

    // MARK: Rules

    private static func normalize(
        _ spec: NewConversation, creator: UserID, limits: MessagingLimits
    ) throws(MessagingError) -> (ConversationKind, String?, String?, [UserID]) {
        func others(_ members: [UserID]) throws(MessagingError) -> [UserID] {
            var seen: Set<UserID> = [creator]
            let unique = members.filter { seen.insert($0).inserted }
            guard unique.count < limits.maxMembers else {
                throw .limitExceeded("A conversation may have at most \(limits.maxMembers) members.")
            }
            return unique
        }
        switch spec {
        case .direct(let other):
            guard other != creator else {
                throw .invalidInput("A direct conversation needs two different users; use a group for notes to yourself.")
            }
            return (.direct, nil, nil, [other])
        case .group(let title, let topic, let members):
            return (
                .group, try title.flatMap { (t) throws(MessagingError) in try optionalText(t, field: "title", max: limits.maxTitleCharacters) },
                try topic.flatMap { (t) throws(MessagingError) in try optionalText(t, field: "topic", max: limits.maxTopicCharacters) },
                try others(members))
        case .channel(let title, let topic, let members):
            guard let title = try optionalText(title, field: "title", max: limits.maxTitleCharacters) else {
                throw .invalidInput("A channel needs a title; give a non-empty one.")
            }
            return (
                .channel, title,
                try topic.flatMap { (t) throws(MessagingError) in try optionalText(t, field: "topic", max: limits.maxTopicCharacters) },
                try others(members))
        }
    }

    /// A trimmed one-line text, or `nil` when it is empty.
    static func optionalText(_ text: String, field: String, max: Int) throws(MessagingError) -> String? {
        let value = try TextRules.singleLine(text, field: field, maxCharacters: max, allowEmpty: true)
        return value.isEmpty ? nil : value
    }

    static func requireMutableMembership(_ conversation: Conversation) throws(MessagingError) {
        guard conversation.kind != .direct else {
            throw .invalidInput(
                "A direct conversation always has exactly its two members; create a group to talk with more people.")
        }
    }

    static func requireOutranks(_ actor: Member, _ target: Member) throws(MessagingError) {
        guard actor.role == .owner || actor.role > target.role else {
            throw .forbidden("Your role (\(actor.role)) cannot act on a member whose role is \(target.role).")
        }
    }
}
