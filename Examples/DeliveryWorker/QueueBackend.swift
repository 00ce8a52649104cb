import ArgumentParser
import Logging
import MessagingCore
import MessagingPersistence
import MessagingPostgres
import PostgresNIO

extension StoreOptions {
    /// The PostgreSQL URL from `--postgres` or `MESSAGING_POSTGRES_URL`, if either is given.
    func postgresURL() throws -> PostgresURL? {
        guard let text = postgres ?? Environment.value("MESSAGING_POSTGRES_URL") else { return nil }
        do {
            return try PostgresURL(text)
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// Runs `body` with the job queue of the configured database: the PostgreSQL one (its
    /// connection pool running around `body`, migrated first) when a URL is given, else the
    /// SQLite file's.
    func withQueue<T: Sendable>(logger: Logger, _ body: (any JobQueue) async throws -> T) async throws -> T {
        try await withStores(logger: logger) { queue, _ in try await body(queue) }
    }

    /// Runs `body` with the job queue and the messaging store of the configured database (the
    /// retention and purge jobs need the store).
    func withStores<T: Sendable>(
        logger: Logger, _ body: (any JobQueue, any MessagingStore) async throws -> T
    ) async throws -> T {
        guard let url = try postgresURL() else {
            let store = try openStore(logger: logger)
            return try await body(SQLiteJobQueue(store: store), store)
        }
        var configuration = url.clientConfiguration
        configuration.options.maximumConnections = 8
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let store = PostgresMessagingStore(client: client, configuration: .init(transactionThreads: 8), logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            // The pool waits for the server indefinitely; give up after 30 s with a message.
            let migrated = try await withThrowingTaskGroup(of: Bool.self) { race in
                race.addTask {
                    try await store.migrate()
                    return true
                }
                race.addTask {
                    try await Task.sleep(for: .seconds(30))
                    return false
                }
                defer { race.cancelAll() }
                return try await race.next() ?? false
            }
            guard migrated else {
                throw MessagingError(code: .storage, message: "PostgreSQL at \(url) did not answer within 30 s; check the URL and that the server runs.")
            }
            return try await body(PostgresJobQueue(store: store), store)
        }
    }
}
