import Logging
import MessagingCore
import MessagingDelivery

/// Publishes to live subscribers the events an HTTP change committed (edits, deletions,
/// reactions, membership and detail changes append events the use cases do not return).
///
/// It reads the conversation's log after the last `seq` its local room delivered and
/// publishes each event; a conversation no local session follows is skipped. The hub orders
/// by `seq` and drops what it already delivered, so racing publishers are harmless. Reading
/// goes to the store directly (not through a member's use case) because the caller may have
/// just left the conversation.
///
/// Thread safety: immutable; safe to share across tasks.
struct CommittedEvents: Sendable {
    let store: any MessagingStore
    let hub: FanoutHub
    let bus: any EventBus
    let logger: Logger

    func publish(in conversation: ConversationID) async {
        guard var after = hub.deliveredSeq(of: conversation) else { return }
        do {
            while true {
                let from = after
                let events = try await store.read { transaction in try transaction.events(in: conversation, after: from, limit: 200) }
                for event in events { try await bus.publish(try EncodedEvent(event)) }
                guard events.count == 200, let last = events.last else { return }
                after = last.seq
            }
        } catch {
            logger.warning(
                "could not publish committed events; live subscribers will catch up on their next resync",
                metadata: ["conversation": "\(conversation)"])
        }
    }
}
