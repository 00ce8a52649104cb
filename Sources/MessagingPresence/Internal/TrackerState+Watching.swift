import MessagingCore

/// A conversation someone watches: its members (as the membership source reported them,
/// kept current by ``PresenceTracker/membershipChanged(of:in:isMember:)``), how many of
/// them are online, and who watches.
struct Room {
    var members: Set<UserID>
    var onlineCount: Int
    var watchers: Set<Int> = []

    func isOccupancy(threshold: Int) -> Bool { members.count > threshold }

    func occupancy(_ id: ConversationID) -> ConversationOccupancy {
        ConversationOccupancy(conversationID: id, onlineCount: onlineCount, memberCount: members.count)
    }
}

/// One subscription: who observes, where its changes go, what it watches.
struct SubscriptionRecord {
    let observer: UserID
    let sink: ChangeSink
    var users: Set<UserID> = []
    var conversations: Set<ConversationID> = []
}

extension TrackerState {
    // MARK: Subscriptions

    mutating func addSubscription(observer: UserID, sink: ChangeSink) -> Int {
        nextSubscriptionID += 1
        let id = nextSubscriptionID
        if isShutDown {
            sink.finish()
            return id
        }
        subscriptions[id] = SubscriptionRecord(observer: observer, sink: sink)
        subscriptionsOfObserver[observer, default: []].insert(id)
        return id
    }

    mutating func removeSubscription(_ id: Int) {
        guard let subscription = subscriptions[id] else { return }
        unwatch(users: Array(subscription.users), subscription: id)
        for conversation in subscription.conversations { unwatch(conversation: conversation, subscription: id) }
        subscriptions[id] = nil
        subscriptionsOfObserver[subscription.observer]?.remove(id)
        if subscriptionsOfObserver[subscription.observer]?.isEmpty == true { subscriptionsOfObserver[subscription.observer] = nil }
        subscription.sink.finish()
    }

    // MARK: Users

    /// Watches users already checked as visible to the observer; returns their presence
    /// (offline ones without last seen, which the tracker fills in).
    mutating func watch(users visible: [UserID], subscription id: Int) throws(PresenceError) -> [UserPresence] {
        guard var subscription = subscriptions[id] else { return [] }
        let added = Set(visible).subtracting(subscription.users)
        guard subscription.users.count + added.count <= settings.maximumWatchedUsers else {
            throw .limitExceeded(
                "A subscription may watch at most \(settings.maximumWatchedUsers) users directly; unwatch some, or watch their conversations instead.")
        }
        subscription.users.formUnion(added)
        subscriptions[id] = subscription
        for user in added { directWatchers[user, default: []].insert(id) }
        return visible.map { presence(of: $0) }
    }

    mutating func unwatch(users: [UserID], subscription id: Int) {
        for user in users {
            guard subscriptions[id]?.users.remove(user) != nil else { continue }
            directWatchers[user]?.remove(id)
            if directWatchers[user]?.isEmpty == true { directWatchers[user] = nil }
        }
    }

    /// Ends direct watches whose visibility the membership source no longer confirms.
    mutating func hide(_ pairs: [(subscription: Int, user: UserID)]) {
        for (id, user) in pairs {
            guard let subscription = subscriptions[id], subscription.users.contains(user) else { continue }
            unwatch(users: [user], subscription: id)
            subscription.sink.enqueue(.hidden(user), for: .user(user))
        }
    }

    // MARK: Conversations

    /// Adds a watcher to an active conversation and returns its current state; `nil` when
    /// the conversation is not active yet (the tracker then loads its members).
    mutating func watch(conversation: ConversationID, subscription id: Int) -> ConversationPresence? {
        guard subscriptions[id] != nil, rooms[conversation] != nil else { return nil }
        rooms[conversation]!.watchers.insert(id)
        subscriptions[id]!.conversations.insert(conversation)
        return snapshot(of: conversation)
    }

    /// Activates a conversation with the members the membership source returned.
    mutating func activate(_ conversation: ConversationID, members: [UserID]) {
        guard rooms[conversation] == nil else { return }
        let memberSet = Set(members)
        var online = 0
        for member in memberSet {
            roomsOfUser[member, default: []].append(conversation)
            if isOnline(member) { online += 1 }
        }
        rooms[conversation] = Room(members: memberSet, onlineCount: online)
    }

    mutating func unwatch(conversation: ConversationID, subscription id: Int) {
        subscriptions[id]?.conversations.remove(conversation)
        guard rooms[conversation]?.watchers.remove(id) != nil else { return }
        if rooms[conversation]?.watchers.isEmpty == true { deactivate(conversation) }
    }

    /// Forgets a conversation nobody watches any more: O(members), once.
    private mutating func deactivate(_ conversation: ConversationID) {
        guard let room = rooms.removeValue(forKey: conversation) else { return }
        for member in room.members { forgetRoom(conversation, of: member) }
    }

    private mutating func forgetRoom(_ conversation: ConversationID, of member: UserID) {
        guard var list = roomsOfUser[member], let index = list.firstIndex(of: conversation) else { return }
        list.remove(at: index)
        roomsOfUser[member] = list.isEmpty ? nil : list
    }

    func snapshot(of conversation: ConversationID) -> ConversationPresence? {
        guard let room = rooms[conversation] else { return nil }
        if room.isOccupancy(threshold: settings.largeRoomThreshold) { return .occupancy(room.occupancy(conversation)) }
        let typers = (typingInConversation[conversation] ?? []).intersection(room.members)
        return .members(room.members.sorted().map { presence(of: $0) }, typing: typers)
    }

    // MARK: Membership changes

    /// Applies a membership change to an active conversation and returns the direct
    /// watches whose visibility must be checked again (after a removal).
    mutating func membershipChanged(of user: UserID, in conversation: ConversationID, isMember: Bool)
        -> [(subscription: Int, observer: UserID, user: UserID)]
    {
        if let index = rooms.index(forKey: conversation) {
            let threshold = settings.largeRoomThreshold
            let wasOccupancy = rooms.values[index].isOccupancy(threshold: threshold)
            let online = isOnline(user)
            if isMember, rooms.values[index].members.insert(user).inserted {
                roomsOfUser[user, default: []].append(conversation)
                if online { rooms.values[index].onlineCount += 1 }
                applyModeAndCount(conversation, wasOccupancy: wasOccupancy, changed: user)
            } else if !isMember, rooms.values[index].members.remove(user) != nil {
                forgetRoom(conversation, of: user)
                if online { rooms.values[index].onlineCount -= 1 }
                stopTyping(TypingKey(userID: user, conversationID: conversation))
                // The user's own watches of the conversation end.
                for id in rooms.values[index].watchers where subscriptions[id]?.observer == user {
                    unwatch(conversation: conversation, subscription: id)
                    subscriptions[id]?.sink.enqueue(.conversationClosed(conversation), for: .conversation(conversation))
                }
                if rooms[conversation] != nil { applyModeAndCount(conversation, wasOccupancy: wasOccupancy, changed: nil) }
            }
        } else if !isMember {
            // Not active here, but typing state may exist.
            stopTyping(TypingKey(userID: user, conversationID: conversation))
        }
        guard !isMember else { return [] }
        var pairs: [(subscription: Int, observer: UserID, user: UserID)] = []
        for id in subscriptionsOfObserver[user] ?? [] {
            for target in subscriptions[id]?.users ?? [] where target != user { pairs.append((id, user, target)) }
        }
        for id in directWatchers[user] ?? [] {
            guard let observer = subscriptions[id]?.observer, observer != user else { continue }
            pairs.append((id, observer, user))
        }
        return pairs
    }

    /// Tells watchers about a changed member set: a new occupancy, a switch of mode, or
    /// the presence of a member who joined.
    private mutating func applyModeAndCount(_ conversation: ConversationID, wasOccupancy: Bool, changed user: UserID?) {
        guard let room = rooms[conversation] else { return }
        let isOccupancy = room.isOccupancy(threshold: settings.largeRoomThreshold)
        if isOccupancy {
            deliver(.occupancy(room.occupancy(conversation)), key: .conversation(conversation), to: room.watchers)
        } else if wasOccupancy {
            // Back to per-member presence: every member who is online; the rest are offline.
            for member in room.members where isOnline(member) {
                deliver(.presence(presence(of: member)), key: .user(member), to: room.watchers)
            }
            for member in typingInConversation[conversation] ?? [] where room.members.contains(member) {
                deliver(
                    .typing(TypingChange(conversationID: conversation, userID: member, isTyping: true)),
                    key: .typing(conversation, member), to: room.watchers, except: member)
            }
        } else if let user {
            deliver(.presence(presence(of: user)), key: .user(user), to: room.watchers)
        }
    }

    // MARK: Shutdown

    mutating func shutDown() {
        isShutDown = true
        for id in Array(subscriptions.keys) { removeSubscription(id) }
    }
}
