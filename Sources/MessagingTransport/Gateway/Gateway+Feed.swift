import MessagingCore
import MessagingDelivery
import MessagingWire

extension Gateway {
    /// Entries of a user's feed read per delivery (one store read, then one write each).
    static var feedPageSize: Int { 100 }

    /// Makes `follower` the connection's follower of its user's feed (`nil`: none), and stops
    /// the one it replaces.
    func followFeed(_ follower: FeedFollower?, _ context: ConnectionContext<C.Instant>) {
        let previous = context.state.withLock { state -> FeedFollower? in
            let previous = state.feed
            state.feed = follower
            return previous
        }
        if let previous {
            previous.stop()
            hub.feeds.remove(previous)
        }
        if let follower { hub.feeds.add(follower) }
    }

    /// Writes the entries of `user`'s feed after `after` as `feed` frames (one page) and
    /// returns the `seq` written through; `nil` once the connection is closed (the follower
    /// stops). A failed read leaves the cursor where it was: the next signal retries.
    func deliverFeed<Connection: TransportConnection>(
        of user: UserID, after: Int64, on connection: Connection
    ) async -> Int64? {
        guard connection.closeStatus == nil else { return nil }
        let page: UserFeedPage
        do {
            page = try await messaging.feed.events(for: user, after: after, limit: Self.feedPageSize)
        } catch {
            logger.warning("could not read a user's feed; the next change retries", metadata: ["error": "\(Self.code(of: error))"])
            return after
        }
        var cursor = after
        for entry in page.events {
            do {
                try await connection.write(ServerFrame.feed(entry).transportFrame)
            } catch {
                return nil
            }
            cursor = entry.seq
        }
        return cursor
    }
}
