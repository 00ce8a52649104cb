import MessagingCore

/// Other nodes' devices of one user, merged: online when any is active, else away, with
/// the user's stored status text.
///
/// Thread safety: a value type; safe to share across tasks.
struct RemotePresence: Hashable, Sendable {
    var isActive: Bool
    var statusText: StatusText?
}

extension TrackerState {
    // MARK: Other nodes

    /// Whether anyone here watches `user`, directly or through a conversation.
    func isWatched(_ user: UserID) -> Bool { directWatchers[user] != nil || roomsOfUser[user] != nil }

    /// Every user watched here (whose other-node presence matters).
    var watchedUsers: [UserID] { Array(Set(directWatchers.keys).union(roomsOfUser.keys)) }

    /// Records what other nodes hold for `user` (`nil`: no device there) and tells its
    /// watchers when the presence they see changes. A user watched by nobody here is not
    /// remembered. `lastSeen` is what an offline user is shown with.
    mutating func applyRemote(_ user: UserID, _ other: RemotePresence?, lastSeen: Timestamp?) {
        guard isWatched(user) else {
            remote[user] = nil
            return
        }
        guard remote[user] != other else { return }
        let wasOnline = isOnline(user)
        let before = presence(of: user)
        remote[user] = other
        let after = presence(of: user)
        guard after != before else { return }
        publish(user, wasOnline: wasOnline, presence: after.state == .offline ? .offline(user, lastSeen: lastSeen) : after)
    }

    /// Forgets other-node presence of users nobody here watches any more.
    mutating func pruneRemote() {
        for user in Array(remote.keys) where !isWatched(user) { remote[user] = nil }
    }
}
