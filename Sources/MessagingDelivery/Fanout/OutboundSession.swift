import MessagingCore
import Synchronization

/// Why a session was closed.
///
/// Thread safety: a value type; safe to share across tasks.
public struct CloseReason: Hashable, Sendable, CustomStringConvertible {
    /// A stable name (`resync`, `closed`, `shutdown`).
    public let code: String

    /// The session fell behind (its outbound queue overflowed) or missed events: the client
    /// reconnects and resumes from its last `seq`; nothing is lost, everything is in the store.
    public static let resync = CloseReason(code: "resync")
    /// The client or the host closed the session.
    public static let closed = CloseReason(code: "closed")
    /// The server is shutting down.
    public static let shutdown = CloseReason(code: "shutdown")

    /// Makes a reason with a custom code.
    public init(code: String) { self.code = code }

    public var description: String { code }
}

/// Bounds of a session's outbound queue.
///
/// Thread safety: a value type; safe to share across tasks.
public struct SessionQueueLimits: Hashable, Sendable {
    /// Events queued at most. Default 1,024.
    public var maxEvents: Int
    /// Bytes queued at most (sum of frame sizes). Default 4 MiB.
    public var maxBytes: Int

    /// Makes limits.
    public init(maxEvents: Int = 1024, maxBytes: Int = 4 << 20) {
        self.maxEvents = max(1, maxEvents)
        self.maxBytes = max(1, maxBytes)
    }
}

/// Identifies one realtime connection (an ``OutboundSession``) within a process; not to be
/// confused with `MessagingCore.SessionID`, the authentication session a connection belongs to.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    /// The number.
    public let rawValue: UInt64
    /// Wraps a number.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "connection-\(rawValue)" }
}

/// One connected device: a bounded outbound queue the fanout hub fills and the transport
/// drains.
///
/// When the queue would exceed its count or byte limit, the session closes with
/// ``CloseReason/resync``: it accepts nothing more, the reader still gets what was queued
/// (so every reconnect makes progress), then `nil`; the client reconnects and resumes
/// from its last `seq`. ``close(_:)`` (client gone, shutdown) drops the queue at once.
///
/// Thread safety: all state behind one `Mutex`; safe to share across tasks. Enqueueing
/// never suspends and allocates nothing once the queue has reached its working size.
public final class OutboundSession: Sendable {
    /// Result of handing an event to a session.
    public enum EnqueueResult: Sendable, Equatable {
        /// Queued.
        case queued
        /// The queue overflowed (or the event followed a gap): the session is now closed with ``CloseReason/resync``.
        case closedForResync
        /// The session was already closed; the event was dropped.
        case alreadyClosed
    }

    private struct State {
        var queue = RingBuffer<EncodedEvent>()
        var bytes = 0
        var enqueued: UInt64 = 0
        var closeReason: CloseReason?
        var waiter: CheckedContinuation<Void, Never>?
        /// The transport's drain scheduler (``setWaker(_:)``), and whether a drain it
        /// scheduled has not yet found the queue empty.
        var waker: (@Sendable () -> Void)?
        var wakePending = false
        /// Per conversation, the highest `seq` handed to the transport (read by ``next()`` or
        /// ``drain(_:)``): acknowledgement timeouts count from here, not from queueing.
        var handedOut: [ConversationID: Int64] = [:]

        /// The waker to call now that there is something to drain, unless a drain is pending.
        mutating func takeWake(force: Bool = false) -> (@Sendable () -> Void)? {
            guard let waker, force || !wakePending else { return nil }
            wakePending = true
            return waker
        }

        mutating func popFirst() -> EncodedEvent? {
            guard let event = queue.popFirst() else { return nil }
            bytes -= event.payloadCount
            // One hash lookup per event: the default subscript's in-place accessor. A frame
            // outside the log (seq 0) is not a delivery to acknowledge.
            if event.seq > 0 { Self.raise(&handedOut[event.conversationID, default: 0], to: event.seq) }
            return event
        }

        private static func raise(_ value: inout Int64, to seq: Int64) {
            if seq > value { value = seq }
        }
    }

    // The queue state comes first: it is what fanout touches, so it shares the object's
    // first cache line with the header.
    private let state = Mutex(State())
    /// Queue bounds.
    public let limits: SessionQueueLimits
    /// This session.
    public let id: ConnectionID
    /// The authenticated user.
    public let userID: UserID
    /// The user's device.
    public let deviceID: DeviceID
    /// Whether ``blocked`` is non-empty: the one check fanout makes per event while the user
    /// blocks nobody.
    private let hasBlocks = Atomic<Bool>(false)
    /// The users this session's user blocks (their message events are queued withheld), with
    /// the version of the read they came from.
    private let blocked = Mutex<(users: Set<UserID>, version: UInt64)>(([], 0))

    /// Makes an open session.
    public init(id: ConnectionID, userID: UserID, deviceID: DeviceID, limits: SessionQueueLimits = .init()) {
        self.id = id
        self.userID = userID
        self.deviceID = deviceID
        self.limits = limits
    }

    /// Replaces the cached set of users this session's user blocks, unless a newer read
    /// (a higher `version`) was set already. Message events of those users are then queued
    /// withheld (``EncodedEvent/withheld()``): same `seq`, no content. The transport sets it
    /// when the session starts and whenever the user blocks or unblocks someone, so fanout
    /// never reads the store per delivery.
    public func setBlockedUsers(_ users: Set<UserID>, version: UInt64) {
        blocked.withLock { current in
            guard version >= current.version else { return }
            current = (users, version)
            hasBlocks.store(!users.isEmpty, ordering: .relaxed)
        }
    }

    /// The users this session's user blocks, as last set.
    public var blockedUsers: Set<UserID> { blocked.withLock { $0.users } }

    /// Queues an event (called by the hub).
    @discardableResult
    public func enqueue(_ event: EncodedEvent) -> EnqueueResult {
        if hasBlocks.load(ordering: .relaxed), let sender = event.messageSender,
           blocked.withLock({ $0.users.contains(sender) }) {
            return enqueueChecked(event.withheld())
        }
        return enqueueChecked(event)
    }

    private func enqueueChecked(_ event: EncodedEvent) -> EnqueueResult {
        let (result, waiter, wake) = state.withLock {
            state -> (EnqueueResult, CheckedContinuation<Void, Never>?, (@Sendable () -> Void)?) in
            guard state.closeReason == nil else { return (.alreadyClosed, nil, nil) }
            if event.followsGap || state.queue.count >= limits.maxEvents || state.bytes + event.payloadCount > limits.maxBytes {
                // Keep what is queued: it is in order and gapless, and the reader drains it first.
                state.closeReason = .resync
                // Wake the transport even while a drain is pending: one that cannot write
                // (a client that reads nothing) must learn now that the session is over.
                return (.closedForResync, state.waiter.take(), state.takeWake(force: true))
            }
            state.queue.append(event)
            state.bytes += event.payloadCount
            state.enqueued &+= 1
            return (.queued, state.waiter.take(), state.takeWake())
        }
        waiter?.resume()
        wake?()
        return result
    }

    /// Closes the session (idempotent: the first reason stays) and drops its queue.
    public func close(_ reason: CloseReason) {
        let (waiter, wake) = state.withLock { state -> (CheckedContinuation<Void, Never>?, (@Sendable () -> Void)?) in
            var wake: (@Sendable () -> Void)?
            if state.closeReason == nil {
                state.closeReason = reason
                state.queue.removeAll()
                state.bytes = 0
                wake = state.takeWake(force: true)
            }
            return (state.waiter.take(), wake)
        }
        waiter?.resume()
        wake?()
    }

    /// Lets a transport drain the queue without a task: `waker` is called (on the
    /// enqueuing thread, outside the session's lock) when an event is queued while no drain
    /// is pending, and when the session closes. The transport then schedules
    /// ``drain(upTo:unless:_:)`` on its own thread; a drain that empties the queue re-arms the
    /// waker. Called once, before the first event is queued (when events are already
    /// queued, `waker` is called at once).
    public func setWaker(_ waker: @escaping @Sendable () -> Void) {
        let wake = state.withLock { state -> (@Sendable () -> Void)? in
            state.waker = waker
            return state.queue.isEmpty && state.closeReason == nil ? nil : state.takeWake()
        }
        wake?()
    }

    /// Hands at most `limit` queued events to `body` in order, without suspending, and says
    /// whether the queue is now empty (then the next queued event calls the waker again).
    ///
    /// `stop` is asked first, under the session's lock: when it answers `true` nothing is
    /// handed out and the answer is `(0, false)`. A transport that also writes frames of its
    /// own (a streamed backlog page) uses it to write those first: whatever was queued
    /// before it looked cannot have been queued after a frame it found empty-handed.
    /// `stop` and `body` run under the session's lock: they must not call back into this
    /// session.
    public func drain(
        upTo limit: Int, unless stop: () -> Bool = { false }, _ body: (EncodedEvent) -> Void
    ) -> (count: Int, isEmpty: Bool) {
        state.withLock { state in
            if stop() { return (0, false) }
            var count = 0
            while count < limit, let event = state.popFirst() {
                body(event)
                count += 1
            }
            let isEmpty = state.queue.isEmpty
            if isEmpty { state.wakePending = false }
            return (count, isEmpty)
        }
    }

    /// Why the session closed, or `nil` while it is open.
    public var closeReason: CloseReason? { state.withLock { $0.closeReason } }

    /// How many events were ever queued (the queue is FIFO: the n-th event read is the n-th queued).
    public var enqueuedCount: UInt64 { state.withLock { $0.enqueued } }

    /// The highest `seq` of a conversation handed to the transport (read from the queue),
    /// or `nil` when none was.
    public func handedOutSeq(in conversation: ConversationID) -> Int64? {
        state.withLock { $0.handedOut[conversation] }
    }

    /// Events and bytes currently queued.
    public var queued: (events: Int, bytes: Int) { state.withLock { ($0.queue.count, $0.bytes) } }

    /// Hands every queued event to `body` in order, without suspending; returns how many.
    /// `body` runs under the session's lock: it must not call back into this session.
    @discardableResult
    public func drain(_ body: (EncodedEvent) -> Void) -> Int {
        state.withLock { state in
            var drained = 0
            while let event = state.popFirst() {
                body(event)
                drained += 1
            }
            return drained
        }
    }

    /// The next queued event, waiting while the queue is empty; `nil` once the session is
    /// closed and drained (see ``closeReason``) or the calling task is cancelled. One reader
    /// at a time.
    public func next() async -> EncodedEvent? {
        while true {
            if Task.isCancelled { return nil }
            let immediate: EncodedEvent?? = state.withLock { state in
                if let event = state.popFirst() { return .some(event) }
                if state.closeReason != nil { return .some(nil) }
                return nil
            }
            if let immediate { return immediate }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.closeReason != nil || !state.queue.isEmpty || Task.isCancelled { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                state.withLock { $0.waiter.take() }?.resume()
            }
        }
    }
}
