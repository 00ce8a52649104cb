import Synchronization

/// A one-way flag a graceful-shutdown handler sets and a loop polls.
final class StopFlag: Sendable {
    private let stopped = Atomic<Bool>(false)

    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    func stop() { stopped.store(true, ordering: .releasing) }
}
