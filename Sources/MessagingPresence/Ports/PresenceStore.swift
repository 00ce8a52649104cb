import MessagingCore

/// Where presence lives beyond one node's memory: the devices online on each node, with
/// expiry, and each user's last-seen time and status text.
///
/// A ``PresenceTracker`` writes to its store *behind* the hot path: never per heartbeat,
/// only when a device comes or goes or changes its activity, when a status text changes,
/// and when a user goes offline — batched once per expiry step. Liveness is a lease per
/// node, renewed every ``PresenceConfiguration/leaseRenewalInterval``: a device entry
/// expires when the lease of the node that saved it expires, so a crashed node's devices
/// disappear without any per-device write.
///
/// ``InMemoryPresenceStore`` is the single-process implementation. A shared implementation
/// for several nodes (PostgreSQL) fits the same shape: a `presence_nodes (node_id,
/// expires_at)` table with an index on `expires_at`, a `presence_devices` table keyed by
/// `(user_id, device_id)` with `node_id`, and a `presence_records` table keyed by
/// `user_id`; ``removeExpired(at:limit:)`` is then `DELETE … WHERE node_id IN (expired
/// nodes) … LIMIT … RETURNING`, an index range scan.
///
/// Implementers: every method must be safe to call from any task, must be atomic on its
/// own (a batch is applied entirely or not at all), and must throw on failure (any error;
/// the tracker logs it and retries the same batch at its next step). Never scan every entry
/// to answer a call; expiry is driven by the lease index.
public protocol PresenceStore: Sendable {
    /// Inserts or replaces device entries. Each entry's node gets a lease until at least
    /// the entry's `expiresAt`.
    func save(_ entries: [DeviceEntry]) async throws

    /// Removes device entries; keys without an entry are ignored.
    func remove(_ devices: [DeviceKey]) async throws

    /// Extends the lease of `node`, and with it the expiry of every entry it saved, to
    /// `expiry` (never shortens it). One write per call, however many entries the node has.
    func renewLease(of node: PresenceNodeID, until expiry: Timestamp) async throws

    /// The entries of `users` that have not expired at `now`, with their current expiry.
    func devices(of users: [UserID], at now: Timestamp) async throws -> [DeviceEntry]

    /// Removes and returns up to `limit` entries whose node's lease ended at or before `now`
    /// (the devices of crashed nodes).
    func removeExpired(at now: Timestamp, limit: Int) async throws -> [DeviceEntry]

    /// Saves user records: the status text is replaced, `lastSeen` only moves forward (a
    /// `nil` or earlier `lastSeen` keeps the stored one).
    func save(_ records: [PresenceRecord]) async throws

    /// The saved records of `users`; users without one are absent from the result.
    func records(of users: [UserID]) async throws -> [UserID: PresenceRecord]

    /// Writes one tracker step's changes: device entries saved, devices removed, records
    /// saved. A store shared by several nodes applies them in one transaction, so another
    /// node never reads half a step (a device gone but its user's last-seen not yet saved).
    /// The default saves the entries, removes the devices and saves the records, in three
    /// calls.
    func write(saves: [DeviceEntry], removals: [DeviceKey], records: [PresenceRecord]) async throws
}

extension PresenceStore {
    public func write(saves: [DeviceEntry], removals: [DeviceKey], records: [PresenceRecord]) async throws {
        if !saves.isEmpty { try await save(saves) }
        if !removals.isEmpty { try await remove(removals) }
        if !records.isEmpty { try await save(records) }
    }
}
