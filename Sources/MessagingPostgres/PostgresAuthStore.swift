import MessagingCore

/// The PostgreSQL implementation of `MessagingCore.AuthStore`: credentials, sessions and
/// refresh-token hashes in the same database (and through the same connections) as the
/// ``PostgresMessagingStore`` it is made from, so an account's user row and its credential
/// commit together.
///
/// Refresh-token rotation is a compare-and-swap on the session's current token hash: a
/// concurrent rotation of the same token waits for the row's lock and then changes nothing.
///
/// Thread safety: safe to share across tasks.
public struct PostgresAuthStore: AuthStore {
    private let store: PostgresMessagingStore

    /// An auth store over the database of `store`.
    public init(_ store: PostgresMessagingStore) { self.store = store }

    public func read<Result: Sendable>(_ body: @Sendable (any AuthTransaction) throws -> Result) async throws -> Result {
        try await store.transaction(readOnly: true) { try body($0) }.value
    }

    public func write<Result: Sendable>(_ body: @Sendable (any AuthTransaction) throws -> Result) async throws -> Result {
        try await store.transaction(readOnly: false) { try body($0) }.value
    }
}
