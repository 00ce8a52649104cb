import Foundation
import GRDB
import MessagingCore

/// The SQLite implementation of `MessagingCore.AuthStore`: the credentials, sessions and
/// refresh-token hashes of migration `v2-auth`, in the same database file (and through the
/// same connection pool) as the ``SQLiteMessagingStore`` it is made from, so an account's
/// user row and its credential are written in one transaction.
///
/// Writes run in `BEGIN IMMEDIATE` transactions; refresh-token rotation is a
/// compare-and-swap on the session's current token hash inside one of them.
///
/// Thread safety: safe to share across tasks; writes are serialized, reads run concurrently.
public struct SQLiteAuthStore: AuthStore {
    private let store: SQLiteMessagingStore

    /// An auth store over the database of `store`.
    public init(_ store: SQLiteMessagingStore) {
        self.store = store
    }

    /// Runs `body` in a read transaction, the way ``SQLiteMessagingStore/read(_:)`` does and on
    /// the same connections (the two stores read one database).
    public func read<Result: Sendable>(_ body: @Sendable (any AuthTransaction) throws -> Result) async throws -> Result {
        try await store.readDatabase { db in try body(SQLiteTransaction(db: db)) }
    }

    public func write<Result: Sendable>(_ body: @Sendable (any AuthTransaction) throws -> Result) async throws -> Result {
        try await store.writeImmediate { db in try body(SQLiteTransaction(db: db)) }
    }

    /// Deletes up to `batchSize` sessions whose absolute lifetime ended before `now`,
    /// together with the hashes of their rotated refresh tokens; returns how many sessions.
    ///
    /// Revoked sessions are kept until then, so a rotated token presented late is still
    /// recognized as reused rather than unknown.
    public func deleteExpiredSessions(before now: Timestamp, batchSize: Int = 500) async throws -> Int {
        try await store.writeImmediate { db in
            try db.execute(
                sql: """
                    DELETE FROM auth_sessions WHERE id IN (
                        SELECT id FROM auth_sessions WHERE expires_at <= ? LIMIT ?)
                    """,
                arguments: [now.millisecondsSince1970, batchSize])
            return db.changesCount
        }
    }
}

extension SQLiteMessagingStore {
    /// The auth store over this database (credentials, sessions, refresh-token hashes).
    public var authStore: SQLiteAuthStore { SQLiteAuthStore(self) }
}
