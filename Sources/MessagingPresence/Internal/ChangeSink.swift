import MessagingCore
import Synchronization

/// One subscription's pending changes, coalesced by key: a later change for the same user,
/// typing user or conversation replaces the earlier one, and the batch keeps the order in
/// which keys first appeared. The consumer takes the whole batch at once, so a slow
/// consumer gets fewer, newer changes instead of a growing backlog.
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks. The tracker enqueues
/// while holding its own lock (tracker lock, then sink lock; never the reverse).
final class ChangeSink: Sendable {
    enum Key: Hashable {
        case user(UserID)
        case typing(ConversationID, UserID)
        case conversation(ConversationID)
    }

    private struct State {
        var pending: [Key: PresenceChange] = [:]
        var order: [Key] = []
        var finished = false
        /// Called instead of waiting on ``wakeups`` (``PresenceSubscription/onChanges(_:)``),
        /// and whether it was called since the last ``take()``.
        var waker: (@Sendable () -> Void)?
        var wakePending = false

        mutating func takeWake() -> (@Sendable () -> Void)? {
            guard let waker, !wakePending, !order.isEmpty else { return nil }
            wakePending = true
            return waker
        }
    }

    private let state = Mutex(State())
    private let signal: AsyncStream<Void>.Continuation
    /// Wakes the consumer; holds at most one signal.
    let wakeups: AsyncStream<Void>

    init() {
        (wakeups, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func enqueue(_ change: PresenceChange, for key: Key) {
        let (accepted, wake) = state.withLock { state -> (Bool, (@Sendable () -> Void)?) in
            guard !state.finished else { return (false, nil) }
            if state.pending.updateValue(change, forKey: key) == nil { state.order.append(key) }
            return (true, state.takeWake())
        }
        if let wake {
            wake()
        } else if accepted {
            signal.yield()
        }
    }

    /// Calls `waker` whenever changes become pending (once until the next ``take()``).
    func setWaker(_ waker: @escaping @Sendable () -> Void) {
        let wake = state.withLock { state -> (@Sendable () -> Void)? in
            guard !state.finished else { return nil }
            state.waker = waker
            return state.takeWake()
        }
        wake?()
    }

    /// Removes and returns the pending batch (empty when none).
    func take() -> [PresenceChange] {
        state.withLock { state in
            state.wakePending = false
            guard !state.order.isEmpty else { return [] }
            let batch = state.order.compactMap { state.pending[$0] }
            state.order.removeAll(keepingCapacity: true)
            state.pending.removeAll(keepingCapacity: true)
            return batch
        }
    }

    var isFinished: Bool { state.withLock { $0.finished } }

    /// Ends the subscription: nothing more is accepted; what is pending can still be taken.
    func finish() {
        state.withLock { state in
            state.finished = true
            state.waker = nil
        }
        signal.finish()
    }
}
