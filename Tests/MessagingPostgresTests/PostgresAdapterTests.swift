import Foundation
import MessagingCore
@testable import MessagingPostgres
import MessagingTesting
import PostgresNIO
import Testing

/// What only the PostgreSQL adapter shows: URLs, migrations, and several stores (as
/// several nodes would hold) on one database.
@Suite("PostgreSQL adapter")
struct PostgresAdapterTests {
    @Test("URLs: user, password, host, port, database and sslmode; the password never shows")
    func urls() throws {
        let url = try PostgresURL("postgresql://chat:s%40cret@127.0.0.1:6543/messages?sslmode=disable")
        #expect(url.username == "chat" && url.password == "s@cret" && url.host == "127.0.0.1" && url.port == 6543)
        #expect(url.database == "messages" && url.tls == .disable)
        #expect(!url.description.contains("cret") && url.description.contains("***"))
        #expect(try PostgresURL("postgres://chat@db.internal/messages").port == 5432)
        #expect(try PostgresURL("postgres://chat@db.internal/messages").tls == .prefer)
        for bad in [
            "mysql://chat:pw@host/db", "postgres://host/db", "postgres://chat:pw@host", "postgres://chat:pw@host/a/b",
            "postgres://chat:topsecret@host/db?sslmode=maybe", "postgres://chat:topsecret@host/db?application_name=x", "not a url",
        ] {
            do {
                _ = try PostgresURL(bad)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.code == .invalidInput)
                #expect(!error.message.contains("topsecret"), "an error never echoes the password")
            }
        }
    }

    @Test("migrate twice, and from several nodes at once: applied once, recorded once")
    func migrations() async throws {
        try await TestDatabase.withFreshStore { store in
            try await store.migrate()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { try await store.migrate() } }
                try await group.waitForAll()
            }
            let recorded = try await store.transaction(readOnly: true) { transaction in
                try transaction.fetchAll("SELECT identifier FROM swift_messaging_migrations", "reading migrations") { try $0.string(0) }
            }.value
            #expect(recorded.sorted() == PostgresSchema.migrations.map(\.identifier).sorted(), "each migration recorded once")
            #expect(recorded.contains("pg-v5-user-feed") && recorded.contains("pg-v6-moderation") && recorded.contains("pg-v7-retention"))
        }
    }

    @Test("a database migrated by a newer version is refused with incompatibleSchema and left unchanged")
    func newerSchema() async throws {
        try await TestDatabase.withFreshStore { store in
            try await store.transaction(readOnly: false) { transaction in
                try transaction.execute("INSERT INTO swift_messaging_migrations VALUES ('pg-v99-future', 0)", "faking a newer migration")
            }
            await expectError(.incompatibleSchema) { try await store.migrate() }
            let count = try await store.transaction(readOnly: true) { transaction in
                try transaction.fetchOne("SELECT count(*) FROM swift_messaging_migrations", "counting") { try $0.int64(0) }
            }.value
            #expect(count == Int64(PostgresSchema.migrations.count + 1), "every known migration and the fake one, nothing more")
        }
    }

    @Test("two stores on one database (two nodes) sending into one conversation: one gapless seq, one message per key")
    func twoNodes() async throws {
        try await TestDatabase.withFreshStore { nodeA in
            // The second node: another client and store on the same schema.
            let url = try TestDatabase.url()
            let schema = try await nodeA.transaction(readOnly: true) { try $0.fetchOne("SELECT current_schema()", "reading the schema") { try $0.string(0) } }.value
            var configuration = url.clientConfiguration
            configuration.options.additionalStartupParameters = [("search_path", try #require(schema))]
            configuration.options.maximumConnections = TestDatabase.testing.transactionThreads
            let client = PostgresClient(configuration: configuration, backgroundLogger: TestDatabase.logger)
            let nodeB = PostgresMessagingStore(client: client, configuration: TestDatabase.testing, logger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                let clock = ManualClock()
                let a = Messaging(store: nodeA, clock: clock.wall)
                let b = Messaging(store: nodeB, clock: clock.wall)
                let alice = try await a.users.register(handle: "alice", displayName: "Alice")
                let bob = try await b.users.register(handle: "bob", displayName: "Bob")
                let room = try await a.conversations.create(.group(title: "two nodes", members: [bob.id]), by: alice.id)
                let receipts = try await withThrowingTaskGroup(of: [SendReceipt].self) { senders in
                    for (node, user) in [(a, alice), (b, bob), (a, bob), (b, alice)] {
                        senders.addTask {
                            var receipts: [SendReceipt] = []
                            for index in 0..<100 {
                                // The same keys from both nodes: each (sender, key) is stored once.
                                let draft = try MessageDraft(text: "m\(index)", clientMessageID: ClientMessageID("\(user.handle)-\(index)"))
                                receipts.append(try await node.messages.send(draft, to: room.id, by: user.id))
                            }
                            return receipts
                        }
                    }
                    return try await senders.reduce(into: []) { $0 += $1 }
                }
                #expect(receipts.count == 400)
                #expect(receipts.filter { !$0.isDuplicate }.count == 200, "each key stored once across both nodes")
                let history = try await nodeB.read { try $0.messages(in: room.id, after: nil, limit: 1000) }
                #expect(history.map(\.seq) == Array(1...200), "gapless across both nodes")
                #expect(Set(receipts.map(\.message.id)).count == 200)
            }
        }
    }

    @Test("without MESSAGING_TEST_POSTGRES_URL or a reachable server the tests fail, they are never skipped")
    func unavailable() async throws {
        let unreachable = try PostgresURL("postgres://nobody:pw@127.0.0.1:1/none?sslmode=disable")
        await #expect(throws: TestDatabase.Unavailable.self) {
            try await TestDatabase.withAdminConnection(unreachable) { _ in }
        }
        // The URL the suite runs against is present and reachable.
        let url = try TestDatabase.url()
        let version = try await TestDatabase.withAdminConnection(url) { connection in
            try await connection.query("SHOW server_version_num", logger: TestDatabase.logger).collect().first?.decode(String.self)
        }
        #expect((Int(version ?? "") ?? 0) >= 130_000, "PostgreSQL 13 or later")
    }
}
