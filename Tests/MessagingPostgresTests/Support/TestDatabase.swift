import Foundation
import Logging
import MessagingCore
import MessagingPostgres
import MessagingTesting
import PostgresNIO

/// The throwaway PostgreSQL server `make test` starts (`scripts/postgres-test.sh`), found
/// through `MESSAGING_TEST_POSTGRES_URL`. Without it, or when the server cannot be
/// reached, every PostgreSQL test fails with a message that says how to start one: these
/// tests are never skipped.
enum TestDatabase {
    static let environmentVariable = "MESSAGING_TEST_POSTGRES_URL"

    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// Small pools: the suites run in parallel, each on its own store.
    static let testing = PostgresStoreConfiguration(transactionThreads: 4)

    static var logger: Logger {
        var logger = Logger(label: "test.postgres") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
        return logger
    }

    static func url() throws -> PostgresURL {
        guard let text = ProcessInfo.processInfo.environment[environmentVariable], !text.isEmpty else {
            throw Unavailable(description: """
                \(environmentVariable) is not set, so the PostgreSQL tests have no server. Run them through `make test` \
                (it starts a throwaway server), or start one with `eval "$(scripts/postgres-test.sh start)"` and \
                stop it with `scripts/postgres-test.sh stop`.
                """)
        }
        return try PostgresURL(text)
    }

    /// A connection outside any pool, for creating and dropping schemas.
    static func withAdminConnection<T>(_ url: PostgresURL, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database,
            tls: .disable)
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw Unavailable(description: "The PostgreSQL server at \(url) cannot be reached (\(String(reflecting: error))). Is it running? `make test` starts one.")
        }
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A fresh schema (the search path of every pooled connection) with the store
    /// migrated into it, the client running; the schema is dropped afterwards.
    static func withFreshStore<T>(
        configuration: PostgresStoreConfiguration = testing, _ body: (PostgresMessagingStore) async throws -> T
    ) async throws -> T {
        let url = try url()
        let schema = "contract_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await withAdminConnection(url) { try await $0.query("CREATE SCHEMA \(unescaped: schema)", logger: logger) }
        var clientConfiguration = url.clientConfiguration
        clientConfiguration.options.additionalStartupParameters = [("search_path", schema)]
        clientConfiguration.options.maximumConnections = configuration.transactionThreads
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        let store = PostgresMessagingStore(client: client, configuration: configuration, logger: logger)
        let outcome: Result<T, any Error> = await withTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            do {
                try await store.migrate()
                return .success(try await body(store))
            } catch {
                return .failure(error)
            }
        }
        try? await withAdminConnection(url) { try await $0.query("DROP SCHEMA \(unescaped: schema) CASCADE", logger: logger) }
        return try outcome.get()
    }
}

extension StoreAdapter {
    /// PostgreSQL: a new schema per test in the database of `MESSAGING_TEST_POSTGRES_URL`.
    static let postgres = StoreAdapter(name: "PostgreSQL") { body in
        try await TestDatabase.withFreshStore { store in
            try await body(ContractStores(
                messaging: store, auth: PostgresAuthStore(store), jobs: PostgresJobQueue(store: store), ackCursors: store))
        }
    }
}
