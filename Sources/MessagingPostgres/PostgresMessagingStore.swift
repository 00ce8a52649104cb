import Foundation
import Logging
import MessagingCore
import NIOPosix
import PostgresNIO

/// The PostgreSQL implementation of `MessagingCore.MessagingStore` (and of
/// `MessagingCore.AckCursorStore`), for several processes on one database.
///
/// The store borrows connections from a `PostgresClient` the host runs (`client.run()`, or
/// the client as a `Service` in the host's `ServiceGroup`), and needs ``migrate()`` once at
/// startup.
///
/// **Transactions.** The use cases' closures are synchronous; the store runs each one on a
/// thread of its own pool (never on a Swift concurrency thread) and blocks that thread on
/// each statement. Writes run at `READ COMMITTED`: the row lock `nextSeq` takes on the
/// conversation is held until commit, so writers of one conversation queue there and `seq`
/// is gapless across every node. A write that fails because a concurrent one committed
/// first (a unique key taken meanwhile, a serialization failure or a deadlock) is run again
/// from the start in a new transaction, up to
/// ``PostgresStoreConfiguration/maximumAttempts`` times; the closure has no effect outside
/// its transaction, so this is safe, and the repeat sees the other write (an idempotent
/// send then returns the first message). Reads run at `REPEATABLE READ, READ ONLY`: one
/// snapshot; their `BEGIN` goes out together with the first statement (the connection
/// answers both in order), so a one-statement read costs two round trips, not three.
///
/// Thread safety: safe to share across tasks and processes.
public final class PostgresMessagingStore: MessagingStore, Sendable {
    let client: PostgresClient
    let configuration: PostgresStoreConfiguration
    let logger: Logger
    private let threads: NIOThreadPool

    /// A store over the database `client` connects to. Call ``migrate()`` before using it.
    public init(
        client: PostgresClient, configuration: PostgresStoreConfiguration = .init(),
        logger: Logger = Logger(label: "swift-messaging.postgres")
    ) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        threads = NIOThreadPool(numberOfThreads: max(1, configuration.transactionThreads))
        threads.start()
    }

    deinit {
        threads.shutdownGracefully { _ in }
    }

    /// Applies the migrations this library knows that the database lacks, in one
    /// transaction, holding an advisory lock so concurrent starts of several nodes migrate
    /// once. Throws `incompatibleSchema`, changing nothing, when the database was migrated
    /// by a newer version of this library.
    public func migrate() async throws {
        try await transaction(readOnly: false) { transaction in
            try transaction.execute("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLockKey))", "waiting for the migration lock")
            try transaction.execute(
                "CREATE TABLE IF NOT EXISTS swift_messaging_migrations (identifier text PRIMARY KEY, applied_at bigint NOT NULL)",
                "creating the migrations table")
            let applied = Set(try transaction.fetchAll("SELECT identifier FROM swift_messaging_migrations", "reading migrations") {
                try $0.string(0)
            })
            let unknown = applied.subtracting(PostgresSchema.knownMigrations)
            guard unknown.isEmpty else {
                throw MessagingError(
                    code: .incompatibleSchema,
                    message: "The PostgreSQL database was migrated by a newer version of swift-messaging (unknown migrations: \(unknown.sorted().joined(separator: ", "))). Upgrade the library; nothing was changed.")
            }
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            for migration in PostgresSchema.migrations where !applied.contains(migration.identifier) {
                for statement in migration.statements {
                    try transaction.execute(PostgresQuery(unsafeSQL: statement), "applying migration \(migration.identifier)")
                }
                try transaction.execute(
                    "INSERT INTO swift_messaging_migrations (identifier, applied_at) VALUES (\(migration.identifier), \(now))",
                    "recording migration \(migration.identifier)")
            }
        }
        logger.debug("migrated PostgreSQL store")
    }

    public func read<Result: Sendable>(_ body: @Sendable (any MessagingTransaction) throws -> Result) async throws -> Result {
        try await transaction(readOnly: true) { try body($0) }.value
    }

    public func commit<Result: Sendable>(
        _ body: @Sendable (any MessagingTransaction) throws -> Result
    ) async throws -> Committed<Result> {
        try await transaction(readOnly: false) { try body($0) }
    }

    /// Runs `body` in one transaction on a leased connection, on a thread of the store's
    /// pool; re-runs it when the database reports a race (see the type's documentation).
    @discardableResult
    func transaction<Result: Sendable>(
        readOnly: Bool, _ body: @Sendable (PostgresTransaction) throws -> Result
    ) async throws -> Committed<Result> {
        let maximumAttempts = max(1, configuration.maximumAttempts)
        let logger = logger
        let announcement = readOnly ? nil : Announcement(channels: configuration.channels, events: configuration.announcesEvents)
        do {
            return try await withoutActuallyEscaping(body) { body in
                // The thread pool may keep its work item (and what it captures) a little
                // after answering; the box it captures lets go of `body` before this
                // block ends, so `body` never outlives the call.
                let box = ClosureBox(body)
                defer { box.clear() }
                return try await client.withConnection { connection in
                    try await threads.runIfActive {
                        try Self.run(
                            box.closure(), on: connection, readOnly: readOnly, announcing: announcement,
                            maximumAttempts: maximumAttempts, logger: logger)
                    }
                }
            }
        } catch let error as PSQLError {
            // Failures outside the closure's statements: leasing a connection, the pool.
            throw PostgresErrors.map(error, "running a transaction")
        }
        // Anything else, the closure's own errors included, is rethrown unchanged.
    }

    private static func run<Result: Sendable>(
        _ body: (PostgresTransaction) throws -> Result, on connection: PostgresConnection, readOnly: Bool,
        announcing announcement: Announcement?, maximumAttempts: Int, logger: Logger
    ) throws -> Committed<Result> {
        var attempt = 1
        while true {
            let transaction = PostgresTransaction(connection: connection, logger: logger, record: TransactionRecord())
            do {
                if readOnly {
                    // Pipelined: the first statement follows without waiting (see
                    // `TransactionRecord.pendingBegin`). Only for reads: a write whose BEGIN
                    // failed must never run a statement outside its transaction.
                    transaction.record.pendingBegin = connection.query(
                        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
                } else {
                    try transaction.execute("BEGIN ISOLATION LEVEL READ COMMITTED", "starting a transaction")
                }
                let value = try body(transaction)
                if let announcement {
                    // In the transaction: delivered only if (and when) it commits.
                    try transaction.announce(on: announcement.channels, events: announcement.events)
                }
                try transaction.execute("COMMIT", "committing")
                return Committed(value, events: transaction.record.events)
            } catch {
                _ = try? connection.query("ROLLBACK", logger: logger).wait()
                guard transaction.record.retryable, attempt < maximumAttempts else { throw error }
                attempt += 1
                logger.debug("re-running a transaction that raced another one", metadata: ["attempt": "\(attempt)"])
            }
        }
    }
}

extension PostgresMessagingStore: AckCursorStore {
    public func save(_ cursors: [AckCursor], at now: Timestamp) async throws {
        guard !cursors.isEmpty else { return }
        try await transaction(readOnly: false) { try $0.saveAckCursors(cursors, at: now) }
    }

    public func cursors(of device: DeviceID) async throws -> [AckCursor] {
        try await transaction(readOnly: true) { try $0.ackCursors(of: device) }.value
    }
}

/// What a writing transaction announces before it commits.
struct Announcement: Sendable {
    let channels: PostgresChannels
    let events: Bool
}

/// How a ``PostgresMessagingStore`` runs transactions.
///
/// Thread safety: a value type; safe to share across tasks.
public struct PostgresStoreConfiguration: Hashable, Sendable {
    /// Threads that run transaction closures at once; match the client's maximum connections.
    public var transactionThreads: Int
    /// How many times a write that raced another one is run in all before its error is thrown.
    public var maximumAttempts: Int
    /// The LISTEN/NOTIFY channels of the deployment (``PostgresEventBus``,
    /// ``PostgresSessionEvents``). Default ``PostgresChannels/standard``.
    public var channels: PostgresChannels
    /// Whether each transaction that appends events announces them with `NOTIFY` on
    /// ``PostgresChannels/events`` before it commits (what ``PostgresEventBus`` listens to).
    /// Default `true`; a single node without a ``PostgresEventBus`` may turn it off.
    /// Revocations are always announced.
    public var announcesEvents: Bool

    /// Makes a configuration.
    public init(
        transactionThreads: Int = 16, maximumAttempts: Int = 8, channels: PostgresChannels = .standard, announcesEvents: Bool = true
    ) {
        self.transactionThreads = transactionThreads
        self.maximumAttempts = maximumAttempts
        self.channels = channels
        self.announcesEvents = announcesEvents
    }
}

/// Holds a transaction closure for the pool thread that runs it, until the caller clears it.
///
/// Thread safety: `@unchecked Sendable` because the closure is set before the work is
/// handed to the pool, read only on the pool thread while the caller awaits it, and
/// cleared by the caller after the pool answered: never two accesses at once.
private final class ClosureBox<Result: Sendable>: @unchecked Sendable {
    private var body: ((PostgresTransaction) throws -> Result)?

    init(_ body: @escaping (PostgresTransaction) throws -> Result) { self.body = body }

    func closure() throws -> (PostgresTransaction) throws -> Result {
        guard let body else {
            throw MessagingError(code: .storage, message: "A transaction closure ran after its caller returned; this is a bug in MessagingPostgres.")
        }
        return body
    }

    func clear() { body = nil }
}
