import Foundation
import MessagingCore
import Testing

/// The behaviour every adapter of the store ports must show, as one public function per
/// behaviour, so any adapter runs the same suites.
///
/// An adapter's test target calls each function from a named Swift Testing `@Test`:
///
/// ```swift
/// @Suite("Store contract: SQLite")
/// struct SQLiteStoreContractTests {
///     let contract = StoreContract(.sqlite)
///     @Test("UserStore: insert, look up by id and handle, unique handle")
///     func users() async throws { try await contract.users() }
/// }
/// ```
///
/// Each function asks the adapter for fresh stores, records failed expectations with
/// Swift Testing (`#expect`), and throws when the stores themselves fail. ``suites``
/// lists every one, so an adapter's tests run them all as one parameterized test.
///
/// Thread safety: a value type; safe to share across tasks. Suites may run in parallel as
/// long as the adapter's fresh stores are independent.
public struct StoreContract: Sendable {
    /// The adapter under test.
    public let adapter: StoreAdapter
    let ids = UUIDv7Generator()
    /// The time the suites stamp their rows with.
    let time = ManualClock.defaultStart

    /// A contract run against `adapter`.
    public init(_ adapter: StoreAdapter) { self.adapter = adapter }

    /// One suite of the contract, to run as a parameterized test:
    /// `@Test(arguments: StoreContract.suites) func suite(_ suite: StoreContract.Suite)`.
    /// Every adapter runs the same list, so none can leave a suite out.
    public struct Suite: Sendable, CustomTestStringConvertible {
        /// The suite function's name.
        public let name: String
        /// What it checks.
        public let summary: String
        private let body: @Sendable (StoreContract) async throws -> Void

        init(_ name: String, _ summary: String, _ body: @escaping @Sendable (StoreContract) async throws -> Void) {
            self.name = name
            self.summary = summary
            self.body = body
        }

        public var testDescription: String { "\(name): \(summary)" }

        /// Runs this suite against `contract`'s adapter.
        public func run(_ contract: StoreContract) async throws { try await body(contract) }
    }

    /// Every suite of the contract, in declaration order.
    public static let suites: [Suite] = [
        Suite("users", "UserStore: insert, look up by id and handle, unique handle") { try await $0.users() },
        Suite("conversations", "ConversationStore: gapless nextSeq, direct key unique, list by activity with a keyset cursor") { try await $0.conversations() },
        Suite("memberships", "MembershipStore: roles, counts, removal, monotonic read position") { try await $0.memberships() },
        Suite("sharedConversations", "MembershipStore: sharesConversation answers per pair, symmetric, and follows removal") { try await $0.sharedConversations() },
        Suite("readState", "read state: watermarks only move forward; unread counts skip own and deleted messages") { try await $0.readState() },
        Suite("messages", "MessageStore: round trip, idempotency lookup, keyset pages, tombstones, reactions") { try await $0.messages() },
        Suite("reactionSummaries", "MessageStore: summaries: reactions per message and emoji, with the reader's own flag, for many messages at once") { try await $0.reactionSummaries() },
        Suite("threads", "MessageStore: replies of a root by keyset on seq both ways; summaries: each root's reply count and newest reply, with its reactions in the same answer") { try await $0.threads() },
        Suite("events", "EventLog: events after a seq, in order, with the message's current state") { try await $0.events() },
        Suite("committedEvents", "commit returns exactly the events the write appended") { try await $0.committedEvents() },
        Suite("concurrentSeq", "ConversationStore: concurrent writers get a gapless seq per conversation") { try await $0.concurrentSeq() },
        Suite("search", "SearchIndex: literal words, member scope, no encrypted or deleted hits") { try await $0.search() },
        Suite("devices", "DeviceStore: devices, encrypted conversations, key state, gapless per-device envelope inboxes") { try await $0.devices() },
        Suite("idempotency", "IdempotencyStore: records expire") { try await $0.idempotency() },
        Suite("rollback", "a write that throws rolls back everything it did") { try await $0.rollback() },
        Suite("outbox", "JobOutbox: jobs commit with the transaction or not at all, and coalesce like the queue") { try await $0.outbox() },
        Suite("credentials", "CredentialStore: insert once, rehash, change, disable, roles") { try await $0.credentials() },
        Suite("sessions", "AuthSessionStore: sessions newest first, revoke one and all exactly once") { try await $0.sessions() },
        Suite("refreshRotation", "AuthSessionStore: refresh rotation is a compare-and-swap that remembers rotated hashes") { try await $0.refreshRotation() },
        Suite("ackCursors", "AckCursorStore: never backwards, owned by the first user") { try await $0.ackCursors() },
        Suite("jobLeases", "JobQueue: one lease at a time; an expired lease can no longer finish the job") { try await $0.jobLeases() },
        Suite("jobRetry", "JobQueue: a retry waits for its run time and keeps the attempt count") { try await $0.jobRetry() },
        Suite("jobLastAttemptCrash", "JobQueue: the last attempt's expired lease dead-letters the job with its errors") { try await $0.jobLastAttemptCrash() },
        Suite("deadLetterQueue", "JobQueue: dead-letter queue: list, show, replay exactly once, purge") { try await $0.deadLetterQueue() },
        Suite("jobCoalescing", "JobQueue: records with one coalescing key merge while the job waits") { try await $0.jobCoalescing() },
        Suite("jobRelease", "JobQueue: release gives the attempt back") { try await $0.jobRelease() },
        Suite("jobClaimOrder", "JobQueue: claims take the named queues, oldest due first, up to the limit") { try await $0.jobClaimOrder() },
        Suite("concurrentClaims", "JobQueue: concurrent workers never share a job and take every job once") { try await $0.concurrentClaims() },
        Suite("concurrentSends", "use cases: 8 tasks × 1,000 sends into one conversation get seq exactly 1…8,000") { try await $0.concurrentSends() },
        Suite("idempotentSends", "use cases: 8 tasks sending the same client message id store one message") { try await $0.idempotentSends() },
        Suite("batchSends", "use cases: a batch is one transaction") { try await $0.batchSends() },
        Suite("feedLog", "UserFeedStore: a gapless seq per user, entries read back in order from any position, rolled back with their transaction") { try await $0.feedLog() },
        Suite("concurrentFeed", "UserFeedStore: concurrent writers appending to one user's feed get seq exactly 1…n") { try await $0.concurrentFeed() },
        Suite("receipts", "UserStore and MembershipStore: settings round-trip; receipts give each member's read position (none when hidden) and its devices' highest acknowledged seq") { try await $0.receipts() },
        Suite("feedUseCases", "use cases: creating, adding, removing, leaving, role changes and updates append to exactly the right users' feeds") { try await $0.feedUseCases() },
        Suite("moderationStore", "ModerationStore: bans, blocks, mutes, slow mode, post claims and pins round-trip") { try await $0.moderationStore() },
        Suite("kicksAndBans", "use cases: kicks record their reason; bans remove, keep out until unbanned, and follow the rank rules") { try await $0.kicksAndBans() },
        Suite("blocks", "use cases: a blocked pair has no direct conversation; the blocker reads the blocked user's messages withheld at their seq") { try await $0.blocks() },
        Suite("slowMode", "use cases: slow mode holds a member to one message per interval, exempts admins and repeats, and holds under concurrent sends") { try await $0.slowMode() },
        Suite("mutes", "use cases: a muted conversation makes no mention job for that member, until the mute ends") { try await $0.mutes() },
        Suite("pins", "use cases: pins by role, logged, bounded, listed for members only; a deleted message loses its pin") { try await $0.pins() },
        Suite("retentionStore", "RetentionStore: set, replace (keeping the sweep position), list by keyset, remove; AccountDataStore and AccountErasureStore") { try await $0.retentionStore() },
        Suite("retentionSweep", "use cases: the retention sweep tombstones exactly the messages older than the cut-off, in bounded batches, gapless, idempotently") { try await $0.retentionSweep() },
        Suite("accountErasureDevices", "use cases: erasing an account removes its devices (device.removed, a new epoch required) and deletes every envelope addressed to them") { try await $0.accountErasureDevices() },
        Suite("conversationDeletion", "use cases: only an owner deletes a group; members get conversation.deleted, then notFound; the data is purged") { try await $0.conversationDeletion() },
        Suite("accountErasure", "use cases: erasing an account's data tombstones its messages, hands ownership on and leaves every conversation") { try await $0.accountErasure() },
        Suite("notificationScan", "use cases: a burst to members who received nothing is one notification each; sender, delivered, read, muted and blocking members get none") { try await $0.notificationScan() },
        Suite("notificationRecords", "use cases: mention records are made once per job; covered offline requests and members who left make none") { try await $0.notificationRecords() },
        Suite("pushTokens", "use cases: push tokens per device, validated, bounded, moved, removed; erasure and conversation deletion remove records and tokens") { try await $0.pushTokens() },
        Suite("attachmentStore", "AttachmentStore: round trip, confirm once, attach once, expired unattached uploads by expiry, delete only unattached") { try await $0.attachmentStore() },
        Suite("attachmentFlow", "use cases: upload slots for members within the policy; a send attaches confirmed uploads of the sender once; downloads for members; expired uploads purged") { try await $0.attachmentFlow() },
        Suite("attachmentTransfersAndErasure", "use cases: upload slots and download URLs through the host's signer (refused without one); erasing an account deletes its unattached uploads and its tombstoned messages' files, objects first; kept messages keep theirs") { try await $0.attachmentTransfersAndErasure() },
    ]

    // MARK: Helpers

    func withStores(_ body: (ContractStores) async throws -> Void) async throws {
        try await adapter.withFreshStores(body)
    }

    func withStore(_ body: (any MessagingStore) async throws -> Void) async throws {
        try await adapter.withFreshStores { stores in try await body(stores.messaging) }
    }

    func makeUser(_ store: any MessagingStore, _ handle: String) async throws -> User {
        let user = try User(id: ids.next(), handle: Handle(handle), displayName: handle, createdAt: time)
        try await store.write { try $0.insert(user) }
        return user
    }

    func makeConversation(
        _ store: any MessagingStore, members: [User], at: Timestamp? = nil, encrypted: Bool = false
    ) async throws -> Conversation {
        let conversation = Conversation(
            id: ids.next(), kind: .group, title: "t", topic: nil, creatorID: members[0].id, createdAt: at ?? time,
            lastSeq: 0, lastActivityAt: at ?? time, isEncrypted: encrypted)
        let joined = time
        try await store.write { transaction throws in
            try transaction.insert(conversation, directKey: nil)
            for (index, user) in members.enumerated() {
                try transaction.insert(Member(
                    conversationID: conversation.id, userID: user.id, role: index == 0 ? .owner : .member, joinedAt: joined))
            }
        }
        return conversation
    }

    func makeMessage(
        _ conversation: ConversationID, _ sender: UserID, seq: Int64, body: MessageBody = .text("hello"),
        kind: MessageKind = .text, key: String? = nil
    ) throws -> Message {
        Message(
            id: ids.next(), conversationID: conversation, senderID: sender, seq: seq,
            clientMessageID: try ClientMessageID(key ?? "k\(seq)"), kind: kind, body: body, replyToID: nil,
            threadRootID: nil, mentions: [sender],
            attachments: [try AttachmentReference(id: "a", mediaType: "image/png", byteCount: 3)],
            createdAt: time, editedAt: nil, deletedAt: nil, contentDigest: UInt64.max - 1)
    }

    /// Sends `text` the way a use case does: next `seq`, message row, event.
    func send(_ store: any MessagingStore, _ text: String, to conversation: ConversationID, by sender: UserID) async throws -> Message {
        try await store.write { transaction throws in
            let seq = try transaction.nextSeq(of: conversation, at: self.time)
            let message = try self.makeMessage(conversation, sender, seq: seq, body: .text(text), key: "send-\(self.ids.next())")
            try transaction.insert(message)
            try transaction.append(ConversationEvent(
                conversationID: conversation, seq: seq, actorID: sender, occurredAt: self.time, payload: .messageCreated(message)))
            return message
        }
    }
}

/// Asserts that `body` throws a `MessagingCore.MessagingError` with `code`, and records
/// an issue naming what happened instead.
public func expectError<T>(
    _ code: MessagingError.Code, _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async {
    do {
        _ = try await body()
        Issue.record("expected \(code), got success \(comment)", sourceLocation: sourceLocation)
    } catch let error as MessagingError {
        #expect(error.code == code, "\(comment): \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected MessagingError \(code), got \(error) \(comment)", sourceLocation: sourceLocation)
    }
}

