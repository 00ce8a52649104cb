import MessagingCore
import Synchronization

/// A ``PresenceStore`` in this process's memory: the default for a single node, and the
/// reference the shared adapters' contract tests compare against.
///
/// Expiry is by node lease: ``removeExpired(at:limit:)`` looks at the leases (one per
/// node), never at every device.
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks.
public final class InMemoryPresenceStore: PresenceStore {
    private struct Stored {
        var nodeID: PresenceNodeID
        var activity: DeviceActivity
        var connectedAt: Timestamp
    }

    private struct State {
        var devices: [DeviceKey: Stored] = [:]
        var byUser: [UserID: Set<DeviceID>] = [:]
        var byNode: [PresenceNodeID: Set<DeviceKey>] = [:]
        var leases: [PresenceNodeID: Timestamp] = [:]
        var records: [UserID: PresenceRecord] = [:]

        mutating func removeDevice(_ key: DeviceKey) -> Stored? {
            guard let stored = devices.removeValue(forKey: key) else { return nil }
            byUser[key.userID]?.remove(key.deviceID)
            if byUser[key.userID]?.isEmpty == true { byUser[key.userID] = nil }
            byNode[stored.nodeID]?.remove(key)
            return stored
        }

        func entry(_ key: DeviceKey, _ stored: Stored) -> DeviceEntry {
            DeviceEntry(
                key: key, nodeID: stored.nodeID, activity: stored.activity, connectedAt: stored.connectedAt,
                expiresAt: leases[stored.nodeID] ?? stored.connectedAt)
        }
    }

    private let state = Mutex(State())

    /// Makes an empty store.
    public init() {}

    public func save(_ entries: [DeviceEntry]) async throws {
        state.withLock { state in
            for entry in entries {
                _ = state.removeDevice(entry.key)
                state.devices[entry.key] = Stored(nodeID: entry.nodeID, activity: entry.activity, connectedAt: entry.connectedAt)
                state.byUser[entry.key.userID, default: []].insert(entry.key.deviceID)
                state.byNode[entry.nodeID, default: []].insert(entry.key)
                state.leases[entry.nodeID] = max(state.leases[entry.nodeID] ?? entry.expiresAt, entry.expiresAt)
            }
        }
    }

    public func remove(_ devices: [DeviceKey]) async throws {
        state.withLock { state in
            for key in devices { _ = state.removeDevice(key) }
        }
    }

    public func renewLease(of node: PresenceNodeID, until expiry: Timestamp) async throws {
        state.withLock { state in
            state.leases[node] = max(state.leases[node] ?? expiry, expiry)
        }
    }

    public func devices(of users: [UserID], at now: Timestamp) async throws -> [DeviceEntry] {
        state.withLock { state in
            var result: [DeviceEntry] = []
            for user in users {
                for device in state.byUser[user] ?? [] {
                    let key = DeviceKey(userID: user, deviceID: device)
                    guard let stored = state.devices[key], let lease = state.leases[stored.nodeID], lease > now else { continue }
                    result.append(state.entry(key, stored))
                }
            }
            return result
        }
    }

    public func removeExpired(at now: Timestamp, limit: Int) async throws -> [DeviceEntry] {
        state.withLock { state in
            var removed: [DeviceEntry] = []
            let expiredNodes = state.leases.filter { $0.value <= now }.map(\.key)
            for node in expiredNodes {
                for key in state.byNode[node] ?? [] {
                    guard removed.count < limit else { return removed }
                    if let stored = state.devices[key] {
                        removed.append(state.entry(key, stored))
                        _ = state.removeDevice(key)
                    }
                }
                // Every entry of the node is gone: forget the node and its lease.
                state.byNode[node] = nil
                state.leases[node] = nil
            }
            return removed
        }
    }

    public func save(_ records: [PresenceRecord]) async throws {
        state.withLock { state in
            for record in records {
                var merged = record
                if let previous = state.records[record.userID]?.lastSeen {
                    merged.lastSeen = max(previous, record.lastSeen ?? previous)
                }
                state.records[record.userID] = merged
            }
        }
    }

    public func records(of users: [UserID]) async throws -> [UserID: PresenceRecord] {
        state.withLock { state in
            var result: [UserID: PresenceRecord] = [:]
            for user in users {
                if let record = state.records[user] { result[user] = record }
            }
            return result
        }
    }
}
