/// Where the use cases hand the events they committed.
///
/// Every use case that appends to a conversation's log (a send, an edit, a reaction, a
/// member added or removed, a device published…) calls ``publish(_:)`` once its transaction
/// committed, with exactly the events that transaction appended, whoever called the use
/// case: the realtime gateway, an HTTP handler, or a host calling ``Messaging`` directly.
/// `MessagingDelivery`'s `EventBusPublisher` encodes each event once and puts it on an
/// `EventBus`; ``Messaging/publishing(to:)`` attaches a publisher.
///
/// Implementers: never throw and never undo anything: the events are committed. A publisher
/// that cannot deliver logs it; subscribers catch up from the store (they resume by `seq`).
/// Called concurrently from any task; events of one conversation may arrive out of `seq`
/// order from racing writers (hubs order them).
public protocol CommittedEventPublisher: Sendable {
    /// Publishes the events of one committed transaction (never empty).
    func publish(_ events: [ConversationEvent]) async

    /// Publishes the entries one committed transaction appended to users' feeds (never
    /// empty): what the followers of those feeds read next. The default does nothing.
    func publish(feed entries: [UserFeedEvent]) async
}

extension CommittedEventPublisher {
    public func publish(feed entries: [UserFeedEvent]) async {}
}
