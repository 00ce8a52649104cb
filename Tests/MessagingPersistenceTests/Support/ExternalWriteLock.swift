import Foundation
import GRDB

/// Holds SQLite's write lock on a database from a connection and a thread of its own, as
/// another process sharing the file would: the store's writes meanwhile cannot begin, and
/// nothing of the test's own tasks is blocked while it is held.
///
/// `@unchecked Sendable`: the semaphores are thread-safe; the queue is used only by the thread.
final class ExternalWriteLock: @unchecked Sendable {
    private let queue: DatabaseQueue
    private let release = DispatchSemaphore(value: 0)
    private var finished: CheckedContinuation<Void, Never>?
    private let finishedLock = NSLock()
    private var isFinished = false

    /// Takes the write lock of the database at `path` (`BEGIN IMMEDIATE`) and returns once it is held.
    init(path: String) async throws {
        queue = try DatabaseQueue(path: path)
        let queue = self.queue
        let release = self.release
        await withCheckedContinuation { (held: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                try? queue.inDatabase { db in
                    try db.execute(sql: "BEGIN IMMEDIATE")
                    held.resume()
                    release.wait()
                    try db.execute(sql: "ROLLBACK")
                }
                self.markFinished()
            }
            thread.start()
        }
    }

    /// Lets go of the lock and returns once the connection has ended its transaction.
    func unlock() async {
        release.signal()
        await withCheckedContinuation { continuation in
            finishedLock.lock()
            if isFinished {
                finishedLock.unlock()
                continuation.resume()
            } else {
                finished = continuation
                finishedLock.unlock()
            }
        }
    }

    private func markFinished() {
        finishedLock.lock()
        isFinished = true
        let continuation = finished
        finished = nil
        finishedLock.unlock()
        continuation?.resume()
    }
}
