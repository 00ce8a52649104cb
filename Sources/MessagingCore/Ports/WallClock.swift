import Foundation

/// The source of wall-clock time for timestamps (`createdAt`, `editedAt`, last activity).
///
/// Inject a manual implementation in tests. Implementations must be safe to call from any task.
public protocol WallClock: Sendable {
    /// The current time.
    func now() -> Timestamp
}

/// The system's wall clock.
///
/// Thread safety: stateless; safe to share across tasks.
public struct SystemWallClock: WallClock {
    /// Makes the system clock.
    public init() {}

    public func now() -> Timestamp { Timestamp(Date()) }
}
