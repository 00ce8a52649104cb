import Foundation
import MessagingCore
import MessagingPersistence
import Testing

/// The messaging store and the auth store share one pool of reader connections. When the
/// messaging store read synchronously on the calling task's thread and the auth store through
/// GRDB's async read (which keeps its reader until the task resumes), synchronous reads
/// waiting for a reader blocked every cooperative thread, and the async readers could never
/// resume to give theirs back: the whole process stopped (seen under 100 WebSocket clients
/// connecting at once). Both read the same way now; this runs them mixed on one reader.
@Suite("SQLite reader pool", .timeLimit(.minutes(1)))
struct ReaderPoolTests {
    @Test("auth reads and messaging reads from many tasks at once on one reader all complete")
    func mixedReadsOnOneReader() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reader-pool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = SQLiteConfiguration()
        configuration.maximumReaderCount = 1
        let store = try SQLiteMessagingStore(path: directory.appendingPathComponent("db.sqlite").path, configuration: configuration)
        let auth = SQLiteAuthStore(store)
        let messaging = Messaging(store: store, clock: SystemWallClock())
        let alice = try await messaging.users.register(handle: "alice", displayName: "Alice")
        let found = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<64 {
                group.addTask {
                    var found = 0
                    for _ in 0..<50 {
                        let user =
                            task.isMultiple(of: 2)
                            ? try await auth.read { try $0.user(id: alice.id) }
                            : try await store.read { try $0.user(id: alice.id) }
                        if user?.id == alice.id { found += 1 }
                    }
                    return found
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(found == 64 * 50)
    }
}
