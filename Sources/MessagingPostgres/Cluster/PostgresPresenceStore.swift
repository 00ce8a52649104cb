import MessagingCore
import MessagingPresence

/// The `MessagingPresence.PresenceStore` of several nodes on one PostgreSQL database: a
/// user online on any node is seen online from every node, and a dead node's devices
/// expire with its lease.
///
/// Tables (migration `pg-v2-cluster`): `presence_nodes (node_id, expires_at)` with an index
/// on `expires_at`, `presence_devices` keyed by `(user_id, device_id)` with `node_id`, and
/// `presence_records` keyed by `user_id`. A device entry lives as long as its node's lease;
/// renewing a lease is one row update however many devices the node holds, and
/// ``removeExpired(at:limit:)`` walks the expired leases, never every device. Each method is
/// one transaction on the connections of the ``PostgresMessagingStore`` it is made from.
///
/// Thread safety: safe to share across tasks and processes.
///
/// Every write also announces the users it changed on ``PostgresChannels/presence``, in its
/// transaction, so ``PostgresPresenceFeed`` on the other nodes pushes the change to their
/// watchers (`PresenceTracker.refreshRemote(_:)`).
public struct PostgresPresenceStore: PresenceStore {
    private let store: PostgresMessagingStore
    private let node: PresenceNodeID?

    /// A presence store over the database of `store`. `node` is the tracker's node id: its
    /// own announcements are then skipped by its feed (its state is current already).
    public init(_ store: PostgresMessagingStore, node: PresenceNodeID? = nil) {
        self.store = store
        self.node = node
    }

    private var channels: PostgresChannels { store.configuration.channels }

    public func save(_ entries: [DeviceEntry]) async throws {
        try await write(saves: entries, removals: [], records: [])
    }

    public func remove(_ devices: [DeviceKey]) async throws {
        try await write(saves: [], removals: devices, records: [])
    }

    /// One transaction for the whole step, announced once.
    public func write(saves entries: [DeviceEntry], removals devices: [DeviceKey], records: [PresenceRecord]) async throws {
        guard !entries.isEmpty || !devices.isEmpty || !records.isEmpty else { return }
        try await store.transaction(readOnly: false) { transaction in
            try Self.save(entries, in: transaction)
            try Self.remove(devices, in: transaction)
            try Self.save(records, in: transaction)
            let users = entries.map(\.key.userID) + devices.map(\.userID) + records.map(\.userID)
            try transaction.announcePresence(of: users, by: node, on: channels)
        }
    }

    private static func save(_ entries: [DeviceEntry], in transaction: PostgresTransaction) throws {
        guard !entries.isEmpty else { return }
        var leases: [PresenceNodeID: Timestamp] = [:]
        for entry in entries {
            try transaction.execute(
                """
                INSERT INTO presence_devices (user_id, device_id, node_id, activity, connected_at)
                VALUES (\(PostgresCoding.uuid(entry.key.userID)), \(PostgresCoding.uuid(entry.key.deviceID)),
                    \(entry.nodeID.rawValue), \(entry.activity.rawValue), \(entry.connectedAt.millisecondsSince1970))
                ON CONFLICT (user_id, device_id) DO UPDATE SET node_id = excluded.node_id,
                    activity = excluded.activity, connected_at = excluded.connected_at
                """, "saving a presence device")
            leases[entry.nodeID] = max(leases[entry.nodeID] ?? entry.expiresAt, entry.expiresAt)
        }
        for (node, expiry) in leases.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            try transaction.extendLease(of: node, until: expiry)
        }
    }

    private static func remove(_ devices: [DeviceKey], in transaction: PostgresTransaction) throws {
        guard !devices.isEmpty else { return }
        try transaction.execute(
            """
            DELETE FROM presence_devices d
            USING unnest(\(devices.map { PostgresCoding.uuid($0.userID) }), \(devices.map { PostgresCoding.uuid($0.deviceID) }))
                AS k(user_id, device_id)
            WHERE d.user_id = k.user_id AND d.device_id = k.device_id
            """, "removing presence devices")
    }

    public func renewLease(of node: PresenceNodeID, until expiry: Timestamp) async throws {
        try await store.transaction(readOnly: false) { try $0.extendLease(of: node, until: expiry) }
    }

    public func devices(of users: [UserID], at now: Timestamp) async throws -> [DeviceEntry] {
        guard !users.isEmpty else { return [] }
        return try await store.transaction(readOnly: true) { transaction in
            try transaction.fetchAll(
                """
                SELECT d.user_id, d.device_id, d.node_id, d.activity, d.connected_at, n.expires_at
                FROM presence_devices d JOIN presence_nodes n ON n.node_id = d.node_id
                WHERE d.user_id = ANY(\(PostgresCoding.uuids(users))) AND n.expires_at > \(now.millisecondsSince1970)
                ORDER BY d.user_id, d.device_id
                """, "reading presence devices", Self.entry)
        }.value
    }

    public func removeExpired(at now: Timestamp, limit: Int) async throws -> [DeviceEntry] {
        let limit = max(0, min(limit, 100_000))
        guard limit > 0 else { return [] }
        let time = now.millisecondsSince1970
        return try await store.transaction(readOnly: false) { transaction in
            let removed = try transaction.fetchAll(
                """
                DELETE FROM presence_devices d USING presence_nodes n
                WHERE n.node_id = d.node_id AND n.expires_at <= \(time)
                  AND (d.user_id, d.device_id) IN (
                      SELECT d2.user_id, d2.device_id FROM presence_nodes n2
                      JOIN presence_devices d2 ON d2.node_id = n2.node_id
                      WHERE n2.expires_at <= \(time) LIMIT \(limit))
                RETURNING d.user_id, d.device_id, d.node_id, d.activity, d.connected_at, n.expires_at
                """, "removing expired presence devices", Self.entry)
            if removed.count < limit {
                // Every entry of the expired nodes is gone: forget their leases.
                try transaction.execute(
                    """
                    DELETE FROM presence_nodes n WHERE n.expires_at <= \(time)
                      AND NOT EXISTS (SELECT 1 FROM presence_devices d WHERE d.node_id = n.node_id)
                    """, "removing expired presence leases")
            }
            try transaction.announcePresence(of: removed.map(\.key.userID), by: node, on: channels)
            return removed
        }.value
    }

    public func save(_ records: [PresenceRecord]) async throws {
        try await write(saves: [], removals: [], records: records)
    }

    private static func save(_ records: [PresenceRecord], in transaction: PostgresTransaction) throws {
        for record in records {
            // greatest() ignores NULL: lastSeen only moves forward, and nil keeps the stored one.
            try transaction.execute(
                """
                INSERT INTO presence_records (user_id, last_seen, status_text)
                VALUES (\(PostgresCoding.uuid(record.userID)), \(record.lastSeen?.millisecondsSince1970), \(record.statusText?.rawValue))
                ON CONFLICT (user_id) DO UPDATE SET status_text = excluded.status_text,
                    last_seen = greatest(presence_records.last_seen, excluded.last_seen)
                """, "saving a presence record")
        }
    }

    public func records(of users: [UserID]) async throws -> [UserID: PresenceRecord] {
        guard !users.isEmpty else { return [:] }
        let rows = try await store.transaction(readOnly: true) { transaction in
            try transaction.fetchAll(
                """
                SELECT user_id, last_seen, status_text FROM presence_records
                WHERE user_id = ANY(\(PostgresCoding.uuids(users)))
                """, "reading presence records"
            ) { row -> PresenceRecord in
                let text = try row.optionalString(2)
                return PresenceRecord(
                    userID: try row.id(0), lastSeen: try row.optionalTimestamp(1),
                    statusText: try text.map { text in
                        do { return try StatusText(text) } catch { throw PostgresCoding.corrupt("a status text is not valid") }
                    })
            }
        }.value
        return Dictionary(rows.map { ($0.userID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    private static func entry(_ row: Cells) throws -> DeviceEntry {
        guard let activity = DeviceActivity(rawValue: try row.string(3)) else { throw PostgresCoding.corrupt("unknown device activity") }
        return DeviceEntry(
            key: DeviceKey(userID: try row.id(0), deviceID: try row.id(1)), nodeID: PresenceNodeID(try row.string(2)),
            activity: activity, connectedAt: try row.timestamp(4), expiresAt: try row.timestamp(5))
    }
}

extension PostgresTransaction {
    /// Extends a node's lease to `expiry`, never shortening it.
    func extendLease(of node: PresenceNodeID, until expiry: Timestamp) throws {
        try execute(
            """
            INSERT INTO presence_nodes (node_id, expires_at) VALUES (\(node.rawValue), \(expiry.millisecondsSince1970))
            ON CONFLICT (node_id) DO UPDATE SET expires_at = greatest(presence_nodes.expires_at, excluded.expires_at)
            """, "renewing a presence lease")
    }
}
