import Foundation
import MessagingCore
import MessagingPersistence
import Synchronization

/// A store implementation under test. The contract suites run once per entry of ``all``;
/// a PostgreSQL adapter adds its own entry and runs the same suites.
struct StoreKind: Sendable, CustomTestStringConvertible {
    let name: String
    let make: @Sendable (_ directory: URL) throws -> any MessagingStore

    var testDescription: String { name }

    static let sqlite = StoreKind(name: "SQLite") { directory in
        try SQLiteMessagingStore(path: directory.appendingPathComponent("messaging.sqlite").path)
    }

    static let all: [StoreKind] = [.sqlite]
}

/// A wall clock tests move by hand.
final class ManualClock: WallClock {
    private let current: Mutex<Int64>

    init(start: Int64 = 1_750_000_000_000) { current = Mutex(start) }

    func now() -> Timestamp { Timestamp(millisecondsSince1970: current.withLock { $0 }) }

    func advance(milliseconds: Int64) { current.withLock { $0 += milliseconds } }
}

/// A fresh store in a temporary directory, the use cases over it, and a few users.
struct Fixture {
    let directory: URL
    let store: any MessagingStore
    let clock: ManualClock
    let messaging: Messaging

    init(_ kind: StoreKind = .sqlite, configuration: MessagingConfiguration = .init()) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("swift-messaging-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try kind.make(directory)
        clock = ManualClock()
        messaging = Messaging(store: store, clock: clock, configuration: configuration)
    }

    var databasePath: String { directory.appendingPathComponent("messaging.sqlite").path }

    func user(_ handle: String) async throws -> User {
        try await messaging.users.register(handle: handle, displayName: handle.capitalized)
    }

    func users(_ handles: String...) async throws -> [User] {
        var result: [User] = []
        for handle in handles { result.append(try await user(handle)) }
        return result
    }

    @discardableResult
    func send(_ text: String, key: String? = nil, to conversation: ConversationID, by user: UserID) async throws -> Message {
        let draft = try MessageDraft(text: text, clientMessageID: ClientMessageID(key ?? UUID().uuidString))
        return try await messaging.messages.send(draft, to: conversation, by: user).message
    }

    func allEvents(_ conversation: ConversationID, for user: UserID) async throws -> [ConversationEvent] {
        var events: [ConversationEvent] = []
        var after: Int64 = 0
        while true {
            let page = try await messaging.sync.events(in: conversation, after: after, limit: 500, for: user)
            events += page.events
            guard page.hasMore, let last = page.events.last else { return events }
            after = last.seq
        }
    }
}

/// Asserts that `body` throws a ``MessagingError`` with `code`.
func expectError<T>(
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

import Testing
