import Foundation
import GRDB
import MessagingCore
import Synchronization
import Testing

@testable import MessagingPersistence

/// With `readsOnCallerThread`, reads run on the store's own read-only connections, on the
/// calling thread, only when that never makes the thread wait; otherwise on GRDB's pool.
@Suite("SQLite reads on the caller's thread", .timeLimit(.minutes(1)))
struct ReaderConnectionsTests {
    private static func makeStore(readers: Int = 4) throws -> (SQLiteMessagingStore, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("readers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = SQLiteConfiguration()
        configuration.maximumReaderCount = readers
        configuration.readsOnCallerThread = true
        return (try SQLiteMessagingStore(path: directory.appendingPathComponent("db.sqlite").path, configuration: configuration), directory)
    }

    @Test("by default reads run on GRDB's pool, never on the caller's thread")
    func defaultReadsOnThePool() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("readers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteMessagingStore(path: directory.appendingPathComponent("db.sqlite").path)
        let messaging = Messaging(store: store, clock: SystemWallClock())
        let user = try await messaging.users.register(handle: "pooled", displayName: "Pooled")
        #expect(try await store.read { try $0.user(id: user.id) }?.id == user.id)
        #expect(store.readers.served == 0)
    }

    @Test("an idle store reads on its own connection and sees every committed write")
    func readsOnOwnConnection() async throws {
        let (store, directory) = try Self.makeStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let messaging = Messaging(store: store, clock: SystemWallClock())
        let before = store.readers.served
        for index in 0..<20 {
            let user = try await messaging.users.register(handle: "user\(index)", displayName: "U\(index)")
            // Read-your-writes: the commit above is visible to the very next read.
            let found = try await store.read { try $0.user(id: user.id) }
            #expect(found?.id == user.id)
        }
        #expect(store.readers.served - before == 20)
    }

    @Test("a read that SQLite answers with SQLITE_BUSY on the caller's thread runs again on the pool")
    func busyFallsBackToThePool() async throws {
        let (store, directory) = try Self.makeStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let attempts = Mutex(0)
        let answer = try await store.readDatabase { db -> Int in
            let attempt = attempts.withLock { count in
                count += 1
                return count
            }
            if attempt == 1 { throw DatabaseError(resultCode: .SQLITE_BUSY, message: "database is locked") }
            return try Int.fetchOne(db, sql: "SELECT 42") ?? 0
        }
        #expect(answer == 42)
        #expect(attempts.withLock { $0 } == 2)
    }

    @Test("other errors of a read are not retried")
    func otherErrorsPropagate() async throws {
        let (store, directory) = try Self.makeStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let attempts = Mutex(0)
        await #expect(throws: MessagingError.self) {
            try await store.readDatabase { _ -> Int in
                attempts.withLock { $0 += 1 }
                throw MessagingError(code: .notFound, message: "nothing")
            }
        }
        #expect(attempts.withLock { $0 } == 1)
    }

    @Test("with every connection in use, a reader gets nil at once instead of waiting")
    func fullSetAnswersNil() async throws {
        let (store, directory) = try Self.makeStore(readers: 2)
        defer { try? FileManager.default.removeItem(at: directory) }
        let readers = store.readers
        // Two threads of the test's own hold both connections (no cooperative thread blocks).
        let release = DispatchSemaphore(value: 0)
        let holders = Counter()
        var threads: [Thread] = []
        for _ in 0..<2 {
            let thread = Thread {
                _ = try? readers.withReader { _ in
                    holders.value.add(1, ordering: .relaxed)
                    release.wait()
                }
                holders.value.add(10, ordering: .relaxed)
            }
            threads.append(thread)
            thread.start()
        }
        while holders.value.load(ordering: .relaxed) < 2 { try await Task.sleep(for: .milliseconds(1)) }
        let started = ContinuousClock.now
        let third = try readers.withReader { db in try Int.fetchOne(db, sql: "SELECT 1") }
        #expect(third == nil)
        #expect(ContinuousClock.now - started < .milliseconds(100))
        // The store's read still answers, through GRDB's pool.
        #expect(try await store.readDatabase { db in try Int.fetchOne(db, sql: "SELECT 2") } == 2)
        release.signal()
        release.signal()
        while holders.value.load(ordering: .relaxed) < 22 { try await Task.sleep(for: .milliseconds(1)) }
        // Given back: the next read is served again.
        #expect(try readers.withReader { db in try Int.fetchOne(db, sql: "SELECT 1") } == 1)
    }

    @Test("reads do not wait for a write transaction in progress")
    func readsDuringAWrite() async throws {
        let (store, directory) = try Self.makeStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let messaging = Messaging(store: store, clock: SystemWallClock())
        let alice = try await messaging.users.register(handle: "alice", displayName: "Alice")
        let lock = try await ExternalWriteLock(path: store.path)
        let before = store.readers.served
        let started = ContinuousClock.now
        let seen = try await store.read { try $0.user(id: alice.id) }
        let elapsed = ContinuousClock.now - started
        await lock.unlock()
        #expect(seen?.id == alice.id)
        #expect(store.readers.served - before == 1)
        #expect(elapsed < .seconds(2), "a read does not wait for the writer's lock")
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }
}
