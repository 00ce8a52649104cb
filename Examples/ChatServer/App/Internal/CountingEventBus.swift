import MessagingCore
import MessagingDelivery

/// An event bus that counts deliveries: each published event, times the local realtime
/// sessions in its conversation's room when it is published.
///
/// Thread safety: immutable; safe to share across tasks.
struct CountingEventBus: EventBus {
    let wrapped: any EventBus
    let hub: FanoutHub
    let metrics: ServerMetrics

    init(wrapping wrapped: any EventBus, hub: FanoutHub, metrics: ServerMetrics) {
        self.wrapped = wrapped
        self.hub = hub
        self.metrics = metrics
    }

    func publish(_ event: EncodedEvent) async throws {
        try await wrapped.publish(event)
        let sessions = hub.sessionCount(in: event.conversationID)
        if sessions > 0 { metrics.deliveries.increment(by: sessions) }
    }

    func publish(feed entries: [UserFeedEvent]) async throws {
        try await wrapped.publish(feed: entries)
    }

    func publishEphemeral(_ event: EncodedEvent) async throws {
        try await wrapped.publishEphemeral(event)
    }
}
