import MessagingCore

/// What a subscription asks of its tracker (which is generic over its clock).
protocol PresenceHub: Sendable {
    func watch(users: [UserID], subscription: Int, observer: UserID) async throws(PresenceError) -> [UserPresence]
    func unwatch(users: [UserID], subscription: Int)
    func watch(conversation: ConversationID, subscription: Int, observer: UserID) async throws(PresenceError) -> ConversationPresence
    func unwatch(conversation: ConversationID, subscription: Int)
    func endSubscription(_ id: Int)
}
