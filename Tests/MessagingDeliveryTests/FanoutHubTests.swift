import Foundation
import MessagingCore
import MessagingDelivery
import NIOCore
import Synchronization
import Testing

@Suite("Fanout hub")
struct FanoutHubTests {
    let fixture: DeliveryFixture
    init() throws { fixture = try DeliveryFixture() }

    @Test("joining requires membership: a non-member gets notFound and receives nothing")
    func membershipOnJoin() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob", "mallory")
        let room = try await fixture.group(Array(users.prefix(2)))
        let hub = fixture.makeHub()
        let intruder = makeSession(1, user: users[2].id)
        await #expect(throws: MessagingError.self) { try await hub.join(intruder, to: room, after: 0) }
        #expect(hub.sessionCount(in: room) == 0)
        try await fixture.send("secret", to: room, by: users[0].id)
        hub.publish(syntheticEvent(room, 1))
        #expect(drained(intruder).isEmpty)
    }

    @Test("a joining session gets the backlog after its seq, then live events, with no gap and no duplicate")
    func backlogThenLive() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        for index in 1...5 { try await fixture.send("m\(index)", to: room, by: users[0].id) }
        let hub = fixture.makeHub()
        let session = makeSession(1, user: users[1].id)
        #expect(try await hub.join(session, to: room, after: 2) == 5)
        let message = try await fixture.send("live", to: room, by: users[0].id)
        hub.publish(try EncodedEvent(ConversationEvent(
            conversationID: room, seq: message.seq, actorID: users[0].id, occurredAt: message.createdAt, payload: .messageCreated(message))))
        hub.publish(syntheticEvent(room, 5))  // a late repeat of a delivered seq is dropped
        #expect(drained(session).map(\.seq) == [3, 4, 5, 6])
    }

    @Test("a joiner whose backlog read an event not yet published gets it once, then the live ones")
    func backlogPastTheRoom() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let hub = fixture.makeHub()
        let early = makeSession(1, user: users[0].id)
        try await hub.join(early, to: room, after: 0)
        for index in 1...4 { try await fixture.send("m\(index)", to: room, by: users[0].id) }
        for seq: Int64 in 1...3 { hub.publish(syntheticEvent(room, seq)) }  // seq 4 committed, publish still in flight
        let late = makeSession(2, user: users[1].id)
        #expect(try await hub.join(late, to: room, after: 0) == 4)
        hub.publish(syntheticEvent(room, 4))
        hub.publish(syntheticEvent(room, 5))
        #expect(drained(late).map(\.seq) == [1, 2, 3, 4, 5], "no duplicate of 4, nothing missing")
        #expect(drained(early).map(\.seq) == [1, 2, 3, 4, 5])
        #expect(hub.sessionCount(in: room) == 2)
    }

    @Test("a seq read by a joiner but never published: after two sweeps the joiner goes live and the others resync")
    func joinerFloorNeverPublished() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let hub = fixture.makeHub()
        let early = makeSession(1, user: users[0].id)
        try await hub.join(early, to: room, after: 0)
        for index in 1...2 { try await fixture.send("m\(index)", to: room, by: users[0].id) }
        hub.publish(syntheticEvent(room, 1))  // seq 2 is never published
        let late = makeSession(2, user: users[1].id)
        #expect(try await hub.join(late, to: room, after: 0) == 2)
        hub.sweep()
        hub.sweep()
        #expect(early.closeReason == .resync, "it would have missed seq 2")
        hub.publish(syntheticEvent(room, 3))
        #expect(drained(late).map(\.seq) == [1, 2, 3])
        #expect(late.closeReason == nil)
    }

    @Test("every recipient gets the very same bytes (encoded once, shared storage)")
    func sharedBytes() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let hub = fixture.makeHub()
        let sessions = (1...50).map { makeSession(UInt64($0), user: users[$0 % 2].id) }
        for session in sessions { try await hub.join(session, to: room, after: 0) }
        let event = syntheticEvent(room, 1, size: 1024)
        let original = event.frame.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        hub.publish(event)
        for session in sessions {
            let received = drained(session)
            #expect(received.count == 1)
            // The frame buffer each session holds is the one the event was encoded into.
            #expect(received.first?.frame.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == original)
            #expect(received.first?.bytes == event.bytes)
        }
    }

    @Test("out-of-order publishes reach every session in seq order")
    func reorders() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let hub = fixture.makeHub()
        let session = makeSession(1, user: users[1].id)
        try await hub.join(session, to: room, after: 0)
        for seq: Int64 in [1, 3, 4, 2, 6, 5, 7] { hub.publish(syntheticEvent(room, seq)) }
        #expect(drained(session).map(\.seq) == Array(1...7))
    }

    @Test("racing publishers on several threads: each session sees 1…N in order")
    func concurrentPublishers() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let hub = fixture.makeHub(reorderLimit: 10_000)
        let sessions = (1...20).map { makeSession(UInt64($0), user: users[1].id, limits: SessionQueueLimits(maxEvents: 10_000)) }
        for session in sessions { try await hub.join(session, to: room, after: 0) }
        let count: Int64 = 2_000
        await withTaskGroup(of: Void.self) { group in
            for lane in Int64(0)..<4 {
                group.addTask {
                    for seq in stride(from: lane + 1, through: count, by: 4) { hub.publish(syntheticEvent(room, seq)) }
                }
            }
        }
        for session in sessions { #expect(drained(session).map(\.seq) == Array(1...count)) }
    }

    @Test("overflow by count or bytes closes the session with resync, after what was queued; others are unaffected", arguments: [
        (SessionQueueLimits(maxEvents: 3, maxBytes: 1 << 20), [Int64(1), 2, 3]), (SessionQueueLimits(maxEvents: 100, maxBytes: 20), [1, 2]),
    ])
    func overflow(limits: SessionQueueLimits, kept: [Int64]) async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let hub = fixture.makeHub()
        let slow = makeSession(1, user: users[1].id, limits: limits)
        let fast = makeSession(2, user: users[0].id)
        try await hub.join(slow, to: room, after: 0)
        try await hub.join(fast, to: room, after: 0)
        for seq: Int64 in 1...4 { hub.publish(syntheticEvent(room, seq, size: 8)) }
        #expect(slow.closeReason == .resync)
        var read: [Int64] = []
        while let event = await slow.next() { read.append(event.seq) }
        #expect(read == kept, "the reader gets what fit, in order, then the close; it resumes after the last one")
        #expect(drained(fast).map(\.seq) == [1, 2, 3, 4])
        hub.publish(syntheticEvent(room, 5))
        #expect(hub.sessionCount(in: room) == 1, "the closed session was removed from the room")
    }

    @Test("a gap nobody fills is skipped after the reorder limit; sessions that would see it resync")
    func gapSkip() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let hub = fixture.makeHub(reorderLimit: 2)
        let session = makeSession(1, user: users[1].id)
        try await hub.join(session, to: room, after: 0)
        hub.publish(syntheticEvent(room, 1))
        for seq: Int64 in [3, 4, 5] { hub.publish(syntheticEvent(room, seq)) }
        #expect(session.closeReason == .resync)
        #expect(hub.deliveredSeq(of: room) == 5)
    }

    @Test("sweep skips a gap that stayed open between two sweeps")
    func sweepSkipsStalledGap() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let hub = fixture.makeHub()
        let session = makeSession(1, user: users[1].id)
        try await hub.join(session, to: room, after: 0)
        hub.publish(syntheticEvent(room, 1))
        hub.publish(syntheticEvent(room, 3))
        hub.sweep()
        #expect(session.closeReason == nil, "one sweep only marks the gap")
        hub.sweep()
        #expect(session.closeReason == .resync)
        #expect(hub.deliveredSeq(of: room) == 3)
    }

    @Test("drain(upTo:unless:) hands out nothing while the transport has frames of its own to write first, then everything in order")
    func drainYieldsToTransportFrames() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice")
        let session = makeSession(1, user: users[0].id)
        let room = try await fixture.group(users)
        for seq in 1...3 { session.enqueue(syntheticEvent(room, Int64(seq))) }
        var handed: [Int64] = []
        let held = session.drain(upTo: 10, unless: { true }) { handed.append($0.seq) }
        #expect(held.count == 0 && !held.isEmpty && handed.isEmpty, "a transport frame pending: nothing is handed out")
        #expect(session.queued.events == 3)
        let first = session.drain(upTo: 2, unless: { false }) { handed.append($0.seq) }
        #expect(first.count == 2 && !first.isEmpty)
        let rest = session.drain(upTo: 10) { handed.append($0.seq) }
        #expect(rest.count == 1 && rest.isEmpty)
        #expect(handed == [1, 2, 3])
    }

    @Test("next() waits for an event and returns nil when the session closes")
    func nextWaits() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice")
        let session = makeSession(1, user: users[0].id)
        let room = try await fixture.group(users)
        async let first = session.next()
        try await Task.sleep(for: .milliseconds(20))
        session.enqueue(syntheticEvent(room, 1))
        #expect(await first?.seq == 1)
        async let second = session.next()
        try await Task.sleep(for: .milliseconds(20))
        session.close(.closed)
        #expect(await second == nil)
        #expect(session.closeReason == .closed)
    }

    @Test("a joiner whose backlog read is older than a joiner that already went live re-reads instead of missing seqs")
    func staleJoinerBehindTheRoom() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        for index in 1...2 { try await fixture.send("m\(index)", to: room, by: users[0].id) }
        let gate = ReadGate(fixture.store)
        let hub = FanoutHub(messaging: Messaging(store: gate, clock: fixture.clock), logger: .quiet)
        let slow = makeSession(1, user: users[1].id)
        let fast = makeSession(2, user: users[0].id)

        gate.holding = true
        let slowJoin = Task { try await hub.join(slow, to: room, after: 0) }
        // The join's first read is its backlog read, which is also its membership check.
        await gate.waitUntilHeld()  // the backlog read: a snapshot through seq 2, returned late
        gate.holding = false
        for index in 3...4 { try await fixture.send("m\(index)", to: room, by: users[0].id) }  // committed, publish in flight
        #expect(try await hub.join(fast, to: room, after: 0) == 4, "the room's first session sets its seq to 4")
        gate.releaseOne()
        #expect(try await slowJoin.value == 4, "the slow joiner read again up to the room's seq")
        for seq: Int64 in 3...5 { hub.publish(syntheticEvent(room, seq)) }  // 3 and 4 are late repeats for the room
        #expect(drained(slow).map(\.seq) == [1, 2, 3, 4, 5], "no gap after 2")
        #expect(drained(fast).map(\.seq) == [1, 2, 3, 4, 5])
    }

    @Test("a joiner whose buffered events jump (a sweep moved the room to another joiner's floor) reads the skipped seqs")
    func staleJoinerAcrossSkipToFloor() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let gate = ReadGate(fixture.store)
        let hub = FanoutHub(messaging: Messaging(store: gate, clock: fixture.clock), logger: .quiet)
        let early = makeSession(1, user: users[0].id)
        try await hub.join(early, to: room, after: 0)
        try await fixture.send("m1", to: room, by: users[0].id)
        hub.publish(syntheticEvent(room, 1))

        let slow = makeSession(2, user: users[1].id)
        gate.holding = true
        let slowJoin = Task { try await hub.join(slow, to: room, after: 0) }
        // The join's first read is its backlog read, which is also its membership check.
        await gate.waitUntilHeld()  // the backlog read: a snapshot through seq 1, returned late
        gate.holding = false
        for index in 2...4 { try await fixture.send("m\(index)", to: room, by: users[0].id) }
        hub.publish(syntheticEvent(room, 2))  // buffered for the slow joiner; 3 and 4 are never published
        let late = makeSession(3, user: users[0].id)
        #expect(try await hub.join(late, to: room, after: 0) == 4)
        hub.sweep()
        hub.sweep()
        #expect(early.closeReason == .resync, "the room skipped to the late joiner's floor")
        try await fixture.send("m5", to: room, by: users[0].id)
        hub.publish(syntheticEvent(room, 5))  // buffered for the slow joiner after 2
        gate.releaseOne()
        #expect(try await slowJoin.value == 5)
        try await fixture.send("m6", to: room, by: users[0].id)
        hub.publish(syntheticEvent(room, 6))
        #expect(drained(slow).map(\.seq) == [1, 2, 3, 4, 5, 6], "no jump from 2 to 5")
        #expect(slow.closeReason == nil)
        #expect(drained(late).map(\.seq) == [1, 2, 3, 4, 5, 6])
    }
}

/// A store whose reads, while `holding`, return only when released one by one (the read
/// itself has run: the caller gets an old snapshot late).
final class ReadGate: MessagingStore {
    private struct State {
        var holding = false
        var held: [CheckedContinuation<Void, Never>] = []
        var watcher: CheckedContinuation<Void, Never>?
    }

    private let inner: any MessagingStore
    private let state = Mutex(State())

    init(_ inner: any MessagingStore) { self.inner = inner }

    var holding: Bool {
        get { state.withLock { $0.holding } }
        set { state.withLock { $0.holding = newValue } }
    }

    func read<Result: Sendable>(_ body: @Sendable (any MessagingTransaction) throws -> Result) async throws -> Result {
        let result = try await inner.read(body)
        if holding {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let watcher = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    state.held.append(continuation)
                    return state.watcher.take()
                }
                watcher?.resume()
            }
        }
        return result
    }

    func commit<Result: Sendable>(_ body: @Sendable (any MessagingTransaction) throws -> Result) async throws -> Committed<Result> {
        try await inner.commit(body)
    }

    /// Waits until a read is held.
    func waitUntilHeld() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if !state.held.isEmpty { return true }
                state.watcher = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Lets the oldest held read return.
    func releaseOne() {
        state.withLock { $0.held.isEmpty ? nil : $0.held.removeFirst() }?.resume()
    }
}
