import Foundation
import Synchronization

/// How many store operations may run on callers' threads at once (reads on the store's own
/// connections, group commits on the leader's thread), shared by the readers and the
/// committer of one store.
///
/// Swift's cooperative pool has one thread per core. A read or a commit on a caller's thread
/// holds its thread for as long as SQLite takes, disk waits included; with every thread
/// held that way, nothing else in the process runs (timers, sockets, other tasks). Keeping
/// at most cores − 1 of them busy with SQLite keeps one thread for everything else; an
/// operation that finds no lane free runs on GRDB's own threads instead (and its task
/// suspends), exactly as without the option.
///
/// Thread safety: an atomic counter; safe to share across tasks.
final class CallerThreadLanes: Sendable {
    let limit: Int
    private let inUse = Atomic<Int>(0)

    /// `limit` lanes; 0 turns running on callers' threads off.
    init(limit: Int) { self.limit = max(0, limit) }

    /// The default: one lane fewer than the cores the process may use, and at least one.
    static var defaultLimit: Int { max(1, ProcessInfo.processInfo.activeProcessorCount - 1) }

    /// Takes a lane if one is free; never waits.
    func tryEnter() -> Bool {
        var current = inUse.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = inUse.compareExchange(
                expected: current, desired: current + 1, successOrdering: .acquiring, failureOrdering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Gives back a lane taken with ``tryEnter()``.
    func leave() { inUse.subtract(1, ordering: .releasing) }

    /// Lanes in use now (tests and metrics).
    var busy: Int { inUse.load(ordering: .relaxed) }
}
