import Foundation
import MessagingCore
import MessagingPersistence
import MessagingTesting

/// A fresh store in a temporary directory, the use cases over it, and a few users.
struct Fixture {
    let directory: URL
    let store: any MessagingStore
    let clock: ManualClock.Wall
    let messaging: Messaging

    init(configuration: MessagingConfiguration = .init(), sqlite: SQLiteConfiguration = .init()) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("swift-messaging-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteMessagingStore(path: directory.appendingPathComponent("messaging.sqlite").path, configuration: sqlite)
        clock = ManualClock().wall
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
