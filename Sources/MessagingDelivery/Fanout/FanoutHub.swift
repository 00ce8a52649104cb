import Logging
import MessagingCore
import Synchronization

/// Settings of a ``FanoutHub``.
///
/// Thread safety: a value type; safe to share across tasks.
public struct FanoutConfiguration: Hashable, Sendable {
    /// Out-of-order events a room holds while waiting for a missing `seq`; past this the
    /// hub skips the gap (the sessions resync). Default 1,024.
    public var reorderLimit: Int
    /// Events per store page when a joining session catches up. Default 500.
    public var backlogPageSize: Int

    /// Makes settings.
    public init(reorderLimit: Int = 1024, backlogPageSize: Int = 500) {
        self.reorderLimit = max(1, reorderLimit)
        self.backlogPageSize = max(1, backlogPageSize)
    }
}

/// The fanout hub: rooms `conv:{conversationID}` mapping to the local sessions that joined
/// them, each event encoded once and its bytes shared by every recipient.
///
/// - Joining checks membership through the use cases (`MessagingCore.SyncService`) and
///   catches the session up from the store, so a session receives every event after the
///   `seq` it asked for, gapless and in order.
/// - ``publish(_:)`` hands the same ``EncodedEvent`` to every session of the room: no
///   per-recipient encoding, task or actor hop, and no lock is held while sessions are fed
///   (the room's list is snapshotted under its lock; delivery happens outside it).
/// - Per conversation, sessions receive events in `seq` order even when publishers race:
///   an early `seq` waits for the missing one (bounded by
///   ``FanoutConfiguration/reorderLimit``; ``sweep()`` skips a gap that stays open for
///   two sweeps, and the sessions concerned are closed with ``CloseReason/resync``).
///
/// Thread safety: safe to share across tasks.
public final class FanoutHub: Sendable {
    private let rooms = Mutex<[ConversationID: Room]>([:])
    /// The followers of users' feeds on this node, woken by ``EventBus/publish(feed:)``.
    public let feeds = FeedFollowers()
    private let messaging: Messaging
    private let configuration: FanoutConfiguration
    private let logger: Logger

    /// Makes a hub whose joins check membership with `messaging`.
    public init(messaging: Messaging, configuration: FanoutConfiguration = .init(), logger: Logger) {
        self.messaging = messaging
        self.configuration = configuration
        self.logger = logger
    }

    /// Joins `session` to a conversation's room and queues every event after `seq`
    /// (backlog from the store, then live events, gapless and in order). Throws
    /// `notFound` (`MessagingCore.MessagingError`) when the session's user is not a
    /// member. Returns the `seq` the session is caught up to.
    @discardableResult
    public func join(_ session: OutboundSession, to conversationID: ConversationID, after seq: Int64) async throws -> Int64 {
        // Register first, under the map's lock so a sweep cannot drop the room in between:
        // from here on every accepted event is buffered for the session, and everything
        // accepted before was committed before, so the store has it. The session sees
        // nothing until the first backlog read below succeeded; that read is the membership
        // check (a non-member's join throws there and its buffer is dropped unseen), so a
        // join checks membership and reads each backlog page once.
        let room = rooms.withLock { rooms in
            let room = rooms[conversationID] ?? Room(reorderLimit: configuration.reorderLimit)
            rooms[conversationID] = room
            room.state.withLock { $0.joining[session.id] = Room.Joining(session: session) }
            return room
        }
        var cursor = max(0, seq)
        // The cursor at which the last read was found behind the room (see below).
        var behindRoomAt: Int64?
        do {
            while true {
                let page = try await messaging.sync.events(
                    in: conversationID, after: cursor, limit: configuration.backlogPageSize, for: session.userID)
                for event in page.events {
                    guard session.enqueue(try EncodedEvent(event)) == .queued else {
                        room.remove(session.id)
                        return cursor
                    }
                    cursor = event.seq
                }
                if page.hasMore { continue }
                let caughtUp = room.state.withLock { state -> Bool in
                    guard let joining = state.joining[session.id] else { return true }
                    // Buffered events, while they continue the backlog. They can jump: the
                    // room skipped to another joiner's floor (``sweep()``).
                    for event in joining.buffered where event.seq > cursor {
                        guard event.seq == cursor + 1, session.enqueue(event) == .queued else { break }
                        cursor = event.seq
                    }
                    if session.closeReason != nil {
                        state.joining[session.id] = nil
                        return true
                    }
                    if let last = state.lastTaken, last > cursor, behindRoomAt != cursor {
                        // The room is past this read and will not publish those seqs again:
                        // committed after our read and before a newer read of another joiner
                        // that set the room's seq, or skipped to a joiner's floor, or
                        // published before our first buffered event. They are committed:
                        // read them. (A second read that finds nothing new means the room
                        // was handed events the store does not have; go on rather than spin.)
                        behindRoomAt = cursor
                        return false
                    }
                    if state.lastTaken == nil { state.lastTaken = cursor }
                    if let last = state.lastTaken, last < cursor {
                        // Read past the room: wait (still joining) until the room reaches `cursor`.
                        state.joining[session.id] = Room.Joining(session: session, floor: cursor)
                    } else {
                        state.joining[session.id] = nil
                        state.sessions.append(session)
                    }
                    return true
                }
                if caughtUp {
                    if session.closeReason == nil, !room.contains(session.id) {
                        // Dropped while joining: the user's membership ended (``EncodedEvent/endsMembershipOf``).
                        _ = try await messaging.sync.events(in: conversationID, after: 0, limit: 1, for: session.userID)
                    }
                    return cursor
                }
            }
        } catch {
            room.remove(session.id)
            // A refused join (not a member, a position past the log) leaves no empty room behind.
            rooms.withLock { rooms in
                if let current = rooms[conversationID], current === room, room.state.withLock({ $0.isIdle }) {
                    rooms[conversationID] = nil
                }
            }
            throw error
        }
    }

    /// Removes `session` from a conversation's room.
    public func leave(_ session: OutboundSession, from conversationID: ConversationID) {
        rooms.withLock { $0[conversationID] }?.remove(session.id)
    }

    /// Delivers a committed event to the sessions of its room (a no-op when no local
    /// session joined the conversation). Never suspends.
    public func publish(_ event: EncodedEvent) {
        guard let room = rooms.withLock({ $0[event.conversationID] }) else { return }
        room.publish(event)
    }

    /// Hands a frame outside the log (``EncodedEvent/init(ephemeralIn:bytes:)``, a read
    /// receipt) to the sessions that joined its conversation's room now, as it is: no `seq`
    /// order, no redelivery (a session that is not there misses it; the state it reports is
    /// in the store). Never suspends.
    public func publishEphemeral(_ event: EncodedEvent) {
        guard let room = rooms.withLock({ $0[event.conversationID] }) else { return }
        let sessions = room.state.withLock { $0.sessions }
        for session in sessions { session.enqueue(event) }
    }

    /// The highest `seq` handed to the room's sessions, or `nil` when no session joined.
    public func deliveredSeq(of conversationID: ConversationID) -> Int64? {
        rooms.withLock { $0[conversationID] }?.state.withLock { $0.lastTaken }
    }

    /// The conversations that have a room on this hub now (sessions joined or joining);
    /// a multi-node bus reads what they missed after losing its connection.
    public var conversationsWithRooms: [ConversationID] {
        rooms.withLock { Array($0.keys) }
    }

    /// Whether a conversation has a room on this hub (a session joined or is joining).
    public func hasRoom(for conversationID: ConversationID) -> Bool {
        rooms.withLock { $0[conversationID] != nil }
    }

    /// How many sessions joined a conversation's room.
    public func sessionCount(in conversationID: ConversationID) -> Int {
        rooms.withLock { $0[conversationID] }?.state.withLock { $0.sessions.count } ?? 0
    }

    /// Housekeeping, run periodically (``AckTracker`` does): skips an ordering gap that
    /// stayed open since the previous sweep (also one that only a joining session read from
    /// the store: the room's sessions are then closed with ``CloseReason/resync``), and
    /// drops rooms with no sessions.
    public func sweep() {
        let snapshot = rooms.withLock { Array($0) }
        for (id, room) in snapshot {
            let (first, idle) = room.state.withLock { state -> ((EncodedEvent, [OutboundSession])?, Bool) in
                state.sessions.removeAll { $0.closeReason != nil }
                let floor = state.joining.values.compactMap(\.floor).max()
                let waitingJoiner = floor.map { $0 > (state.lastTaken ?? 0) } ?? false
                if state.pending.isEmpty, !waitingJoiner {
                    state.stalledAt = nil
                } else if let mark = state.stalledAt, mark == state.lastTaken {
                    if !state.pending.isEmpty {
                        state.skipGap()
                    } else if let floor {
                        state.skipToJoinerFloor(floor)
                    }
                    state.stalledAt = nil
                } else {
                    state.stalledAt = .some(state.lastTaken)
                }
                return (state.startDelivering(), state.isIdle)
            }
            if first != nil {
                logger.warning("skipped a seq gap that was never published", metadata: ["conversation": "\(id)"])
                room.deliver(from: first)
            } else if idle {
                rooms.withLock { rooms in
                    if let current = rooms[id], current === room, room.state.withLock({ $0.isIdle }) { rooms[id] = nil }
                }
            }
        }
    }
}
