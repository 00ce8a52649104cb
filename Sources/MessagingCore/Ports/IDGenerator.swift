import Synchronization

/// Makes new ids for users, conversations and messages.
///
/// Implementations must return ids that are unique and, within one generator, strictly
/// increasing, and must be safe to call from any task.
public protocol IDGenerator: Sendable {
    /// Returns a new id.
    func next() -> UUIDv7
}

extension IDGenerator {
    /// Returns a new typed id.
    public func next<Kind>(_: Kind.Type = Kind.self) -> Identifier<Kind> { Identifier(next()) }
}

/// RFC 9562 UUIDv7 generation with a 12-bit counter in `rand_a` (its "method 1"), so ids made
/// in the same millisecond still increase; when the counter runs out the timestamp is
/// advanced by one millisecond rather than going backwards.
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks.
public final class UUIDv7Generator: IDGenerator {
    private struct State {
        var lastMilliseconds: UInt64 = 0
        var counter: UInt16 = 0
    }

    private let state = Mutex(State())
    private let clock: any WallClock

    /// Makes a generator reading time from `clock`.
    public init(clock: any WallClock = SystemWallClock()) {
        self.clock = clock
    }

    public func next() -> UUIDv7 {
        let now = UInt64(max(0, clock.now().millisecondsSince1970))
        var random = SystemRandomNumberGenerator()
        let (milliseconds, counter) = state.withLock { state -> (UInt64, UInt16) in
            if now > state.lastMilliseconds {
                state.lastMilliseconds = now
                // Start each millisecond at a random point in the lower half so there is room to count.
                state.counter = UInt16.random(in: 0..<0x800, using: &random)
            } else if state.counter >= 0xFFF {
                state.lastMilliseconds += 1
                state.counter = 0
            } else {
                state.counter += 1
            }
            return (state.lastMilliseconds, state.counter)
        }
        return UUIDv7(unixMilliseconds: milliseconds, randomA: counter, randomB: random.next())
    }
}
