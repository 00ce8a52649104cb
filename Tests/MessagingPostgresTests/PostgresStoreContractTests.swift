import Foundation
import MessagingCore
import MessagingPostgres
import MessagingTesting
import Testing

/// The store contract (MessagingTesting) on the PostgreSQL adapter: every suite, one test case each.
@Suite("Store contract: PostgreSQL")
struct PostgresStoreContractTests {
    @Test("store contract", arguments: StoreContract.suites)
    func suite(_ suite: StoreContract.Suite) async throws {
        try await suite.run(StoreContract(.postgres))
    }
}
