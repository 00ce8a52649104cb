import MessagingCore
import MessagingPresence
import PostgresNIO

extension PostgresTransaction {
    /// Sends, inside this transaction and just before it commits, the notifications of what
    /// it recorded: its events (when `events` is set) on `channels.events`, its revocations
    /// on `channels.revocations`. PostgreSQL delivers them only if the transaction commits,
    /// in commit order; one statement per channel.
    func announce(on channels: PostgresChannels, events: Bool) throws {
        if events, !record.events.isEmpty {
            let payloads = record.events.map { event in
                // An event that cannot be encoded here is announced by reference; the listener
                // reads it from the store (and reports it if it cannot be read there either).
                (try? EventAnnouncement.payload(for: event)) ?? "r|\(event.conversationID)|\(event.seq)"
            }
            try notify(channels.events, payloads, "announcing events")
        }
        if events, !record.feed.isEmpty {
            try notify(channels.feed, FeedAnnouncement.payloads(for: record.feed), "announcing feed entries")
        }
        if !record.revocations.isEmpty {
            try notify(channels.revocations, record.revocations.map(RevocationAnnouncement.payload(for:)), "announcing revocations")
        }
    }

    /// Announces, inside this transaction, that presence entries or records of `users`
    /// changed, on `channels.presence`: payloads of up to 150 ids, `id,id,…|node`
    /// (``PresenceAnnouncement``).
    func announcePresence(of users: [UserID], by node: PresenceNodeID?, on channels: PostgresChannels) throws {
        let payloads = PresenceAnnouncement.payloads(for: users, node: node)
        guard !payloads.isEmpty else { return }
        try notify(channels.presence, payloads, "announcing presence changes")
    }

    func notify(_ channel: String, _ payloads: [String], _ what: String) throws {
        if payloads.count == 1 {
            try execute("SELECT pg_notify(\(channel), \(payloads[0]))", what)
        } else {
            try execute(
                """
                SELECT pg_notify(\(channel), p.payload) FROM unnest(\(payloads)::text[]) WITH ORDINALITY AS p(payload, n)
                ORDER BY p.n
                """, what)
        }
    }
}
