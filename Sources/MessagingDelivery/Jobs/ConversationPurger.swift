import MessagingCore

/// The handler of `MessagingCore.ConversationService.purgeQueue` jobs: finishes deleting the
/// data of a conversation its owner deleted (`MessagingCore.ConversationService.purgeDeleted(_:)`),
/// when the deleting process did not.
///
/// ```swift
/// let runner = JobRunner(queue: queue, handlers: [ConversationService.purgeQueue: ConversationPurger(conversations: messaging.conversations).handler], …)
/// ```
///
/// Thread safety: immutable; safe to share across tasks.
public struct ConversationPurger: Sendable {
    private let conversations: ConversationService

    /// Makes the handler over the use cases.
    public init(conversations: ConversationService) { self.conversations = conversations }

    /// The handler to register for `MessagingCore.ConversationService.purgeQueue`; a payload
    /// that is not a conversation id completes without effect.
    public var handler: JobHandler {
        { [conversations] job in
            guard let id = ConversationID(String(decoding: job.payload, as: UTF8.self)) else { return }
            try await conversations.purgeDeleted(id)
        }
    }
}
