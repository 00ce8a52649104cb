import Foundation
import MessagingCore
import MessagingPersistence
import Synchronization
import Testing
@testable import MessagingDelivery

/// A cursor store that counts its writes.
final class CountingCursorStore: AckCursorStore {
    private let state = Mutex<(saves: [[AckCursor]], stored: [AckCursor])>(([], []))

    func save(_ cursors: [AckCursor], at now: Timestamp) async throws {
        state.withLock { $0.saves.append(cursors) }
    }

    func cursors(of device: DeviceID) async throws -> [AckCursor] { [] }

    var saves: [[AckCursor]] { state.withLock { $0.saves } }
}

@Suite("Acknowledgements and redelivery")
struct AckTests {
    typealias Ledger = AckLedger<ContinuousClock.Instant>

    let fixture: DeliveryFixture
    init() throws { fixture = try DeliveryFixture() }

    @Test("stale and duplicate acks change nothing; unjoined conversations and undelivered seqs are typed errors")
    func ackSemantics() throws {
        defer { fixture.remove() }
        let user = UserID(UUIDv7Generator().next())
        let mine = ConversationID(UUIDv7Generator().next())
        let foreign = ConversationID(UUIDv7Generator().next())
        let session = makeSession(1, user: user)
        let other = makeSession(2, user: user)
        var ledger = Ledger()
        ledger.subscribe(session, to: mine, ackedSeq: 3)
        ledger.subscribe(other, to: mine, ackedSeq: 3)
        #expect(try ledger.acknowledge(session.id, conversation: mine, through: 5, deliveredSeq: 10) == .advanced(to: 5))
        #expect(try ledger.acknowledge(session.id, conversation: mine, through: 5, deliveredSeq: 10) == .unchanged(cursor: 5))
        #expect(try ledger.acknowledge(session.id, conversation: mine, through: 2, deliveredSeq: 10) == .unchanged(cursor: 5))
        #expect(throws: DeliveryError.self) { try ledger.acknowledge(session.id, conversation: foreign, through: 1, deliveredSeq: 10) }
        #expect(throws: DeliveryError.self) { try ledger.acknowledge(session.id, conversation: mine, through: 11, deliveredSeq: 10) }
        do {
            _ = try ledger.acknowledge(session.id, conversation: foreign, through: 1, deliveredSeq: 10)
        } catch {
            #expect(error.code == .notSubscribed)
        }
        #expect(ledger.entry(other.id, mine)?.ackedSeq == 3, "one device's ack never moves another device's cursor")
        let dirty = ledger.takeDirty()
        #expect(dirty.map(\.ackedSeq) == [5])
        #expect(dirty.first?.deviceID == session.deviceID)
    }

    @Test("resends come after the timeout plus full-jitter backoff, within their bounds, then the device goes offline",
          arguments: [0.0, 0.5, 1.0])
    func redeliveryBackoff(fraction: Double) throws {
        defer { fixture.remove() }
        let user = UserID(UUIDv7Generator().next())
        let conversation = ConversationID(UUIDv7Generator().next())
        let session = makeSession(1, user: user)
        let configuration = AckConfiguration(
            ackTimeout: .milliseconds(100), redeliveryBackoff: Backoff(baseMilliseconds: 50, capMilliseconds: 300), maxRedeliveries: 4)
        let random = RecordingRandom(fraction: fraction)
        var ledger = Ledger()
        ledger.subscribe(session, to: conversation, ackedSeq: 0)
        let start = ContinuousClock.now
        var now = start
        let delivered: (ConversationID) -> Int64? = { _ in 7 }
        #expect(ledger.due(now: now, handedOut: { delivered($1) }, configuration: configuration, random: random).isEmpty, "arms the timer")
        var resendTimes: [Duration] = []
        var offlineAt: Duration?
        // Walk time forward in 1 ms steps; record when each action fires.
        while offlineAt == nil, now - start < .seconds(5) {
            now = now.advanced(by: .milliseconds(1))
            for action in ledger.due(now: now, handedOut: { delivered($1) }, configuration: configuration, random: random) {
                switch action {
                case .redeliver(_, _, let after, let through):
                    #expect(after == 0 && through == 7)
                    resendTimes.append(now - start)
                case .offline(_, _, let seq):
                    #expect(seq == 7)
                    offlineAt = now - start
                }
            }
        }
        #expect(resendTimes.count == 4, "exactly maxRedeliveries resends")
        #expect(offlineAt != nil)
        #expect(random.bounds == [50, 100, 200, 300], "bounds min(cap, base × 2^(n-1))")
        // Each gap is the timeout plus the draw for the previous resend, which lies in its bound.
        var expected = Duration.milliseconds(100)
        #expect(resendTimes.first == expected)
        for (index, draw) in random.draws.enumerated() {
            #expect(draw <= random.bounds[index])
            expected += .milliseconds(100) + .milliseconds(Int64(draw))
            let actual = index + 1 < resendTimes.count ? resendTimes[index + 1] : offlineAt!
            #expect(actual == expected, "resend \(index + 2) at timeout + jitter")
        }
    }

    @Test("an ack resets the backoff; a device that catches up has no deadline")
    func ackStopsRedelivery() throws {
        defer { fixture.remove() }
        let user = UserID(UUIDv7Generator().next())
        let conversation = ConversationID(UUIDv7Generator().next())
        let session = makeSession(1, user: user)
        let configuration = AckConfiguration(ackTimeout: .milliseconds(10), maxRedeliveries: 2)
        var ledger = Ledger()
        ledger.subscribe(session, to: conversation, ackedSeq: 0)
        let now = ContinuousClock.now
        _ = ledger.due(now: now, handedOut: { _, _ in 3 }, configuration: configuration, random: SystemRandomSource())
        _ = try ledger.acknowledge(session.id, conversation: conversation, through: 3, deliveredSeq: 3)
        let later = now.advanced(by: .seconds(10))
        #expect(ledger.due(now: later, handedOut: { _, _ in 3 }, configuration: configuration, random: SystemRandomSource()).isEmpty)
        #expect(ledger.entry(session.id, conversation)?.deadline == nil)
    }

    @Test("cursors are written in batches, never once per ack, and an unacknowledging device is resent to and notified")
    func trackerIntegration() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let hub = fixture.makeHub()
        let cursors = CountingCursorStore()
        let tracker = AckTracker(
            hub: hub, messaging: fixture.messaging, cursors: cursors, jobs: fixture.jobs,
            configuration: AckConfiguration(
                ackTimeout: .milliseconds(1), redeliveryBackoff: Backoff(baseMilliseconds: 1, capMilliseconds: 1), maxRedeliveries: 1,
                cursorFlushInterval: .seconds(3600), cursorBatchSize: 1000, notificationWindowMilliseconds: 0),
            clock: ContinuousClock(), wallClock: fixture.clock, logger: .quiet)
        let reader = makeSession(1, user: users[1].id)
        let silent = makeSession(2, user: users[0].id)
        try await tracker.join(reader, to: room, after: 0)
        try await tracker.join(silent, to: room, after: 0)
        let pipeline = DeliveryPipeline(messaging: fixture.messaging, bus: InMemoryEventBus(hub: hub))
        for index in 1...10 {
            try await pipeline.send(try MessageDraft(text: "m\(index)", clientMessageID: ClientMessageID("m\(index)")), to: room, by: users[0].id)
        }
        for event in drained(reader) { try tracker.acknowledge(reader, in: room, through: event.seq) }
        #expect(drained(silent).count == 10)
        await tracker.tick()
        #expect(cursors.saves.isEmpty, "ten acks, no write before the batch is due")
        try await tracker.flush()
        #expect(cursors.saves.count == 1)
        #expect(cursors.saves.first?.map(\.ackedSeq) == [10])
        #expect(cursors.saves.first?.first?.deviceID == reader.deviceID)

        // The silent device: armed, resent once, then offline: a notification scan of the conversation.
        try await Task.sleep(for: .milliseconds(5))
        await tracker.tick()
        try await Task.sleep(for: .milliseconds(5))
        await tracker.tick()
        #expect(drained(silent).map(\.seq) == Array(1...10), "the unacknowledged events were resent from the store")
        try await Task.sleep(for: .milliseconds(5))
        await tracker.tick()
        try await Task.sleep(for: .milliseconds(5))
        await tracker.tick()
        let claimed = try await fixture.jobs.claim(
            from: [NotificationScan.queue], owner: "t", limit: 10, leaseMilliseconds: 10,
            now: fixture.clock.now().adding(milliseconds: 3_600_000))
        let scans = try claimed.map { try NotificationScan(payload: $0.payload) }
        #expect(scans == [NotificationScan(conversationID: room, seq: 10)], "one scan (the sends' and the tracker's coalesce), through the last seq")
        #expect((claimed.first?.coalescedCount ?? 0) == 10, "ten sends and the tracker's request share one job")
        #expect(drained(reader).isEmpty, "the device that acknowledged got no duplicate")
    }

    @Test("events still in the session's queue were never written: no resend until the transport took them (issue #13, item 9)")
    func timeoutCountsFromTheWrite() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let hub = fixture.makeHub()
        let tracker = AckTracker(
            hub: hub, messaging: fixture.messaging, cursors: CountingCursorStore(), jobs: fixture.jobs,
            configuration: AckConfiguration(
                ackTimeout: .milliseconds(1), redeliveryBackoff: Backoff(baseMilliseconds: 1, capMilliseconds: 1), maxRedeliveries: 3,
                cursorFlushInterval: .seconds(3600), cursorBatchSize: 1000, notificationWindowMilliseconds: 0),
            clock: ContinuousClock(), wallClock: fixture.clock, logger: .quiet)
        let busy = makeSession(1, user: users[1].id)
        try await tracker.join(busy, to: room, after: 0)
        let pipeline = DeliveryPipeline(messaging: fixture.messaging, bus: InMemoryEventBus(hub: hub))
        for index in 1...10 {
            try await pipeline.send(try MessageDraft(text: "m\(index)", clientMessageID: ClientMessageID("m\(index)")), to: room, by: users[0].id)
        }
        for _ in 0..<4 {
            try await Task.sleep(for: .milliseconds(5))
            await tracker.tick()
        }
        #expect(busy.enqueuedCount == 10, "nothing was queued again while the first copies waited to be written")
        #expect(drained(busy).map(\.seq) == Array(1...10))
        // Written and not acknowledged: now the timeout runs and the events are resent.
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(5))
            await tracker.tick()
        }
        #expect(drained(busy).map(\.seq).first == 1, "resent after the write")
    }

    @Test("persisted cursors: a device that resumes without a seq starts after its acknowledged one")
    func resumeFromPersistedCursor() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        for index in 1...6 { try await fixture.send("m\(index)", to: room, by: users[0].id) }
        let hub = fixture.makeHub()
        let tracker = AckTracker(
            hub: hub, messaging: fixture.messaging, cursors: fixture.store, jobs: fixture.jobs, clock: ContinuousClock(), logger: .quiet)
        let device = DeviceID(UUIDv7Generator().next())
        let first = OutboundSession(id: ConnectionID(1), userID: users[1].id, deviceID: device)
        try await tracker.join(first, to: room, after: 0)
        #expect(drained(first).count == 6)
        try tracker.acknowledge(first, in: room, through: 4)
        try await tracker.flush()
        tracker.disconnect(first, from: [room])
        let second = OutboundSession(id: ConnectionID(2), userID: users[1].id, deviceID: device)
        try await tracker.join(second, to: room, after: nil)
        #expect(drained(second).map(\.seq) == [5, 6])
        #expect(try await fixture.store.cursors(of: device).map(\.ackedSeq) == [4])
    }
}
