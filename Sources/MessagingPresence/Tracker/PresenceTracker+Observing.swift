import MessagingCore

extension PresenceTracker {
    // MARK: Observing

    /// Starts a subscription for `observer`; add users and conversations with its `watch` methods.
    public func subscribe(as observer: UserID) -> PresenceSubscription {
        let sink = ChangeSink()
        let id = state.withLock { $0.addSubscription(observer: observer, sink: sink) }
        return PresenceSubscription(observer: observer, id: id, sink: sink, hub: self)
    }

    /// The presence of `user` as `observer` sees it, once.
    ///
    /// - Throws: ``PresenceError`` `notFound` when they share no conversation, `unavailable`
    ///   when membership or the store cannot be read.
    public func presence(of user: UserID, as observer: UserID) async throws(PresenceError) -> UserPresence {
        if user != observer {
            let visible: Bool
            do {
                visible = try await audience.sharesConversation(observer, user)
            } catch {
                throw .audienceFailed(error)
            }
            guard visible else {
                throw PresenceError(
                    code: .notFound, message: "No such user among the people you share a conversation with. Check the user id.")
            }
        }
        let presence = state.withLock { $0.presence(of: user) }
        return try await fillLastSeen([presence])[0]
    }

    /// Tells the tracker that `user` joined (`isMember: true`) or left a conversation, so
    /// running watches follow: a conversation's member list and occupancy are updated (and
    /// its mode switches at the large-room threshold), a user who left stops watching it,
    /// and direct watches that no longer share a conversation end with
    /// ``PresenceChange/hidden(_:)``. Wire it to the conversation's member events.
    ///
    /// - Throws: ``PresenceError`` `unavailable` when visibility cannot be re-checked; the
    ///   conversation-level changes are applied regardless.
    public func membershipChanged(of user: UserID, in conversation: ConversationID, isMember: Bool) async throws(PresenceError) {
        let pairs = state.withLock { $0.membershipChanged(of: user, in: conversation, isMember: isMember) }
        guard !pairs.isEmpty else { return }
        var revoked: [(subscription: Int, user: UserID)] = []
        let byObserver = Dictionary(grouping: pairs, by: \.observer)
        for (observer, group) in byObserver {
            let visible: Set<UserID>
            do {
                visible = try await audience.users(among: group.map(\.user), sharingAConversationWith: observer)
            } catch {
                throw .audienceFailed(error)
            }
            revoked += group.filter { !visible.contains($0.user) }.map { ($0.subscription, $0.user) }
        }
        let hidden = revoked
        state.withLock { $0.hide(hidden) }
    }

    /// Users offline on this node but online on another one of a shared store (several
    /// nodes on one database): online when a device there is active, else away, with their
    /// stored status text. Entries of this node are ignored (its own state is current), so
    /// on a single node nothing changes. Best effort: a failing read leaves them offline.
    /// What it finds for watched users is remembered, so later changes on other nodes
    /// (``refreshRemote(_:)``) are told against it.
    func fillRemote(_ presences: [UserPresence]) async -> [UserPresence] {
        let offline = presences.filter { $0.state == .offline }.map(\.userID)
        guard !offline.isEmpty else { return presences }
        var active: [UserID: Bool] = [:]
        do {
            for entry in try await store.devices(of: offline, at: wallClock.now()) where entry.nodeID != configuration.nodeID {
                active[entry.key.userID] = (active[entry.key.userID] ?? false) || entry.activity == .active
            }
        } catch {
            logger.debug("could not read other nodes' devices", metadata: ["error": "\(error)"])
            return presences
        }
        let records = active.isEmpty ? [:] : ((try? await store.records(of: Array(active.keys))) ?? [:])
        state.withLock { state in
            for user in offline where state.users[user] == nil {
                state.applyRemote(
                    user, active[user].map { RemotePresence(isActive: $0, statusText: records[user]?.statusText) }, lastSeen: nil)
            }
        }
        guard !active.isEmpty else { return presences }
        return presences.map { presence in
            guard presence.state == .offline, let isActive = active[presence.userID] else { return presence }
            return UserPresence(
                userID: presence.userID, state: isActive ? .online : .away, statusText: records[presence.userID]?.statusText)
        }
    }

    /// Fills in other nodes' online users (``fillRemote(_:)``), then last-seen times of
    /// offline users from the outbox or the store.
    func fillLastSeen(_ presences: [UserPresence]) async throws(PresenceError) -> [UserPresence] {
        let presences = await fillRemote(presences)
        let missing = presences.filter { $0.state == .offline && $0.lastSeen == nil }.map(\.userID)
        guard !missing.isEmpty else { return presences }
        var known = state.withLock { state in
            var pending: [UserID: Timestamp] = [:]
            for user in missing {
                if let lastSeen = state.outbox.records[user]?.lastSeen { pending[user] = lastSeen }
            }
            return pending
        }
        let unknown = missing.filter { known[$0] == nil }
        if !unknown.isEmpty {
            do {
                for (user, record) in try await store.records(of: unknown) {
                    if let lastSeen = record.lastSeen { known[user] = lastSeen }
                }
            } catch {
                throw PresenceError(
                    code: .unavailable, message: "Could not read last-seen times from the presence store; retry.", cause: error)
            }
        }
        return presences.map { presence in
            guard presence.state == .offline, presence.lastSeen == nil else { return presence }
            var filled = presence
            filled.lastSeen = known[presence.userID]
            return filled
        }
    }
}

// MARK: - PresenceHub

extension PresenceTracker: PresenceHub {
    func watch(users: [UserID], subscription: Int, observer: UserID) async throws(PresenceError) -> [UserPresence] {
        var seen: Set<UserID> = []
        let unique = users.filter { seen.insert($0).inserted }
        let others = unique.filter { $0 != observer }
        var visible: Set<UserID> = []
        if !others.isEmpty {
            do {
                visible = try await audience.users(among: others, sharingAConversationWith: observer)
            } catch {
                throw .audienceFailed(error)
            }
        }
        let allowed = unique.filter { $0 == observer || visible.contains($0) }
        let presences = try state.withLock { (state) throws(PresenceError) -> [UserPresence] in
            try state.watch(users: allowed, subscription: subscription)
        }
        return try await fillLastSeen(presences)
    }

    func unwatch(users: [UserID], subscription: Int) {
        state.withLock { $0.unwatch(users: users, subscription: subscription) }
    }

    func watch(conversation: ConversationID, subscription: Int, observer: UserID) async throws(PresenceError) -> ConversationPresence {
        let member: Bool
        do {
            member = try await audience.isMember(observer, of: conversation)
        } catch {
            throw .audienceFailed(error)
        }
        guard member else { throw .conversationNotFound }
        var snapshot = state.withLock { $0.watch(conversation: conversation, subscription: subscription) }
        if snapshot == nil {
            let members: [UserID]
            do {
                members = try await audience.members(of: conversation)
            } catch {
                throw .audienceFailed(error)
            }
            snapshot = state.withLock { state in
                guard state.subscriptions[subscription] != nil else { return nil }
                state.activate(conversation, members: members)
                return state.watch(conversation: conversation, subscription: subscription)
            }
        }
        switch snapshot {
        case .members(let presences, let typing):
            return .members(try await fillLastSeen(presences), typing: typing)
        case .occupancy(let occupancy):
            return .occupancy(occupancy)
        case nil:
            // The subscription ended meanwhile.
            return .members([], typing: [])
        }
    }

    func unwatch(conversation: ConversationID, subscription: Int) {
        state.withLock { $0.unwatch(conversation: conversation, subscription: subscription) }
    }

    func endSubscription(_ id: Int) {
        state.withLock { $0.removeSubscription(id) }
    }
}
