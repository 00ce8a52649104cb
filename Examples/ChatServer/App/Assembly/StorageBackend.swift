import Foundation
import Logging
import MessagingAuth
import MessagingCore
import MessagingDelivery
import MessagingPersistence
import MessagingPostgres
import MessagingPresence
import PostgresNIO
import ServiceLifecycle

/// Where a chat server keeps its state: one SQLite file (a single node), or a PostgreSQL
/// database that several nodes share (``ChatServerConfiguration/postgresURL``).
///
/// On PostgreSQL the server's event bus, revocation feed, presence and login throttle are
/// the shared adapters of `MessagingPostgres`, so a cluster of servers behind a load
/// balancer behaves as one; on SQLite they are the in-process ones.
///
/// Thread safety: immutable; safe to share across tasks.
struct StorageBackend: Sendable {
    enum Kind: Sendable {
        case sqlite(SQLiteMessagingStore)
        case postgres(PostgresMessagingStore, PostgresClient, PostgresListenerConfiguration)
    }

    let kind: Kind
    let store: any MessagingStore & AckCursorStore
    let authStore: any AuthStore
    let jobs: any JobQueue
    let presence: any PresenceStore
    /// `nil`: the auth service's in-process throttle.
    let throttle: (any LoginThrottle)?
    let sessionEvents: any SessionEvents
    /// Per-user rate-limit counts shared by the nodes (PostgreSQL only).
    let rateWindows: PostgresRateWindows?
    /// What readiness and logs call the database (never with a password).
    let description: String

    /// One SQLite file, created with its directory.
    static func sqlite(path: String, logger: Logger) throws -> StorageBackend {
        let url = URL(fileURLWithPath: path)
        let store: SQLiteMessagingStore
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            store = try SQLiteMessagingStore(path: url.path, logger: logger)
        } catch {
            throw ChatServerError(
                code: .database,
                message: "Cannot open the database at \(url.path); check that its directory is writable and the file is a swift-messaging database.",
                cause: error)
        }
        return StorageBackend(
            kind: .sqlite(store), store: store, authStore: store.authStore, jobs: SQLiteJobQueue(store: store),
            presence: InMemoryPresenceStore(), throttle: nil, sessionEvents: InMemorySessionEvents(), rateWindows: nil,
            description: "sqlite:\(url.path)")
    }

    /// A PostgreSQL database shared with the other nodes; migrates it (once across nodes,
    /// under an advisory lock) through a short-lived connection pool before returning.
    static func postgres(url: PostgresURL, presenceNode: PresenceNodeID, logger: Logger) async throws -> StorageBackend {
        do {
            let migrator = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await migrator.run() }
                defer { group.cancelAll() }
                // The pool waits for the server indefinitely; a start gives up after 30 s.
                try await withThrowingTaskGroup(of: Bool.self) { race in
                    race.addTask {
                        try await PostgresMessagingStore(client: migrator, configuration: .init(transactionThreads: 1), logger: logger).migrate()
                        return true
                    }
                    race.addTask {
                        try await Task.sleep(for: .seconds(30))
                        return false
                    }
                    defer { race.cancelAll() }
                    guard try await race.next() == true else {
                        throw ChatServerError(code: .database, message: "PostgreSQL at \(url) did not answer within 30 s.")
                    }
                }
            }
        } catch {
            throw ChatServerError(
                code: .database,
                message: "Cannot migrate the PostgreSQL database at \(url); check that it runs, the role may create tables, and its schema is swift-messaging's.",
                cause: error)
        }
        var clientConfiguration = url.clientConfiguration
        clientConfiguration.options.maximumConnections = 16
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        let store = PostgresMessagingStore(client: client, configuration: .init(transactionThreads: 16), logger: logger)
        let listener = try PostgresListenerConfiguration(url: url)
        return StorageBackend(
            kind: .postgres(store, client, listener), store: store, authStore: PostgresAuthStore(store),
            jobs: PostgresJobQueue(store: store), presence: PostgresPresenceStore(store, node: presenceNode),
            throttle: PostgresLoginThrottle(store, logger: logger),
            sessionEvents: PostgresSessionEvents(store: store, listener: listener, logger: logger),
            rateWindows: PostgresRateWindows(store: store, logger: logger),
            description: url.description)
    }

    /// The cluster-wide check of per-user HTTP rate limits, or `nil` on one node.
    func sharedRateCheck(wallClock: any WallClock) -> HTTPRateLimiter<ContinuousClock>.SharedCheck? {
        guard let rateWindows else { return nil }
        return { key, limit in rateWindows.admit(key, limit: limit, at: wallClock.now()) }
    }

    /// The event bus feeding `hub`: the hub itself on one node, LISTEN/NOTIFY on PostgreSQL.
    func makeBus(hub: FanoutHub, logger: Logger) -> any EventBus {
        switch kind {
        case .sqlite: InMemoryEventBus(hub: hub)
        case .postgres(let store, _, let listener): PostgresEventBus(hub: hub, store: store, listener: listener, logger: logger)
        }
    }

    /// On PostgreSQL, the feed that pushes other nodes' presence changes into `tracker`
    /// (run it beside the tracker); `nil` on SQLite.
    func presenceFeed(
        tracker: PresenceTracker<ContinuousClock>, node: PresenceNodeID, logger: Logger
    ) -> PostgresPresenceFeed? {
        guard case .postgres(let store, _, let listener) = kind else { return nil }
        return PostgresPresenceFeed(store: store, listener: listener, node: node, logger: logger) { users in
            await tracker.refreshRemote(users)
        }
    }

    /// Why the shared listeners cannot serve now, or `nil` (always `nil` on SQLite).
    static func listenerBlocker(bus: any EventBus, sessionEvents: any SessionEvents) -> String? {
        if let bus = bus as? PostgresEventBus, !bus.status.isListening {
            return "the event bus is not listening (\(bus.status.lastError ?? "connecting"))"
        }
        if let bus = bus as? PostgresEventBus, !bus.feedStatus.isListening {
            return "the feed listener is not listening (\(bus.feedStatus.lastError ?? "connecting"))"
        }
        if let feed = sessionEvents as? PostgresSessionEvents, !feed.status.isListening {
            return "the revocation feed is not listening (\(feed.status.lastError ?? "connecting"))"
        }
        return nil
    }

    /// The services the backend needs, first in the group (so they stop last): database
    /// maintenance on SQLite; on PostgreSQL the connection pool and the two LISTEN connections.
    func services(bus: any EventBus, logger: Logger) -> [any Service] {
        switch kind {
        case .sqlite(let store):
            return [SQLiteMaintenance(store: store, logger: logger)]
        case .postgres(_, let client, _):
            var services: [any Service] = [client]
            if let bus = bus as? PostgresEventBus { services.append(bus) }
            if let feed = sessionEvents as? PostgresSessionEvents { services.append(feed) }
            if let rateWindows { services.append(rateWindows) }
            return services
        }
    }
}
