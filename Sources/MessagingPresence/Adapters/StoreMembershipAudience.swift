import MessagingCore

/// A ``PresenceAudience`` that answers from a `MessagingStore`'s memberships, in read
/// transactions (concurrent with writes on SQLite in WAL mode).
///
/// ```swift
/// let store = try SQLiteMessagingStore(path: "data/chat.sqlite")
/// let messaging = Messaging(store: store)
/// let tracker = try PresenceTracker(audience: StoreMembershipAudience(store: store))
/// ```
///
/// Thread safety: immutable; safe to share across tasks.
public struct StoreMembershipAudience: PresenceAudience {
    private let store: any MessagingStore
    private let pageSize = 1_000

    /// Makes the adapter over `store`, the same store the `Messaging` use cases use.
    public init(store: any MessagingStore) {
        self.store = store
    }

    public func sharesConversation(_ user: UserID, _ other: UserID) async throws -> Bool {
        try await store.read { try $0.sharesConversation(user, other) }
    }

    public func isMember(_ user: UserID, of conversation: ConversationID) async throws -> Bool {
        try await store.read { try $0.member(user, in: conversation) != nil }
    }

    public func members(of conversation: ConversationID) async throws -> [UserID] {
        let pageSize = pageSize
        return try await store.read { transaction in
            var result: [UserID] = []
            var after: UserID?
            while true {
                let page = try transaction.members(of: conversation, after: after, limit: pageSize)
                result.append(contentsOf: page.lazy.map(\.userID))
                guard page.count == pageSize, let last = page.last else { return result }
                after = last.userID
            }
        }
    }

    public func users(among candidates: [UserID], sharingAConversationWith observer: UserID) async throws -> Set<UserID> {
        try await store.read { transaction in
            var visible: Set<UserID> = []
            for candidate in candidates where try transaction.sharesConversation(observer, candidate) {
                visible.insert(candidate)
            }
            return visible
        }
    }
}
