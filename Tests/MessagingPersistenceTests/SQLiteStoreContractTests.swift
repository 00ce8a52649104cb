import Foundation
import MessagingCore
import MessagingPersistence
import MessagingTesting
import Testing

extension StoreAdapter {
    /// SQLite: a new database file in a new temporary directory per test.
    static let sqlite = StoreAdapter(name: "SQLite") { body in
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-messaging-contract-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteMessagingStore(path: directory.appendingPathComponent("messaging.sqlite").path)
        try await body(ContractStores(messaging: store, auth: SQLiteAuthStore(store), jobs: SQLiteJobQueue(store: store), ackCursors: store))
    }
}

/// The store contract (MessagingTesting) on the SQLite adapter: one `@Test` per suite.
@Suite("Store contract: SQLite")
struct SQLiteStoreContractTests {
    let contract = StoreContract(.sqlite)

    @Test("this file runs every suite of the contract")
    func everySuite() throws {
        #expect(try StoreContract.suitesNotCalled(inSourceFile: #filePath) == [])
    }

    @Test("UserStore: insert, look up by id and handle, unique handle")
    func users() async throws { try await contract.users() }

    @Test("ConversationStore: gapless nextSeq, direct key unique, list by activity with a keyset cursor")
    func conversations() async throws { try await contract.conversations() }

    @Test("MembershipStore: roles, counts, removal, monotonic read position")
    func memberships() async throws { try await contract.memberships() }

    @Test("MembershipStore: sharesConversation answers per pair, symmetric, and follows removal")
    func sharedConversations() async throws { try await contract.sharedConversations() }

    @Test("read state: watermarks only move forward; unread counts skip own and deleted messages")
    func readState() async throws { try await contract.readState() }

    @Test("MessageStore: round trip, idempotency lookup, keyset pages, tombstones, reactions")
    func messages() async throws { try await contract.messages() }

    @Test("EventLog: events after a seq, in order, with the message's current state")
    func events() async throws { try await contract.events() }

    @Test("commit returns exactly the events the write appended")
    func committedEvents() async throws { try await contract.committedEvents() }

    @Test("ConversationStore: concurrent writers get a gapless seq per conversation")
    func concurrentSeq() async throws { try await contract.concurrentSeq() }

    @Test("SearchIndex: literal words, member scope, no encrypted or deleted hits")
    func search() async throws { try await contract.search() }

    @Test("DeviceStore: devices, encrypted conversations, key state, gapless per-device envelope inboxes")
    func devices() async throws { try await contract.devices() }

    @Test("IdempotencyStore: records expire")
    func idempotency() async throws { try await contract.idempotency() }

    @Test("a write that throws rolls back everything it did")
    func rollback() async throws { try await contract.rollback() }

    @Test("JobOutbox: jobs commit with the transaction or not at all, and coalesce like the queue")
    func outbox() async throws { try await contract.outbox() }

    @Test("CredentialStore: insert once, rehash, change, disable, roles")
    func credentials() async throws { try await contract.credentials() }

    @Test("AuthSessionStore: sessions newest first, revoke one and all exactly once")
    func sessions() async throws { try await contract.sessions() }

    @Test("AuthSessionStore: refresh rotation is a compare-and-swap that remembers rotated hashes")
    func refreshRotation() async throws { try await contract.refreshRotation() }

    @Test("AckCursorStore: never backwards, owned by the first user")
    func ackCursors() async throws { try await contract.ackCursors() }

    @Test("JobQueue: one lease at a time; an expired lease can no longer finish the job")
    func jobLeases() async throws { try await contract.jobLeases() }

    @Test("JobQueue: a retry waits for its run time and keeps the attempt count")
    func jobRetry() async throws { try await contract.jobRetry() }

    @Test("JobQueue: the last attempt's expired lease dead-letters the job with its errors")
    func jobLastAttemptCrash() async throws { try await contract.jobLastAttemptCrash() }

    @Test("JobQueue: dead-letter queue: list, show, replay exactly once, purge")
    func deadLetterQueue() async throws { try await contract.deadLetterQueue() }

    @Test("JobQueue: records with one coalescing key merge while the job waits")
    func jobCoalescing() async throws { try await contract.jobCoalescing() }

    @Test("JobQueue: release gives the attempt back")
    func jobRelease() async throws { try await contract.jobRelease() }

    @Test("JobQueue: claims take the named queues, oldest due first, up to the limit")
    func jobClaimOrder() async throws { try await contract.jobClaimOrder() }

    @Test("JobQueue: concurrent workers never share a job and take every job once")
    func concurrentClaims() async throws { try await contract.concurrentClaims() }

    @Test("use cases: 8 tasks × 1,000 sends into one conversation get seq exactly 1…8,000")
    func concurrentSends() async throws { try await contract.concurrentSends() }

    @Test("use cases: 8 tasks sending the same client message id store one message")
    func idempotentSends() async throws { try await contract.idempotentSends() }

    @Test("use cases: a batch is one transaction")
    func batchSends() async throws { try await contract.batchSends() }
}
