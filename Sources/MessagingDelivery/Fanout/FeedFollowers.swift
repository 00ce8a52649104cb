import MessagingCore
import Synchronization

/// The followers of users' feeds on this node (`MessagingCore.UserFeedEvent`), woken when
/// entries are appended.
///
/// Feed entries are rare (a conversation created, a member added or removed, a title
/// changed), so nothing is pushed through here but a signal: "`user`'s feed reached `seq`".
/// Each follower reads what it has not delivered from the store, in order, from its own
/// cursor (``FeedFollower``), so a signal that arrives twice, late or out of order changes
/// nothing, and a node that missed signals catches up with ``wakeAll()``.
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks.
public final class FeedFollowers: Sendable {
    private let followers = Mutex<[UserID: [FeedFollower]]>([:])

    /// An empty registry.
    public init() {}

    /// Starts waking `follower` for its user's entries.
    public func add(_ follower: FeedFollower) {
        followers.withLock { $0[follower.userID, default: []].append(follower) }
    }

    /// Stops waking `follower` (idempotent).
    public func remove(_ follower: FeedFollower) {
        followers.withLock { followers in
            followers[follower.userID]?.removeAll { $0 === follower }
            if followers[follower.userID]?.isEmpty == true { followers[follower.userID] = nil }
        }
    }

    /// Signals that `user`'s feed holds entries up to `seq`: each of the user's followers
    /// that has not delivered `seq` yet reads from its cursor. Never suspends.
    public func signal(_ user: UserID, upTo seq: Int64) {
        guard let list = followers.withLock({ $0[user] }) else { return }
        for follower in list { follower.wake(upTo: seq) }
    }

    /// Signals every entry of `entries` (a committed transaction's).
    public func signal(_ entries: [UserFeedEvent]) {
        var heads: [UserID: Int64] = [:]
        for entry in entries { heads[entry.userID] = max(heads[entry.userID] ?? 0, entry.seq) }
        for (user, seq) in heads { signal(user, upTo: seq) }
    }

    /// Wakes every follower to read from its cursor (after signals may have been lost:
    /// a multi-node bus that reconnected).
    public func wakeAll() {
        let all = followers.withLock { Array($0.values.joined()) }
        for follower in all { follower.wake(upTo: .max) }
    }

    /// How many followers are registered (for tests and metrics).
    public var count: Int { followers.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}

/// One follower of a user's feed: a cursor and a function that delivers the entries after it.
///
/// ``wake(upTo:)`` starts one catch-up task unless one is running (it then runs once more):
/// the task calls `deliver` with the cursor until a call finds nothing new, so entries are
/// delivered in `seq` order, each once, whatever the signals' order. `deliver` returns the
/// new cursor, or `nil` to stop for good (the connection closed).
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks.
public final class FeedFollower: Sendable {
    /// The user whose feed this follows.
    public let userID: UserID
    private let deliver: @Sendable (_ after: Int64) async -> Int64?

    private struct State {
        var cursor: Int64
        var running = false
        var again = false
        var stopped = false
    }

    private let state: Mutex<State>

    /// A follower of `user`'s feed that has delivered everything up to `cursor`.
    public init(user: UserID, cursor: Int64, deliver: @escaping @Sendable (_ after: Int64) async -> Int64?) {
        userID = user
        state = Mutex(State(cursor: cursor))
        self.deliver = deliver
    }

    /// The highest `seq` delivered.
    public var cursor: Int64 { state.withLock { $0.cursor } }

    /// Whether ``stop()`` was called or a delivery ended the follower.
    public var isStopped: Bool { state.withLock { $0.stopped } }

    /// Whether a catch-up task is delivering now.
    public var isDelivering: Bool { state.withLock { $0.running } }

    /// Delivers the entries after the cursor (up to at least `seq`), unless it already did.
    public func wake(upTo seq: Int64) {
        let start = state.withLock { state -> Bool in
            guard !state.stopped, seq > state.cursor else { return false }
            if state.running {
                state.again = true
                return false
            }
            state.running = true
            return true
        }
        guard start else { return }
        Task { await self.run() }
    }

    /// Stops delivering (a delivery in progress ends its page).
    public func stop() {
        state.withLock { $0.stopped = true }
    }

    private func run() async {
        while true {
            let after = state.withLock { state -> Int64? in
                state.again = false
                return state.stopped ? nil : state.cursor
            }
            guard let after else { return finish() }
            guard let reached = await deliver(after) else {
                state.withLock { $0.stopped = true }
                return finish()
            }
            let more = state.withLock { state -> Bool in
                if reached > state.cursor { state.cursor = reached }
                // Another page, or a signal that came while this one was read.
                if reached > after || state.again { return !state.stopped }
                state.running = false
                return false
            }
            if !more { return }
        }
    }

    private func finish() {
        state.withLock { $0.running = false }
    }
}
