import MessagingCore
import Synchronization

/// A clock that tests move by hand: a `Clock` for APIs generic over one (sleepers wake when
/// the time is advanced past their deadline) whose current instant is also readable as wall
/// time through ``wall``, so timestamps written by the code under test are predictable.
///
/// Time starts at `start` (wall time) and moves only through ``advance(by:)``,
/// ``advance(milliseconds:)`` and ``set(_:)``, forward or back.
///
/// Thread safety: safe to share across tasks; every call takes one lock.
public final class ManualClock: Clock, Sendable {
    /// A point on this clock: the time elapsed since the clock's start.
    ///
    /// Thread safety: a value type; safe to share across tasks.
    public struct Instant: InstantProtocol, Sendable {
        /// How far after the clock's start this instant lies.
        public var offset: Duration

        /// Makes an instant `offset` after the clock's start.
        public init(offset: Duration) { self.offset = offset }

        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Int: Sleeper] = [:]
        var nextSleeperID = 0
    }

    private let state = Mutex(State())
    /// The wall time at the clock's start.
    public let start: Timestamp

    /// The default start: 2025-06-15T15:06:40Z, a fixed instant so stored values repeat run to run.
    public static let defaultStart = Timestamp(millisecondsSince1970: 1_750_000_000_000)

    /// Makes a clock whose wall time starts at `start`.
    public init(start: Timestamp = ManualClock.defaultStart) { self.start = start }

    /// Makes a clock whose wall time starts at `milliseconds` since 1970.
    public convenience init(startMilliseconds milliseconds: Int64) {
        self.init(start: Timestamp(millisecondsSince1970: milliseconds))
    }

    public var now: Instant { state.withLock { $0.now } }

    public var minimumResolution: Duration { .milliseconds(1) }

    /// Whole milliseconds since the start.
    public var elapsedMilliseconds: Int64 { Self.milliseconds(now.offset) }

    /// The current wall time.
    public var timestamp: Timestamp { start.adding(milliseconds: elapsedMilliseconds) }

    /// The same time as a `MessagingCore.WallClock`, for the code under test that stamps values.
    public var wall: Wall { Wall(clock: self) }

    /// How many tasks sleep on this clock right now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Moves time by `duration` and wakes every sleeper whose deadline has come. A negative
    /// duration moves it back (a wall clock that is set back; token-expiry tests do this);
    /// sleepers then wait longer.
    public func advance(by duration: Duration) {
        move { $0.advanced(by: duration) }
    }

    /// Moves time by `milliseconds` (back when negative).
    public func advance(milliseconds: Int64) { advance(by: .milliseconds(milliseconds)) }

    /// Sets the wall time to `time` (back too: token-expiry tests move both ways); wakes
    /// every sleeper whose deadline has come.
    public func set(_ time: Timestamp) {
        let offset = Duration.milliseconds(time.millisecondsSince1970 - start.millisecondsSince1970)
        move { _ in Instant(offset: offset) }
    }

    /// Sets the wall time to `milliseconds` since 1970.
    public func set(milliseconds: Int64) { set(Timestamp(millisecondsSince1970: milliseconds)) }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state -> Int in
            state.nextSleeperID += 1
            return state.nextSleeperID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { state -> Bool in
                    if deadline <= state.now || Task.isCancelled { return true }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    private func move(_ change: (Instant) -> Instant) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.now = change(state.now)
            let due = state.sleepers.filter { $0.value.deadline <= state.now }
            for id in due.keys { state.sleepers[id] = nil }
            return due.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Whole milliseconds of a duration (rounded toward zero).
    public static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// A ``ManualClock``'s time as a `MessagingCore.WallClock`, with the clock's controls.
    ///
    /// Thread safety: a value type over the shared clock; safe to share across tasks.
    public struct Wall: WallClock {
        /// The clock this view reads.
        public let clock: ManualClock

        public func now() -> Timestamp { clock.timestamp }

        /// Moves the clock forward by `milliseconds`.
        public func advance(milliseconds: Int64) { clock.advance(milliseconds: milliseconds) }

        /// Moves the clock forward by `duration`.
        public func advance(by duration: Duration) { clock.advance(by: duration) }

        /// Sets the clock's wall time.
        public func set(_ time: Timestamp) { clock.set(time) }

        /// Sets the clock's wall time to `milliseconds` since 1970.
        public func set(milliseconds: Int64) { clock.set(milliseconds: milliseconds) }
    }
}
