import Foundation
import MessagingCore
import MessagingDelivery
import Synchronization
import Testing

/// Records what the use cases hand their publisher.
final class RecordingPublisher: CommittedEventPublisher {
    private let batches = Mutex<[[ConversationEvent]]>([])
    var all: [[ConversationEvent]] { batches.withLock { $0 } }
    func publish(_ events: [ConversationEvent]) async { batches.withLock { $0.append(events) } }
}

@Suite("Use cases publish exactly what they committed")
struct PublishOnCommitTests {
    @Test("each write hands its own committed events to the publisher once, with nothing re-read; refusals and no-ops publish nothing")
    func publishesCommittedEvents() async throws {
        let fixture = try DeliveryFixture()
        defer { fixture.remove() }
        let recorder = RecordingPublisher()
        let messaging = fixture.messaging.publishing(to: recorder)
        #expect(messaging.isPublishing && !fixture.messaging.isPublishing)
        let users = try await fixture.users("alice", "bob", "mallory")
        let (alice, bob, mallory) = (users[0], users[1], users[2])
        let room = try await messaging.conversations.create(.group(title: "room", members: [bob.id]), by: alice.id).id
        // Creating a group appends no conversation event; whatever it appended, it published.
        let base = recorder.all.count
        let afterCreate = recorder.all.last?.last?.seq ?? 0

        let sent = try await messaging.messages.send(
            try MessageDraft(text: "hi", clientMessageID: ClientMessageID("c1")), to: room, by: alice.id)
        #expect(recorder.all.count == base + 1)
        let sendBatch = try #require(recorder.all.last)
        #expect(sendBatch.map(\.seq) == [afterCreate + 1])
        guard case .messageCreated(let message) = sendBatch.first?.payload else {
            Issue.record("expected message.created, got \(sendBatch)")
            return
        }
        #expect(message.id == sent.message.id)

        // A repeated send commits nothing and publishes nothing.
        _ = try await messaging.messages.send(try MessageDraft(text: "hi", clientMessageID: ClientMessageID("c1")), to: room, by: alice.id)
        #expect(recorder.all.count == base + 1)
        // A refused write (not a member) publishes nothing.
        await #expect(throws: MessagingError.self) {
            try await messaging.messages.send(try MessageDraft(text: "x", clientMessageID: ClientMessageID("m1")), to: room, by: mallory.id)
        }
        #expect(recorder.all.count == base + 1)

        try await messaging.messages.react(to: sent.message.id, with: try Emoji("👍"), by: bob.id)
        try await messaging.messages.react(to: sent.message.id, with: try Emoji("👍"), by: bob.id)  // no-op: already there
        _ = try await messaging.messages.edit(sent.message.id, to: .text("hi!"), by: alice.id)
        try await messaging.conversations.removeMember(bob.id, from: room, by: alice.id)
        let kinds = recorder.all.dropFirst(base + 1).map { batch in batch.map { "\($0.payload)".prefix { $0 != "(" } } }
        #expect(kinds == [["reactionAdded"], ["messageEdited"], ["memberLeft"]])
        let seqs = recorder.all.flatMap { $0.map(\.seq) }
        #expect(seqs == Array(1...Int64(seqs.count)), "every committed seq published once, in order")
        // What was published is what the log holds.
        let log = try await fixture.store.read { try $0.events(in: room, after: 0, limit: 100) }
        #expect(log.map(\.seq) == seqs)
    }

    @Test("a send through DeliveryPipeline answers first, then publishes the committed event (no second publication from the use case)")
    func pipelinePublishesOnce() async throws {
        let fixture = try DeliveryFixture()
        defer { fixture.remove() }
        let recorder = RecordingPublisher()
        let messaging = fixture.messaging.publishing(to: recorder)
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let hub = fixture.makeHub()
        let order = OrderLog()
        let bus = OrderRecordingBus(order: order, hub: hub)
        let pipeline = DeliveryPipeline(messaging: messaging, bus: bus)
        let receipt = try await pipeline.send(
            try MessageDraft(text: "hi", clientMessageID: ClientMessageID("p1")), to: room, by: users[0].id
        ) { receipt in order.append("answer \(receipt.message.seq)") }
        #expect(order.all == ["answer \(receipt.message.seq)", "publish \(receipt.message.seq)"])
        #expect(recorder.all.isEmpty, "the pipeline publishes on the bus itself")
    }
}

final class OrderLog: Sendable {
    private let entries = Mutex<[String]>([])
    var all: [String] { entries.withLock { $0 } }
    func append(_ entry: String) { entries.withLock { $0.append(entry) } }
}

struct OrderRecordingBus: EventBus {
    let order: OrderLog
    let hub: FanoutHub
    func publish(_ event: EncodedEvent) async throws {
        order.append("publish \(event.seq)")
        hub.publish(event)
    }

    func publish(feed entries: [UserFeedEvent]) async throws {
        hub.feeds.signal(entries)
    }

    func publishEphemeral(_ event: EncodedEvent) async throws {
        hub.publishEphemeral(event)
    }
}
