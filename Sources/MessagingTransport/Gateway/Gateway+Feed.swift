import Logging
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

// MARK: - Read receipts

extension Gateway {
    /// Tells the sessions subscribed to each receipt's conversation (through the event bus:
    /// on every node of a cluster; the reader's own other devices included) that a member's read position moved, with a
    /// `receipt` frame; nothing for members who hide read receipts. The gateway's `read`
    /// frames come here through the coalescer (at most one per member and conversation per
    /// window); a host that writes read positions itself (an HTTP route) calls it after its
    /// write.
    public func announce(_ receipts: [ReadReceipt]) async {
        await Self.broadcast(receipts, messaging: messaging, bus: bus, logger: logger)
    }

    static func broadcast(_ receipts: [ReadReceipt], messaging: Messaging, bus: any EventBus, logger: Logger) async {
        guard !receipts.isEmpty else { return }
        let hidden: Set<UserID>
        do {
            hidden = try await messaging.users.hidingReadReceipts(among: Array(Set(receipts.map(\.userID))))
        } catch {
            // Without the settings nothing is shown: a hidden position must never leak.
            logger.warning("could not read read-receipt settings; no receipts sent", metadata: ["error": "\(code(of: error))"])
            return
        }
        for receipt in receipts where !hidden.contains(receipt.userID) {
            let frame = ServerFrame.receipt(conversationID: receipt.conversationID, userID: receipt.userID, readSeq: receipt.readSeq)
            do {
                try await bus.publishEphemeral(EncodedEvent(ephemeralIn: receipt.conversationID, bytes: frame.encoded()))
            } catch {
                logger.debug("could not publish a read receipt", metadata: ["error": "\(code(of: error))"])
            }
        }
    }
}
