import Synchronization

/// One timer for every connection of a gateway: a hashed timing wheel whose tick is the
/// housekeeping interval.
///
/// Each connection has one entry, due at its earliest deadline (handshake timeout, token
/// expiry, idle timeout, next ping), rounded up to a tick. At each tick one task checks the
/// entries of the current slot that are due, each in a child task of its own, and the check
/// says when it is due again (or that the connection is done). An idle connection therefore
/// costs one check per ping interval, and no task or timer of its own.
///
/// The ticking task starts with the first entry and ends when the wheel is empty.
///
/// Thread safety: safe to share across tasks.
final class TimingWheel<C: Clock>: Sendable where C.Duration == Duration {
    /// A connection's check: does what is due and returns when to check again, or `nil`
    /// when the connection needs no more checks.
    typealias Check = @Sendable () async -> Duration?

    fileprivate struct Entry {
        var due: Int64
        let check: Check
    }

    fileprivate struct State {
        var slots: [[UInt64]]
        var tick: Int64 = 0
        var entries: [UInt64: Entry] = [:]
        var running = false
    }

    private let state: Mutex<State>
    private let clock: C
    let tick: Duration

    init(tick: Duration, slots: Int = 512, clock: C) {
        self.tick = max(tick, .milliseconds(1))
        self.clock = clock
        self.state = Mutex(State(slots: Array(repeating: [], count: max(8, slots))))
    }

    /// Entries in the wheel.
    var count: Int { state.withLock { $0.entries.count } }

    /// Adds (or replaces) `id`'s entry, due after `delay`.
    func schedule(_ id: UInt64, after delay: Duration, check: @escaping Check) {
        let start = state.withLock { state -> Bool in
            let due = state.tick + ticks(delay)
            state.entries[id] = Entry(due: due, check: check)
            state.slots[Int(due % Int64(state.slots.count))].append(id)
            if state.running { return false }
            state.running = true
            return true
        }
        if start {
            Task { await self.run() }
        }
    }

    /// Removes `id`'s entry.
    func remove(_ id: UInt64) {
        state.withLock { _ = $0.entries.removeValue(forKey: id) }
    }

    private func reschedule(_ id: UInt64, after delay: Duration) {
        state.withLock { state in
            guard state.entries[id] != nil else { return }
            let due = state.tick + ticks(delay)
            state.entries[id]?.due = due
            state.slots[Int(due % Int64(state.slots.count))].append(id)
        }
    }

    /// Whole ticks in `delay`, rounded up, at least one.
    private func ticks(_ delay: Duration) -> Int64 {
        guard delay > .zero else { return 1 }
        let ratio = delay / tick
        let whole = Int64(min(ratio.rounded(.up), Double(Int64.max / 4)))
        return max(1, whole)
    }

    private func run() async {
        // Ticks follow the clock, not the number of sleeps: a late wake-up (a busy machine)
        // processes every slot it passed, so deadlines never drift.
        let start = clock.now
        let startTick = state.withLock { $0.tick }
        await withDiscardingTaskGroup { group in
            while true {
                do { try await clock.sleep(for: tick) } catch {
                    state.withLock { $0.running = false }
                    return
                }
                let target = startTick + Int64(max(0, (start.duration(to: clock.now) / tick).rounded(.down)))
                let due = state.withLock { state -> [(UInt64, Check)]? in
                    if state.entries.isEmpty {
                        state.running = false
                        for index in state.slots.indices { state.slots[index].removeAll() }
                        return nil
                    }
                    var due: [(UInt64, Check)] = []
                    repeat {
                        state.tick += 1
                        state.takeDue(into: &due)
                    } while state.tick < target
                    return due
                }
                guard let due else { return }
                for (id, check) in due {
                    group.addTask {
                        if let next = await check() {
                            self.reschedule(id, after: next)
                        } else {
                            self.remove(id)
                        }
                    }
                }
            }
        }
    }
}

extension TimingWheel.State {
    /// Moves the entries of the current tick's slot that are due into `due`.
    fileprivate mutating func takeDue(into due: inout [(UInt64, TimingWheel.Check)]) {
        let index = Int(tick % Int64(slots.count))
        let slot = slots[index]
        slots[index].removeAll(keepingCapacity: true)
        for id in slot {
            guard let entry = entries[id] else { continue }
            if entry.due == tick {
                // Due now: off the wheel until its check says when again.
                entries[id]?.due = .max
                due.append((id, entry.check))
            } else if entry.due > tick, entry.due != .max, Int(entry.due % Int64(slots.count)) == index {
                // Due in a later round of the wheel.
                slots[index].append(id)
            }
            // Otherwise a stale slot entry: the entry was rescheduled elsewhere.
        }
    }
}
