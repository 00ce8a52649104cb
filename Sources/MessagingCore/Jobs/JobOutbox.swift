/// Enqueues jobs inside a write transaction: the job commits with the domain change that
/// caused it, or neither does (the transactional outbox).
///
/// ``MessagingTransaction`` includes this capability, so a use case enqueues with
/// `try transaction.enqueue(job, at: now)` next to its other writes.
///
/// Implementers: write to the same storage the ``JobQueue`` reads, inside the caller's
/// transaction; apply ``NewJob/coalescingKey`` exactly as ``JobQueue/enqueue(_:at:)`` does.
public protocol JobOutbox {
    /// Adds `job` in the current transaction; returns `false` when a waiting job with the
    /// same coalescing key absorbed it.
    @discardableResult
    func enqueue(_ job: NewJob, at now: Timestamp) throws -> Bool
}
