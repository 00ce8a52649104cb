import MessagingCore

/// Send, answer, publish: the order the delivery guarantees rest on.
///
/// ``send(_:to:by:answer:)`` stores the message (its jobs commit in the same transaction),
/// answers the sender, then publishes the event. Whatever point the process dies at,
/// nothing acknowledged to a sender is lost: the store holds it, and clients resume from
/// their `seq`.
///
/// Thread safety: immutable; safe to share across tasks.
public struct DeliveryPipeline: Sendable {
    private let messaging: Messaging
    private let bus: any EventBus

    /// A pipeline over the use cases and a bus.
    public init(messaging: Messaging, bus: any EventBus) {
        self.messaging = messaging
        self.bus = bus
    }

    /// Sends, calls `answer` with the receipt, then publishes the message's event (a
    /// repeated send publishes the original event again; hubs drop what they delivered).
    /// An error thrown by `answer` is rethrown after the event was published.
    @discardableResult
    public func send(
        _ draft: MessageDraft, to conversationID: ConversationID, by sender: UserID,
        answer: @Sendable (SendReceipt) async throws -> Void = { _ in }
    ) async throws -> SendReceipt {
        let committed = try await messaging.messages.sendDeferringPublication([draft], to: conversationID, by: sender)
        let receipt = committed.value[0]
        // The event is committed: publish it even when answering the sender fails, so the
        // conversation's other sessions never wait for a seq nobody publishes.
        var answerError: (any Error)?
        do {
            try await answer(receipt)
        } catch {
            answerError = error
        }
        failpoint(.cp4)
        // The events the send committed; a repeated send committed none and publishes the
        // original event again (its first publication may have died at CP4).
        let message = receipt.message
        let events = committed.events.isEmpty
            ? [ConversationEvent(
                conversationID: conversationID, seq: message.seq, actorID: sender, occurredAt: message.createdAt,
                payload: .messageCreated(message))]
            : committed.events
        for event in events { try await bus.publish(try EncodedEvent(event)) }
        failpoint(.cp5)
        if let answerError { throw answerError }
        return receipt
    }
}
