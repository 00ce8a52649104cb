/// Settings shared by every use case.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MessagingConfiguration: Hashable, Sendable {
    /// Sizes and page limits.
    public var limits: MessagingLimits
    /// Which roles may take which actions.
    public var permissions: PermissionTable
    /// How long an idempotency record of a non-send request (such as creating a
    /// conversation with a request id) is kept, in milliseconds. Default 24 hours.
    public var idempotencyRetentionMilliseconds: Int64
    /// The batch window of notification jobs, in milliseconds: records for one user,
    /// conversation and reason within the window become one notification. Default 30 s.
    public var notificationWindowMilliseconds: Int64
    /// The limits of attachment uploads (size, allowed types, lifetime of unattached uploads).
    public var attachments: AttachmentPolicy

    /// Makes a configuration; the defaults are `MessagingLimits.default`, ``PermissionTable/standard``
    /// and ``AttachmentPolicy/default``.
    public init(
        limits: MessagingLimits = .default, permissions: PermissionTable = .standard,
        idempotencyRetentionMilliseconds: Int64 = 24 * 3600 * 1000, notificationWindowMilliseconds: Int64 = 30_000,
        attachments: AttachmentPolicy = .default
    ) {
        self.attachments = attachments
        self.limits = limits
        self.permissions = permissions
        self.idempotencyRetentionMilliseconds = idempotencyRetentionMilliseconds
        self.notificationWindowMilliseconds = notificationWindowMilliseconds
    }
}

/// The use cases of the messaging domain, over one store.
///
/// ```swift
/// let messaging = Messaging(store: store)
/// let alice = try await messaging.users.register(handle: "alice", displayName: "Alice")
/// let room = try await messaging.conversations.create(.group(title: "Team", members: [bob.id]), by: alice.id)
/// let sent = try await messaging.messages.send(
///     try MessageDraft(text: "hello", clientMessageID: ClientMessageID("c-1")), to: room.id, by: alice.id)
/// ```
///
/// Every use case checks membership and role itself: a caller who is not a member gets
/// `notFound`, exactly as for a conversation that does not exist, and nothing changes.
///
/// Thread safety: immutable; safe to share across tasks.
public struct Messaging: Sendable {
    /// Registration and lookup of users.
    public let users: UserService
    /// Conversations and their members.
    public let conversations: ConversationService
    /// Sending, editing, deleting, reactions and history.
    public let messages: MessageService
    /// Read positions and unread counts.
    public let readState: ReadStateService
    /// The event log a reconnecting client syncs from.
    public let sync: SyncService
    /// Full-text search.
    public let search: SearchService
    /// The end-to-end encryption directory: devices, key epochs and key envelopes.
    public let devices: DeviceService
    /// Each user's feed of changes to their conversation list.
    public let feed: UserFeedService
    /// Kicks with a reason, bans, slow mode and pinned messages.
    public let moderation: ModerationService
    /// Each user's block list.
    public let blocks: BlockService
    /// Per-conversation retention policies and the sweep that applies them.
    public let retention: RetentionService
    /// The messaging side of deleting an account.
    public let accounts: AccountService
    /// Notification records of members who did not receive messages, and device push tokens.
    public let notifications: NotificationService
    /// Media attachments: upload slots, checks before a send, downloads, expired uploads.
    public let attachments: AttachmentService

    /// Makes the use cases over `store`.
    ///
    /// `verifier` checks the end-to-end encrypted objects clients upload (device bundles, key
    /// envelopes, sealed messages). Without one, encrypted conversations cannot be created and
    /// devices cannot be published; `MessagingE2EEVerification`'s `SodiumEndToEndVerifier` is the
    /// libsodium implementation.
    public init(
        store: any MessagingStore, clock: any WallClock = SystemWallClock(),
        ids: (any IDGenerator)? = nil, configuration: MessagingConfiguration = .init(),
        verifier: (any EndToEndVerifier)? = nil
    ) {
        self.init(context: ServiceContext(
            store: store, clock: clock, ids: ids ?? UUIDv7Generator(clock: clock), configuration: configuration,
            verifier: verifier, publisher: nil))
    }

    /// The same use cases, checking uploaded attachments in `objects` and deleting expired
    /// uploads from it (see ``AttachmentService``). Without one, sends cannot name uploads.
    ///
    /// - Parameter objects: the host's object storage (ChatServer adapts `MessagingMedia.MediaStore`).
    public func storingAttachments(in objects: any AttachmentObjectStore) -> Messaging {
        var context = context
        context.attachmentObjects = objects
        return Messaging(context: context)
    }

    /// The same use cases, handing out upload and download URLs made by `signer` (see
    /// ``AttachmentService/uploadSlot(_:in:by:)`` and ``AttachmentService/download(_:by:)``),
    /// so every front end (HTTP routes, the realtime gateway) answers with the same URLs
    /// after the same checks. Without one, those two answer `invalidInput`: media is not
    /// configured.
    ///
    /// - Parameter signer: the host's URL signer (ChatServer adapts `MessagingMedia.MediaStore`).
    public func signingAttachmentTransfers(with signer: any AttachmentTransferSigner) -> Messaging {
        var context = context
        context.attachmentTransfers = signer
        return Messaging(context: context)
    }

    /// The same use cases, handing every event they commit to `publisher` (see
    /// ``CommittedEventPublisher``): a message sent through ``messages`` reaches live
    /// subscribers whoever sent it.
    ///
    /// ```swift
    /// let hub = FanoutHub(messaging: Messaging(store: store), logger: logger)
    /// let messaging = Messaging(store: store).publishing(to: EventBusPublisher(bus: InMemoryEventBus(hub: hub), logger: logger))
    /// ```
    public func publishing(to publisher: any CommittedEventPublisher) -> Messaging {
        var context = context
        context.publisher = publisher
        return Messaging(context: context)
    }

    /// Whether the use cases publish what they commit (``publishing(to:)``).
    public var isPublishing: Bool { context.publisher != nil }

    private let context: ServiceContext

    private init(context: ServiceContext) {
        self.context = context
        users = UserService(context: context)
        conversations = ConversationService(context: context)
        messages = MessageService(context: context)
        readState = ReadStateService(context: context)
        sync = SyncService(context: context)
        search = SearchService(context: context)
        devices = DeviceService(context: context)
        feed = UserFeedService(context: context)
        moderation = ModerationService(context: context)
        blocks = BlockService(context: context)
        retention = RetentionService(context: context)
        accounts = AccountService(context: context)
        notifications = NotificationService(context: context)
        attachments = AttachmentService(context: context)
    }
}

/// What every service holds.
struct ServiceContext: Sendable {
    let store: any MessagingStore
    let clock: any WallClock
    let ids: any IDGenerator
    let configuration: MessagingConfiguration
    let verifier: (any EndToEndVerifier)?
    var publisher: (any CommittedEventPublisher)?
    var attachmentObjects: (any AttachmentObjectStore)? = nil
    var attachmentTransfers: (any AttachmentTransferSigner)? = nil

    /// Runs `body` in a write transaction, hands the events it committed to the publisher,
    /// and returns its value.
    func write<Result: Sendable>(_ body: @Sendable (any MessagingTransaction) throws -> Result) async throws -> Result {
        let committed = try await store.commit(body)
        await publish(committed.events)
        return committed.value
    }

    /// Runs `body` in a write transaction that also appends to users' feeds: `body` returns
    /// its value and the feed entries it appended; both the conversation events and the feed
    /// entries go to the publisher once committed.
    func write<Result: Sendable>(
        feed body: @Sendable (any MessagingTransaction) throws -> (Result, [UserFeedEvent])
    ) async throws -> Result {
        let committed = try await store.commit(body)
        await publish(committed.events)
        if let publisher, !committed.value.1.isEmpty { await publisher.publish(feed: committed.value.1) }
        return committed.value.0
    }

    /// Hands committed events to the publisher (nothing when there are none or no publisher).
    func publish(_ events: [ConversationEvent]) async {
        guard let publisher, !events.isEmpty else { return }
        await publisher.publish(events)
    }

    var limits: MessagingLimits { configuration.limits }
    var permissions: PermissionTable { configuration.permissions }

    /// The verifier, or an error that tells the host application to configure one.
    func requireVerifier() throws(MessagingError) -> any EndToEndVerifier {
        guard let verifier else {
            throw MessagingError(
                code: .invalidInput,
                message: "End-to-end encryption is not enabled on this server: it was set up without an EndToEndVerifier (pass SodiumEndToEndVerifier() to Messaging).")
        }
        return verifier
    }
}
