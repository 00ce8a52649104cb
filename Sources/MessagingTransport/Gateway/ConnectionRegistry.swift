import MessagingCore
import MessagingDelivery
import Synchronization

/// The gateway's open, authenticated connections by user and session, and the recently
/// revoked sessions.
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks.
final class ConnectionRegistry<Instant: InstantProtocol>: Sendable {
    typealias Closer = @Sendable (TransportClose) async -> Void

    struct Entry: Sendable {
        let userID: UserID
        let sessionID: SessionID
        let session: OutboundSession
        let close: Closer
    }

    enum Admission: Sendable {
        case admitted
        case revoked
        case tooMany
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var byUser: [UserID: Set<UInt64>] = [:]
        var revoked: [SessionID: Instant] = [:]
    }

    private let state = Mutex(State())

    /// Registers a connection unless its session was revoked or its user is at the cap.
    func admit(_ id: UInt64, _ entry: Entry, maxPerUser: Int) -> Admission {
        state.withLock { state in
            if state.revoked[entry.sessionID] != nil { return .revoked }
            if state.byUser[entry.userID, default: []].count >= maxPerUser { return .tooMany }
            state.entries[id] = entry
            state.byUser[entry.userID, default: []].insert(id)
            return .admitted
        }
    }

    func remove(_ id: UInt64) {
        state.withLock { state in
            guard let entry = state.entries.removeValue(forKey: id) else { return }
            state.byUser[entry.userID]?.remove(id)
            if state.byUser[entry.userID]?.isEmpty == true { state.byUser[entry.userID] = nil }
        }
    }

    /// Records a revocation and returns the closers of the session's connections.
    func revoke(_ session: SessionID, at now: Instant) -> [Closer] {
        state.withLock { state in
            state.revoked[session] = now
            return state.entries.values.filter { $0.sessionID == session }.map(\.close)
        }
    }

    /// The outbound queues of the connections of `user`, or of every connection.
    func sessions(of user: UserID? = nil) -> [OutboundSession] {
        state.withLock { state in
            guard let user else { return state.entries.values.map(\.session) }
            return (state.byUser[user] ?? []).compactMap { state.entries[$0]?.session }
        }
    }

    func isRevoked(_ session: SessionID) -> Bool {
        state.withLock { $0.revoked[session] != nil }
    }

    /// Forgets revocations recorded before `cutoff`.
    func forgetRevocations(before cutoff: Instant) {
        state.withLock { state in state.revoked = state.revoked.filter { $0.value >= cutoff } }
    }

    func all() -> [Closer] { state.withLock { $0.entries.values.map(\.close) } }

    var count: Int { state.withLock { $0.entries.count } }

    func count(of user: UserID) -> Int { state.withLock { $0.byUser[user]?.count ?? 0 } }
}
