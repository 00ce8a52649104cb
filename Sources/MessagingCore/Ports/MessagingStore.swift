import Foundation

/// The storage port of the use cases: serialized write transactions and concurrent
/// read transactions over the stores a conversation needs.
///
/// The use cases run their checks and changes inside one closure, so a membership check
/// and the change it guards commit together. The closure is synchronous and does no I/O of
/// its own: everything it reads and writes goes through the transaction.
///
/// Implementers: `commit` must run the closure in one serializable transaction (SQLite:
/// `BEGIN IMMEDIATE`), commit when it returns and roll back when it throws, rethrowing the
/// error unchanged, and return the events the closure appended; errors of the engine itself are thrown as ``MessagingError`` with code
/// `storage` (or `conflict` for a unique-constraint violation). `read` must see one
/// consistent snapshot. Implementations must be safe to call from any task.
public protocol MessagingStore: Sendable {
    /// Runs `body` in a read-only transaction that sees one committed snapshot.
    func read<Result: Sendable>(_ body: @Sendable (any MessagingTransaction) throws -> Result) async throws -> Result

    /// Runs `body` in a write transaction (writes are serialized) and returns its value with
    /// the events it appended (``EventLog/append(_:)``), in the order they were appended.
    func commit<Result: Sendable>(_ body: @Sendable (any MessagingTransaction) throws -> Result) async throws -> Committed<Result>
}

extension MessagingStore {
    /// Runs `body` in a write transaction and returns its value (``commit(_:)`` without the events).
    public func write<Result: Sendable>(_ body: @Sendable (any MessagingTransaction) throws -> Result) async throws -> Result {
        try await commit(body).value
    }
}

/// What a write transaction committed: the closure's value and the conversation events it
/// appended, in `seq` order per conversation.
///
/// Use cases hand the events to their ``CommittedEventPublisher``; nothing re-reads the log
/// to find what to publish.
///
/// Thread safety: a value type; safe to share across tasks.
public struct Committed<Value: Sendable>: Sendable {
    /// The closure's result.
    public var value: Value
    /// The events appended in the transaction (empty when it appended none).
    public var events: [ConversationEvent]

    /// Wraps a value and the events committed with it.
    public init(_ value: Value, events: [ConversationEvent] = []) {
        self.value = value
        self.events = events
    }
}

/// Everything a use case can do inside one transaction.
///
/// A transaction value is valid only inside the closure it was handed to and must not
/// escape it or be used from another thread.
///
/// It is also a ``JobOutbox``: jobs enqueued here commit with the domain change or not at all.
public protocol MessagingTransaction:
    UserStore, ConversationStore, MembershipStore, MessageStore, EventLog, SearchIndex, IdempotencyStore, JobOutbox,
    DeviceStore, UserFeedStore, ModerationStore, RetentionStore, AccountDataStore, ConversationDeletionStore, NotificationStore,
    AttachmentStore
{}

/// Users.
public protocol UserStore {
    /// The user with `id`, if any.
    func user(id: UserID) throws -> User?
    /// The user with `handle`, if any.
    func user(handle: Handle) throws -> User?
    /// Inserts a user; throws `conflict` when the id or handle is taken.
    func insert(_ user: User) throws
    /// The user's settings (the defaults when none were saved).
    func settings(of user: UserID) throws -> UserSettings
    /// Saves the user's settings.
    func save(_ settings: UserSettings, of user: UserID) throws
    /// Of `users`, those who hide their read receipts.
    func usersHidingReadReceipts(among users: [UserID]) throws -> Set<UserID>
}

/// Conversations.
public protocol ConversationStore {
    /// The conversation with `id`, if any.
    func conversation(id: ConversationID) throws -> Conversation?
    /// The direct conversation with `key` (see ``Conversation/directKey(_:_:)``), if any.
    func directConversation(key: [UInt8]) throws -> ConversationID?
    /// Inserts a conversation; `directKey` is required for direct conversations and unique.
    func insert(_ conversation: Conversation, directKey: [UInt8]?) throws
    /// Replaces the title and topic.
    func updateDetails(of id: ConversationID, title: String?, topic: String?) throws
    /// Advances the conversation's `lastSeq` by one, sets its last activity, and returns
    /// the new `seq`. Throws `notFound` when the conversation does not exist.
    func nextSeq(of id: ConversationID, at time: Timestamp) throws -> Int64
    /// The conversations `user` is a member of, most recently active first, after `cursor`.
    func conversations(of user: UserID, after cursor: ConversationCursor?, limit: Int) throws -> [ConversationSummary]
}

/// Memberships and read positions.
public protocol MembershipStore {
    /// The membership of `user` in `conversation`, if any.
    func member(_ user: UserID, in conversation: ConversationID) throws -> Member?
    /// Up to `limit` members, ordered by user id, after `user` (exclusive).
    func members(of conversation: ConversationID, after user: UserID?, limit: Int) throws -> [Member]
    /// How many members hold `role`.
    func memberCount(of conversation: ConversationID, role: Role?) throws -> Int
    /// Whether `user` and `other` are both members of at least one conversation; `true`
    /// for a user and itself when that user is a member of any conversation.
    ///
    /// Presence uses it to decide who may see whom. Implementations must answer from an
    /// index (one probe per conversation of `user`), never by scanning all memberships.
    func sharesConversation(_ user: UserID, _ other: UserID) throws -> Bool
    /// Inserts a membership; throws `conflict` when it exists.
    func insert(_ member: Member) throws
    /// Deletes a membership (and with it the read position).
    func removeMember(_ user: UserID, from conversation: ConversationID) throws
    /// Sets a member's role.
    func setRole(_ role: Role, of user: UserID, in conversation: ConversationID) throws
    /// Sets a member's read position.
    func setReadSeq(_ seq: Int64, of user: UserID, in conversation: ConversationID) throws
    /// For each conversation of `user`: messages from others after its read position, not deleted.
    func unreadCounts(for user: UserID) throws -> [UnreadCount]
    /// Up to `limit` members of `conversation` ordered by user id, after `user` (exclusive),
    /// each with its read position (`nil` when the member hides read receipts) and the highest
    /// `seq` any of its devices acknowledged (answered from an index on the cursors'
    /// conversation, never by scanning every cursor).
    func receipts(in conversation: ConversationID, after user: UserID?, limit: Int) throws -> [MemberReceipt]
}

/// Messages and reactions.
public protocol MessageStore {
    /// The message with `id`, if any.
    func message(id: MessageID) throws -> Message?
    /// The message a sender sent with a client message id, if any.
    func message(in conversation: ConversationID, sender: UserID, clientMessageID: ClientMessageID) throws -> Message?
    /// Up to `limit` messages with `seq < before` (all when `nil`), newest first.
    func messages(in conversation: ConversationID, before seq: Int64?, limit: Int) throws -> [Message]
    /// Up to `limit` messages with `seq > after` (all when `nil`), oldest first.
    func messages(in conversation: ConversationID, after seq: Int64?, limit: Int) throws -> [Message]
    /// Inserts a message and indexes its text for search (text and system kinds only).
    func insert(_ message: Message) throws
    /// Replaces a message's body and mentions and sets `editedAt`; re-indexes it.
    func updateBody(of id: MessageID, to body: MessageBody, mentions: [UserID], editedAt: Timestamp) throws
    /// Turns a message into a tombstone: drops body, mentions, attachments and reactions, unindexes it,
    /// and releases its attachment records (unattached, expired at `time`) for the purge of
    /// expired uploads, which deletes their objects.
    func tombstone(_ id: MessageID, at time: Timestamp) throws
    /// The emoji `user` has left on `message`.
    func reactions(on message: MessageID, by user: UserID) throws -> [Emoji]
    /// Inserts a reaction; returns `false` when it already existed.
    func insert(_ reaction: Reaction) throws -> Bool
    /// Deletes a reaction; returns `false` when there was none.
    func deleteReaction(on message: MessageID, by user: UserID, emoji: Emoji) throws -> Bool
    /// The reader's summaries of `messages`, in one query for the whole list (one round trip
    /// on a networked engine):
    /// - reactions: for each message with reactions, one summary per emoji ordered by when the
    ///   emoji was first left, then by the emoji's UTF-8 bytes; messages without reactions are absent;
    /// - threads: for each message that messages name as their thread root, how many do and
    ///   the newest of them (answered from an index on the thread root); others are absent.
    func summaries(of messages: [MessageID], for reader: UserID) throws -> MessageSummaries
    /// Up to `limit` messages whose thread root is `root` with `seq < before` (all when `nil`), newest first.
    func replies(to root: MessageID, before seq: Int64?, limit: Int) throws -> [Message]
    /// Up to `limit` messages whose thread root is `root` with `seq > after` (all when `nil`), oldest first.
    func replies(to root: MessageID, after seq: Int64?, limit: Int) throws -> [Message]
}

/// The per-conversation event log.
public protocol EventLog {
    /// Appends an event whose `seq` came from ``ConversationStore/nextSeq(of:at:)`` in the same transaction.
    func append(_ event: ConversationEvent) throws
    /// Up to `limit` events with `seq > after`, ascending; message events carry the message's current state.
    func events(in conversation: ConversationID, after seq: Int64, limit: Int) throws -> [ConversationEvent]
}

/// Each user's feed of changes to their conversation list (``UserFeedEvent``).
public protocol UserFeedStore {
    /// Appends an entry to `user`'s feed at the feed's next `seq` (1 for the first) and
    /// returns it. Appends to one user's feed are serialized with the transaction (two
    /// committed transactions never hand out the same `seq`).
    func appendFeedEvent(
        _ payload: UserFeedEvent.Payload, for user: UserID, about conversation: ConversationID, at time: Timestamp
    ) throws -> UserFeedEvent
    /// Up to `limit` entries of `user`'s feed with `seq > after`, ascending.
    func feedEvents(of user: UserID, after seq: Int64, limit: Int) throws -> [UserFeedEvent]
    /// The last `seq` of `user`'s feed; 0 before the first entry.
    func feedHead(of user: UserID) throws -> Int64
}

/// Full-text search over message text.
public protocol SearchIndex {
    /// Messages in conversations `user` is a member of (only `conversation` when given)
    /// that contain every term, best first. Terms are literal words; implementations must
    /// quote them so no query syntax reaches the engine.
    func search(terms: [String], for user: UserID, in conversation: ConversationID?, offset: Int, limit: Int) throws -> [SearchHit]
}

/// Expiring idempotency records for requests other than sends (which are keyed by the
/// messages' own unique index).
public protocol IdempotencyStore {
    /// The value saved for (`scope`, `key`) that has not expired at `now`.
    func idempotencyRecord(scope: String, key: String, now: Timestamp) throws -> String?
    /// Saves a value until `expiresAt`.
    func saveIdempotencyRecord(scope: String, key: String, value: String, expiresAt: Timestamp) throws
}

/// The end-to-end encryption directory: devices, key epochs and key envelopes.
public protocol DeviceStore {
    /// The device with `id`, active or removed, if any.
    func device(id: DeviceID) throws -> Device?
    /// Inserts a device; throws `conflict` when the id exists.
    func insert(_ device: Device) throws
    /// Marks a device removed.
    func markRemoved(_ id: DeviceID, at time: Timestamp) throws
    /// The active devices of every current member of `conversation`, ordered by user then device id.
    func activeMemberDevices(of conversation: ConversationID) throws -> [Device]
    /// The active devices of `user`, ordered by device id.
    func activeDevices(of user: UserID) throws -> [Device]
    /// The encrypted conversations `user` is a member of.
    func encryptedConversations(of user: UserID) throws -> [ConversationID]
    /// The key state of an encrypted conversation; `nil` for a conversation that is not encrypted.
    func keyState(of conversation: ConversationID) throws -> ConversationKeyState?
    /// Inserts or replaces the key state of an encrypted conversation.
    func setKeyState(_ state: ConversationKeyState, of conversation: ConversationID) throws
    /// The devices that hold an envelope for (`conversation`, `epoch`).
    func envelopeRecipients(in conversation: ConversationID, epoch: UInt64) throws -> Set<DeviceID>
    /// Appends an envelope to its recipient's inbox at the inbox's next `seq` and returns that `seq`.
    func appendEnvelope(
        _ envelope: Data, to recipient: DeviceID, conversation: ConversationID, epoch: UInt64, sender: DeviceID,
        at time: Timestamp
    ) throws -> Int64
    /// Up to `limit` envelopes of `device`'s inbox with `seq > after`, ascending.
    func envelopes(for device: DeviceID, after seq: Int64, limit: Int) throws -> [StoredKeyEnvelope]
}

/// Bans, blocks, mutes, slow mode and pins.
public protocol ModerationStore {
    /// The ban of `user` in `conversation`, if any.
    func ban(of user: UserID, in conversation: ConversationID) throws -> ConversationBan?
    /// Inserts a ban, replacing one of the same user and conversation.
    func insert(_ ban: ConversationBan) throws
    /// Deletes a ban; returns `false` when there was none.
    func deleteBan(of user: UserID, in conversation: ConversationID) throws -> Bool
    /// Up to `limit` bans of `conversation`, ordered by user id, after `user` (exclusive).
    func bans(in conversation: ConversationID, after user: UserID?, limit: Int) throws -> [ConversationBan]

    /// Whether `first` blocks `second` or `second` blocks `first`.
    func isBlocked(between first: UserID, and second: UserID) throws -> Bool
    /// Inserts a block; returns `false` when it existed (left unchanged).
    func insert(_ block: UserBlock) throws -> Bool
    /// Deletes a block; returns `false` when there was none.
    func deleteBlock(of blocked: UserID, by blocker: UserID) throws -> Bool
    /// Every block of `blocker`, ordered by blocked user id (at most ``ModerationLimits/maxBlocksPerUser``).
    func blocks(by blocker: UserID) throws -> [UserBlock]

    /// Sets (or with `nil` clears) a member's mute.
    func setMutedUntil(_ until: Timestamp?, of user: UserID, in conversation: ConversationID) throws
    /// Sets a conversation's slow-mode interval.
    func setSlowMode(seconds: Int, of conversation: ConversationID) throws
    /// Records that `user` posts in `conversation` at `now`, unless its previous post (as
    /// recorded here) is less than `intervalMilliseconds` ago: then nothing changes and the
    /// previous post's time is returned. `nil` means the post was recorded.
    ///
    /// Implementers: one atomic statement (a conditional upsert), so two concurrent sends of
    /// one user cannot both pass the check.
    func claimPost(of user: UserID, in conversation: ConversationID, at now: Timestamp, intervalMilliseconds: Int64) throws -> Timestamp?

    /// The pins of `conversation`, oldest pin first.
    func pins(in conversation: ConversationID) throws -> [PinnedMessage]
    /// Inserts a pin; returns `false` when the message was pinned already (left unchanged).
    func insert(_ pin: PinnedMessage) throws -> Bool
    /// Deletes a pin; returns `false` when there was none.
    func deletePin(of message: MessageID, in conversation: ConversationID) throws -> Bool
}
