import MessagingCore

/// The stores one adapter provides for one contract test, all over the same fresh, empty
/// database.
///
/// Thread safety: a value type holding `Sendable` stores; safe to share across tasks.
public struct ContractStores: Sendable {
    /// The use cases' store.
    public var messaging: any MessagingStore
    /// The auth store over the same database (its users are the messaging store's users).
    public var auth: any AuthStore
    /// The durable job queue the messaging store's outbox writes to.
    public var jobs: any JobQueue
    /// The acknowledgement cursors.
    public var ackCursors: any AckCursorStore

    /// Bundles the stores of one adapter.
    public init(messaging: any MessagingStore, auth: any AuthStore, jobs: any JobQueue, ackCursors: any AckCursorStore) {
        self.messaging = messaging
        self.auth = auth
        self.jobs = jobs
        self.ackCursors = ackCursors
    }
}

/// An adapter under test: its name and how to make fresh stores for one test.
///
/// `withFreshStores` must hand `body` stores over a database that no other test uses
/// (a new SQLite file, a new PostgreSQL schema or database), and clean up after `body`
/// returns or throws. When the database cannot be reached it must throw, never call `body`
/// with something else: a contract run that cannot start fails.
///
/// Thread safety: a value type; safe to share across tasks.
public struct StoreAdapter: Sendable, CustomStringConvertible {
    /// The adapter's name, as test output shows it ("SQLite", "PostgreSQL").
    public let name: String
    let withFreshStores: @Sendable (_ body: (ContractStores) async throws -> Void) async throws -> Void

    /// Describes an adapter by its name and a scoped factory of fresh stores.
    public init(
        name: String,
        withFreshStores: @escaping @Sendable (_ body: (ContractStores) async throws -> Void) async throws -> Void
    ) {
        self.name = name
        self.withFreshStores = withFreshStores
    }

    public var description: String { name }
}
