import Foundation
import GRDB
import MessagingCore
@testable import MessagingPersistence
import Testing

@Suite("Schema upgrades")
struct UpgradeTests {
    @Test("a database made before v3-e2ee is upgraded in place: its conversations stay plain, its messages readable, and it takes encrypted ones")
    func fromVersion2() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("upgrade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("old.sqlite").path
        let ids = UUIDv7Generator()
        let user: UserID = ids.next()
        let room: ConversationID = ids.next()
        let message: MessageID = ids.next()
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteSchema.migrator.migrate(queue, upTo: "v2-delivery")
            try await queue.write { db in
                #expect(try !db.columns(in: "conversations").contains { $0.name == "encrypted" })
                try db.execute(sql: "INSERT INTO users (id, handle, display_name, created_at) VALUES (?, 'old', 'Old', 1)", arguments: [RowCoding.blob(user)])
                try db.execute(
                    sql: """
                        INSERT INTO conversations (id, kind, title, creator_id, created_at, last_seq, last_activity_at)
                        VALUES (?, 'group', 'before', ?, 1, 1, 1)
                        """, arguments: [RowCoding.blob(room), RowCoding.blob(user)])
                try db.execute(
                    sql: "INSERT INTO members (conversation_id, user_id, role, joined_at) VALUES (?, ?, 'owner', 1)",
                    arguments: [RowCoding.blob(room), RowCoding.blob(user)])
                try db.execute(
                    sql: """
                        INSERT INTO messages (id, conversation_id, seq, sender_id, client_message_id, kind, body, created_at, content_digest)
                        VALUES (?, ?, 1, ?, 'c-1', 'text', 'from the old schema', 1, 7)
                        """, arguments: [RowCoding.blob(message), RowCoding.blob(room), RowCoding.blob(user)])
                try db.execute(
                    sql: "INSERT INTO events (conversation_id, seq, type, actor_id, message_id, occurred_at) VALUES (?, 1, 'messageCreated', ?, ?, 1)",
                    arguments: [RowCoding.blob(room), RowCoding.blob(user), RowCoding.blob(message)])
            }
        }
        let messaging = Messaging(store: try SQLiteMessagingStore(path: path))
        let conversation = try await messaging.conversations.conversation(room, for: user)
        #expect(!conversation.isEncrypted && conversation.title == "before")
        let history = try await messaging.messages.history(of: room, for: user)
        #expect(history.messages.map(\.body) == [.text("from the old schema")] && history.messages.first?.encryption == nil)
        let events = try await messaging.sync.events(in: room, after: 0, limit: 10, for: user)
        #expect(events.events.map(\.seq) == [1])
        _ = try await messaging.messages.send(try MessageDraft(text: "after", clientMessageID: ClientMessageID("c-2")), to: room, by: user)
        // Without a verifier, encryption is refused with a message that says what to configure.
        await #expect {
            _ = try await messaging.conversations.create(.group(title: "secret", members: []), by: user, encrypted: true)
        } throws: { error in
            (error as? MessagingError)?.message.contains("EndToEndVerifier") == true
        }
    }
}
