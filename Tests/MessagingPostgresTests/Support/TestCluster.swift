import Foundation
import Logging
import MessagingCore
import MessagingDelivery
@testable import MessagingPostgres
import PostgresNIO
import Synchronization

/// Several "nodes" in one test process, as several ChatServer processes would be: each has
/// its own connection pool, store, hub, event bus and revocation feed, all on one fresh
/// schema with channels of their own (channels are database-wide, so parallel tests must
/// not share them).
struct TestNode {
    let name: String
    let store: PostgresMessagingStore
    let hub: FanoutHub
    let bus: PostgresEventBus
    let revocations: PostgresSessionEvents
    /// The use cases publishing what they commit on this node's bus.
    let messaging: Messaging
}

/// The names of a cluster's background tasks that have not ended yet.
final class RunningTasks: Sendable {
    let names = Mutex<Set<String>>([])
}

enum TestCluster {
    /// Runs `body` with `count` nodes whose buses and feeds are listening; drops the schema afterwards.
    static func with<T>(nodes count: Int = 2, _ body: ([TestNode]) async throws -> T) async throws -> T {
        let url = try TestDatabase.url()
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let schema = "cluster_" + suffix
        try await TestDatabase.withAdminConnection(url) { try await $0.query("CREATE SCHEMA \(unescaped: schema)", logger: TestDatabase.logger) }
        var configuration = TestDatabase.testing
        configuration.channels = try PostgresChannels(prefix: "t" + suffix)
        let logger = TestDatabase.logger
        var clients: [PostgresClient] = []
        var nodes: [TestNode] = []
        for index in 0..<count {
            var clientConfiguration = url.clientConfiguration
            clientConfiguration.options.additionalStartupParameters = [("search_path", schema)]
            clientConfiguration.options.maximumConnections = configuration.transactionThreads
            let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
            clients.append(client)
            let store = PostgresMessagingStore(client: client, configuration: configuration, logger: logger)
            let hub = FanoutHub(messaging: Messaging(store: store), logger: logger)
            let name = "node\(index)_\(suffix.prefix(12))"
            let bus = PostgresEventBus(hub: hub, store: store, listener: listener(url, name: "bus_" + name), logger: logger)
            let revocations = PostgresSessionEvents(store: store, listener: listener(url, name: "rev_" + name), logger: logger)
            let messaging = Messaging(store: store).publishing(to: EventBusPublisher(bus: bus, logger: logger))
            nodes.append(TestNode(name: name, store: store, hub: hub, bus: bus, revocations: revocations, messaging: messaging))
        }
        // Which background tasks are still running: a teardown that takes long names them on
        // standard error (the PostgreSQL step once stalled with every task suspended).
        let running = RunningTasks()
        func track(_ name: String, _ work: @escaping @Sendable () async -> Void) -> @Sendable () async -> Void {
            running.names.withLock { _ = $0.insert(name) }
            return {
                await work()
                _ = running.names.withLock { $0.remove(name) }
            }
        }
        let outcome: Result<T, any Error> = await withTaskGroup(of: Void.self) { group in
            for (index, client) in clients.enumerated() { group.addTask(operation: track("pool \(index)") { await client.run() }) }
            defer {
                group.cancelAll()
                let watchdog = Task.detached { [running] in
                    try? await Task.sleep(for: .seconds(30))
                    let left = running.names.withLock { $0.sorted() }
                    if !left.isEmpty {
                        FileHandle.standardError.write(Data("TestCluster \(schema): still running 30 s after cancellation: \(left)\n".utf8))
                    }
                }
                Task.detached { [running] in
                    while running.names.withLock({ !$0.isEmpty }) { try? await Task.sleep(for: .milliseconds(100)) }
                    watchdog.cancel()
                }
            }
            do {
                try await nodes[0].store.migrate()
                for node in nodes {
                    group.addTask(operation: track("bus \(node.name)") { try? await node.bus.run() })
                    group.addTask(operation: track("revocations \(node.name)") { try? await node.revocations.run() })
                }
                for node in nodes {
                    try await waitUntil("the listeners of \(node.name) listen") {
                        node.bus.status.isListening && node.bus.feedStatus.isListening && node.bus.ephemeralStatus.isListening
                            && node.revocations.status.isListening
                    }
                }
                return .success(try await body(nodes))
            } catch {
                return .failure(error)
            }
        }
        _ = try? await TestDatabase.withAdminConnection(url) { try await $0.query("DROP SCHEMA \(unescaped: schema) CASCADE", logger: logger) }
        return try outcome.get()
    }

    /// A LISTEN connection named `name` (its `application_name`, so a test can terminate it).
    static func listener(_ url: PostgresURL, name: String) -> PostgresListenerConfiguration {
        var connection = try! url.connectionConfiguration()
        connection.tls = .disable
        connection.options.additionalStartupParameters = [("application_name", name)]
        return PostgresListenerConfiguration(
            connection: connection, reconnectDelay: .milliseconds(100), healthCheckInterval: .milliseconds(500))
    }

    /// Terminates the server backends of the connections named `name`; returns how many.
    static func terminate(applicationName name: String) async throws -> Int {
        try await TestDatabase.withAdminConnection(try TestDatabase.url()) { connection in
            let rows = try await connection.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = \(name)", logger: TestDatabase.logger)
            var count = 0
            for try await _ in rows { count += 1 }
            return count
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        let description: String
    }

    /// Polls `condition` every 20 ms for at most `limit`.
    static func waitUntil(_ what: String, within limit: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TimedOut(description: "timed out after \(limit): \(what)")
    }
}

/// Waits for a session's next event for at most `limit`; `nil` when none came.
func nextEvent(of session: OutboundSession, within limit: Duration = .seconds(5)) async -> EncodedEvent? {
    await withTaskGroup(of: EncodedEvent?.self) { group in
        group.addTask { await session.next() }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
