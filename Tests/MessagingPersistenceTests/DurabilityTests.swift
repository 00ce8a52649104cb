import Foundation
import GRDB
import MessagingCore
import MessagingTesting
import MessagingPersistence
import Testing

@Suite("Opening, schema versions and corruption")
struct DurabilityTests {
    private func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-messaging-durability-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("data survives closing and reopening")
    func reopen() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nested/dirs/chat.sqlite").path
        var room: Conversation
        var alice: User
        do {
            let messaging = Messaging(store: try SQLiteMessagingStore(path: path))
            alice = try await messaging.users.register(handle: "alice", displayName: "Alice")
            room = try await messaging.conversations.create(.group(title: "kept", members: []), by: alice.id)
            _ = try await messaging.messages.send(try MessageDraft(text: "persisted", clientMessageID: ClientMessageID("1")), to: room.id, by: alice.id)
        }
        let reopened = Messaging(store: try SQLiteMessagingStore(path: path))
        let page = try await reopened.messages.history(of: room.id, for: alice.id)
        #expect(page.messages.map(\.body) == [.text("persisted")])
        #expect(try await reopened.search.search("persisted", for: alice.id).hits.count == 1)
    }

    @Test("a file that is not a database fails clearly and is never overwritten")
    func corrupt() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("garbage.sqlite").path
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try garbage.write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try SQLiteMessagingStore(path: path)
        } throws: { error in
            (error as? MessagingError)?.code == .corruptDatabase
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage, "the file is left exactly as it was")
    }

    @Test("a database with a valid header but damaged pages fails with corruptDatabase, untouched")
    func damagedPages() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("damaged.sqlite").path
        do {
            let messaging = Messaging(store: try SQLiteMessagingStore(path: path))
            _ = try await messaging.users.register(handle: "alice", displayName: "Alice")
        }
        // Checkpointed into the main file once the pool closed; now damage the schema page.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for index in 100..<min(bytes.count, 4096) { bytes[index] = 0xFF }
        try bytes.write(to: URL(fileURLWithPath: path))
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        #expect {
            _ = try SQLiteMessagingStore(path: path)
        } throws: { error in
            (error as? MessagingError)?.code == .corruptDatabase
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
    }

    @Test("a database written by a newer schema is refused, not migrated")
    func newerSchema() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("future.sqlite").path
        _ = try SQLiteMessagingStore(path: path)
        // Simulate a later release having applied a migration this one does not know.
        try runSQLite(path, "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
        #expect {
            _ = try SQLiteMessagingStore(path: path)
        } throws: { error in
            guard let error = error as? MessagingError else { return false }
            return error.code == .incompatibleSchema && error.message.contains("v99-from-the-future")
        }
    }

    @Test("the expiry sweep removes expired rows in bounded batches")
    func sweep() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteMessagingStore(path: directory.appendingPathComponent("s.sqlite").path)
        let clock = ManualClock().wall
        let now = clock.now()
        try await store.write { transaction in
            for index in 0..<1_234 {
                try transaction.saveIdempotencyRecord(scope: "s", key: "old\(index)", value: "v", expiresAt: now)
            }
            try transaction.saveIdempotencyRecord(scope: "s", key: "fresh", value: "v", expiresAt: now.adding(milliseconds: 1))
        }
        let maintenance = SQLiteMaintenance(store: store, clock: clock, batchSize: 500, maxBatchesPerRun: 2)
        #expect(try await maintenance.sweepOnce() == 1_000, "bounded: two batches of 500")
        #expect(try await maintenance.sweepOnce() == 234)
        #expect(try await maintenance.sweepOnce() == 0)
        #expect(try await store.read { try $0.idempotencyRecord(scope: "s", key: "fresh", now: now) } == "v")
    }
}

/// Runs raw SQL on a database file through a separate GRDB connection (tests only).
func runSQLite(_ path: String, _ sql: String) throws {
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in try db.execute(sql: sql) }
}
