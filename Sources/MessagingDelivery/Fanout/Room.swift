import MessagingCore
import Synchronization

/// The sessions of one conversation on this node and the order of its events.
///
/// Events are accepted in `seq` order (out-of-order publishes wait in `pending` for the
/// missing `seq`), each with a snapshot of the session list taken when it is accepted. One
/// publisher at a time delivers (`delivering`); others only queue, so sessions see a
/// conversation's events in `seq` order and no lock is held while bytes are handed out.
final class Room: Sendable {
    struct Joining {
        let session: OutboundSession
        var buffered: [EncodedEvent] = []
        /// Set when the session's backlog went past the room (it read events committed but
        /// not yet published): it joins the room's list once the room reaches this `seq`,
        /// so it never receives those events twice.
        var floor: Int64?
    }

    struct State {
        var sessions: [OutboundSession] = []
        var joining: [ConnectionID: Joining] = [:]
        var lastTaken: Int64?
        var pending: [Int64: EncodedEvent] = [:]
        var ready = RingBuffer<(EncodedEvent, [OutboundSession])>()
        var delivering = false
        /// `lastTaken` at the previous sweep while events were pending.
        var stalledAt: Int64??

        var isIdle: Bool { sessions.isEmpty && joining.isEmpty && pending.isEmpty && ready.isEmpty && !delivering }

        /// Puts an event in order; returns `true` when it (or pending ones) became ready.
        mutating func accept(_ event: EncodedEvent, reorderLimit: Int) {
            guard let last = lastTaken else {
                take(event)
                return
            }
            if event.seq <= last { return }  // already delivered: a repeated publish
            if event.seq == last + 1 {
                take(event)
            } else {
                pending[event.seq] = event
                if pending.count > reorderLimit { skipGap() }
            }
        }

        private mutating func take(_ event: EncodedEvent) {
            takeOne(event)
            while let last = lastTaken, let next = pending.removeValue(forKey: last + 1) {
                takeOne(next)
            }
        }

        private mutating func takeOne(_ event: EncodedEvent) {
            if !joining.isEmpty { promoteJoining(below: event.seq) }
            lastTaken = event.seq
            ready.append((event, sessions))
            if !joining.isEmpty {
                promoteJoining(below: event.seq + 1)
                for id in Array(joining.keys) where joining[id]?.floor == nil { joining[id]?.buffered.append(event) }
            }
            if let user = event.endsMembershipOf { dropSessions(of: user) }
            if event.endsConversation { dropEverySession() }
        }

        /// The conversation was deleted: every session got the event (it is in the snapshot
        /// above) and receives nothing after it; joins in progress end (their store reads
        /// answer `notFound`).
        private mutating func dropEverySession() {
            sessions.removeAll()
            joining.removeAll()
        }

        /// A member left or was removed: their sessions got the event that says so (it is in
        /// the snapshot above) and receive nothing after it. A join in progress ends too; the
        /// joiner's next store read answers `notFound`.
        private mutating func dropSessions(of user: UserID) {
            sessions.removeAll { $0.userID == user }
            for (id, joiner) in joining where joiner.session.userID == user { joining[id] = nil }
        }

        /// Moves to the room's list the caught-up joiners whose floor is below `seq`.
        private mutating func promoteJoining(below seq: Int64) {
            for (id, joiner) in joining {
                if let floor = joiner.floor, floor < seq {
                    sessions.append(joiner.session)
                    joining[id] = nil
                }
            }
        }

        /// Gives up on `seq`s a joining session read from the store but nobody published:
        /// the room's sessions would miss them, so they resync; the joiners take their place.
        mutating func skipToJoinerFloor(_ floor: Int64) {
            for session in sessions { session.close(.resync) }
            sessions.removeAll()
            lastTaken = floor
            promoteJoining(below: floor + 1)
        }

        /// Gives up on the missing `seq`s before the lowest pending event.
        mutating func skipGap() {
            guard let lowest = pending.keys.min(), var event = pending.removeValue(forKey: lowest) else { return }
            event.followsGap = true
            take(event)
        }
    }

    let state = Mutex(State())
    let reorderLimit: Int

    init(reorderLimit: Int) {
        self.reorderLimit = reorderLimit
    }

    /// Accepts an event and, unless another publisher is delivering, delivers everything ready.
    func publish(_ event: EncodedEvent) {
        let first = state.withLock { state -> (EncodedEvent, [OutboundSession])? in
            state.accept(event, reorderLimit: reorderLimit)
            return state.startDelivering()
        }
        deliver(from: first)
    }

    /// Delivers the ready events while this caller owns delivery.
    func deliver(from first: (EncodedEvent, [OutboundSession])?) {
        var work = first
        var sawClosed = false
        while let (event, sessions) = work {
            for session in sessions where session.enqueue(event) != .queued {
                sawClosed = true
            }
            work = state.withLock { state in
                if let next = state.ready.popFirst() { return next }
                state.delivering = false
                if sawClosed { state.sessions.removeAll { $0.closeReason != nil } }
                return nil
            }
        }
    }

    /// Whether a session is in the room's list or joining it.
    func contains(_ id: ConnectionID) -> Bool {
        state.withLock { state in state.joining[id] != nil || state.sessions.contains { $0.id == id } }
    }

    /// Removes a session (and a join in progress).
    func remove(_ id: ConnectionID) {
        state.withLock { state in
            state.sessions.removeAll { $0.id == id }
            state.joining[id] = nil
        }
    }
}

extension Room.State {
    /// Claims delivery when events are ready and nobody delivers.
    mutating func startDelivering() -> (EncodedEvent, [OutboundSession])? {
        guard !delivering, let first = ready.popFirst() else { return nil }
        delivering = true
        return first
    }
}
