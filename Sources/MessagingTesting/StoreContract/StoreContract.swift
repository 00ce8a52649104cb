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
/// Swift Testing (`#expect`), and throws when the stores themselves fail. ``allSuites``
/// lists every function by name, so an adapter's tests can check that none is missing.
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

    /// The names of every suite function, in declaration order.
    public static let allSuites: [String] = [
        "users", "conversations", "memberships", "sharedConversations", "readState", "messages", "events",
        "committedEvents", "concurrentSeq", "search", "devices", "idempotency", "rollback", "outbox",
        "credentials", "sessions", "refreshRotation", "ackCursors",
        "jobLeases", "jobRetry", "jobLastAttemptCrash", "deadLetterQueue", "jobCoalescing", "jobRelease",
        "jobClaimOrder", "concurrentClaims", "concurrentSends", "idempotentSends", "batchSends",
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

/// Asserts that `body` throws a ``MessagingCore/MessagingError`` with `code`, and records
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

extension StoreContract {
    /// The suites of ``allSuites`` that the Swift source file at `path` never calls as
    /// `contract.NAME()`: an adapter's test file passes its own `#filePath` and expects none.
    public static func suitesNotCalled(inSourceFile path: String) throws -> [String] {
        let source = try String(contentsOfFile: path, encoding: .utf8)
        return allSuites.filter { !source.contains("contract.\($0)()") }
    }
}
