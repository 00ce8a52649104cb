import MessagingCore

extension PresenceTracker {
    // MARK: Other nodes of a shared store

    /// Re-reads from the store what other nodes hold for `users` (every user watched here
    /// when `nil`) and pushes the changes to this node's watchers: a user who comes online
    /// on another node, goes away there, changes status or leaves it.
    ///
    /// With several nodes on one shared ``PresenceStore``, call it whenever the store says
    /// other nodes changed these users' entries or records (the PostgreSQL adapter announces
    /// them: `PostgresPresenceFeed`), and with `nil` after any gap in those announcements.
    /// Users nobody watches here are skipped, and their remembered state is dropped. On a
    /// single node there is nothing to call. Best effort: a failing read is logged, and the
    /// next call reads again.
    public func refreshRemote(_ users: [UserID]? = nil) async {
        let wanted: [UserID] = state.withLock { state in
            state.pruneRemote()
            guard let users else { return state.watchedUsers }
            var seen: Set<UserID> = []
            return users.filter { state.isWatched($0) && seen.insert($0).inserted }
        }
        var start = 0
        while start < wanted.count {
            let chunk = Array(wanted[start..<min(start + 1_000, wanted.count)])
            start += chunk.count
            do {
                var active: [UserID: Bool] = [:]
                for entry in try await store.devices(of: chunk, at: wallClock.now()) where entry.nodeID != configuration.nodeID {
                    active[entry.key.userID] = (active[entry.key.userID] ?? false) || entry.activity == .active
                }
                let records = try await store.records(of: chunk)
                state.withLock { state in
                    for user in chunk {
                        let other = active[user].map { RemotePresence(isActive: $0, statusText: records[user]?.statusText) }
                        state.applyRemote(user, other, lastSeen: records[user]?.lastSeen)
                    }
                }
            } catch {
                logger.warning("could not read other nodes' presence; it is read again at the next change", metadata: ["error": "\(error)"])
            }
        }
    }
}
