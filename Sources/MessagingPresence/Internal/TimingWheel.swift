/// Timers on a hashed timing wheel over absolute ticks: scheduling is O(1), advancing is
/// O(timers due + buckets passed), and nothing ever scans every timer.
///
/// Times are integer milliseconds on the tracker's clock. A timer for deadline `d` lands
/// on tick `ceil(d / tickMilliseconds)`, so when tick `t` is processed at time `now ≥ t ×
/// tickMilliseconds` every timer on it is due: a timer fires at most one tick after its
/// deadline. Cancelling is lazy: the owner remembers the tick its live timer is on and
/// ignores fired timers whose tick differs (stale ones). Postponing is lazy too: the owner
/// leaves a timer where it is when its deadline moves later, and re-arms it when it fires
/// early — so heartbeats never touch the wheel.
///
/// Thread safety: a value type; the owner serializes access.
struct TimingWheel<Timer> {
    private struct Entry {
        var timer: Timer
        var tick: Int64
    }

    let tickMilliseconds: Int64
    private var buckets: [[Entry]]
    /// Every tick up to and including this one has been processed.
    private(set) var processedTick: Int64
    /// Entries currently held (live and stale), for tests and metrics.
    private(set) var count = 0

    /// A wheel whose slots cover `horizonMilliseconds`, with ticks up to `startMilliseconds` already processed.
    init(tickMilliseconds: Int64, horizonMilliseconds: Int64, startMilliseconds: Int64) {
        precondition(tickMilliseconds > 0, "tick must be positive")
        self.tickMilliseconds = tickMilliseconds
        let slots = Int(max(1, horizonMilliseconds / tickMilliseconds) + 2)
        buckets = Array(repeating: [], count: slots)
        processedTick = Self.floorDivide(startMilliseconds, tickMilliseconds)
    }

    /// The tick a timer for `deadline` lands on (never one already processed).
    func tick(for deadline: Int64) -> Int64 {
        max(processedTick + 1, Self.ceilDivide(deadline, tickMilliseconds))
    }

    /// Adds `timer` on `tick` (from ``tick(for:)``).
    mutating func schedule(_ timer: Timer, onTick tick: Int64) {
        // A tick beyond the horizon (the wheel was not advanced for a while) shares a slot
        // with an earlier one; ``advance(to:)`` keeps such entries until their own tick.
        buckets[slot(of: tick)].append(Entry(timer: timer, tick: tick))
        count += 1
    }

    /// Processes every tick up to `now` and returns the timers on them with their ticks,
    /// in tick order (stale ones included; the owner filters).
    mutating func advance(to now: Int64) -> [(timer: Timer, tick: Int64)] {
        let target = Self.floorDivide(now, tickMilliseconds)
        guard target > processedTick else { return [] }
        var due: [(timer: Timer, tick: Int64)] = []
        let passed = target - processedTick
        if passed >= Int64(buckets.count) {
            // Behind by a whole turn or more: every slot is due once.
            for index in buckets.indices { drain(index, upTo: target, into: &due) }
        } else {
            var tick = processedTick + 1
            while tick <= target {
                drain(slot(of: tick), upTo: target, into: &due)
                tick += 1
            }
        }
        processedTick = target
        return due
    }

    private mutating func drain(_ index: Int, upTo target: Int64, into due: inout [(timer: Timer, tick: Int64)]) {
        guard !buckets[index].isEmpty else { return }
        var bucket: [Entry] = []
        swap(&bucket, &buckets[index])
        var kept: [Entry] = []
        for entry in bucket {
            if entry.tick <= target {
                due.append((entry.timer, entry.tick))
                count -= 1
            } else {
                kept.append(entry)
            }
        }
        buckets[index] = kept
    }

    private func slot(of tick: Int64) -> Int {
        Int(tick % Int64(buckets.count))
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient
    }

    static func ceilDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        -floorDivide(-value, divisor)
    }
}
