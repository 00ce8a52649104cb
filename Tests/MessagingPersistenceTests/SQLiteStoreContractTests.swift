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

/// The store contract (MessagingTesting) on the SQLite adapter: every suite, one test case each.
@Suite("Store contract: SQLite")
struct SQLiteStoreContractTests {
    @Test("store contract", arguments: StoreContract.suites)
    func suite(_ suite: StoreContract.Suite) async throws {
        try await suite.run(StoreContract(.sqlite))
    }
}
