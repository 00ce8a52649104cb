import MessagingCore

/// One observer's view of presence: the users and conversations it watches, and the
/// changes to them, delivered as coalesced batches.
///
/// ```swift
/// let subscription = tracker.subscribe(as: me)
/// let now = try await subscription.watch(conversation: open)   // current state, once
/// for await changes in subscription {                           // then changes only
///     send(changes)
/// }
/// ```
///
/// Watching checks visibility: a user is watched only if it shares a conversation with the
/// observer, a conversation only if the observer is a member. A subscription ends when
/// ``cancel()`` is called, when it is released, or when the tracker shuts down; iteration
/// then finishes after the last pending batch.
///
/// Thread safety: safe to share across tasks; iterate it from one task only.
public final class PresenceSubscription: AsyncSequence, Sendable {
    /// A batch of changes, coalesced: at most one per user, typing user and conversation.
    public typealias Element = [PresenceChange]
    /// A subscription never throws; it finishes.
    public typealias Failure = Never

    /// The user who observes.
    public let observer: UserID
    let id: Int
    let sink: ChangeSink
    private let hub: any PresenceHub

    init(observer: UserID, id: Int, sink: ChangeSink, hub: any PresenceHub) {
        self.observer = observer
        self.id = id
        self.sink = sink
        self.hub = hub
    }

    deinit {
        hub.endSubscription(id)
    }

    /// Starts watching `users` and returns the current presence of those the observer may
    /// see; the others are left out and never reported. Changes to the watched users follow
    /// through the subscription.
    ///
    /// Throws ``PresenceError`` `unavailable` when membership cannot be checked, and
    /// `limitExceeded` past ``PresenceConfiguration/maximumWatchedUsers``.
    public func watch(users: [UserID]) async throws(PresenceError) -> [UserPresence] {
        try await hub.watch(users: users, subscription: id, observer: observer)
    }

    /// Stops watching `users` directly (they may still be watched through a conversation).
    public func unwatch(users: [UserID]) {
        hub.unwatch(users: users, subscription: id)
    }

    /// Starts watching a conversation the observer is a member of: its members' presence
    /// and typing, or its occupancy when it is a large room. Returns the current state;
    /// changes follow through the subscription.
    ///
    /// Throws ``PresenceError`` `notFound` when the observer is not a member (or the
    /// conversation does not exist), `unavailable` when membership cannot be checked.
    public func watch(conversation: ConversationID) async throws(PresenceError) -> ConversationPresence {
        try await hub.watch(conversation: conversation, subscription: id, observer: observer)
    }

    /// Stops watching a conversation.
    public func unwatch(conversation: ConversationID) {
        hub.unwatch(conversation: conversation, subscription: id)
    }

    /// Removes and returns the changes that have accumulated, without waiting (empty when
    /// none): for transports that write on their own schedule.
    public func takePendingChanges() -> [PresenceChange] {
        sink.take()
    }

    /// Calls `handler` (on the thread that produced the change; it must not block or call
    /// back into the tracker) whenever changes become pending, at most once until the next
    /// ``takePendingChanges()``: for transports that write from their own I/O thread
    /// instead of iterating, with no task per subscriber. Set it once, instead of iterating.
    public func onChanges(_ handler: @escaping @Sendable () -> Void) {
        sink.setWaker(handler)
    }

    /// Ends the subscription; iteration finishes after the last pending batch.
    public func cancel() {
        hub.endSubscription(id)
    }

    /// Iterates batches of changes.
    public func makeAsyncIterator() -> Iterator {
        Iterator(subscription: self, sink: sink, wakeups: sink.wakeups.makeAsyncIterator())
    }

    /// Waits for the next batch of changes.
    ///
    /// Thread safety: use from one task.
    public struct Iterator: AsyncIteratorProtocol {
        /// Keeps the subscription (and so its watches) alive while it is iterated.
        let subscription: PresenceSubscription
        let sink: ChangeSink
        var wakeups: AsyncStream<Void>.Iterator

        /// The next non-empty batch, or `nil` once the subscription has ended and nothing is pending.
        public mutating func next() async -> [PresenceChange]? {
            while true {
                let batch = sink.take()
                if !batch.isEmpty { return batch }
                guard await wakeups.next() != nil else {
                    let last = sink.take()
                    return last.isEmpty ? nil : last
                }
            }
        }
    }
}
