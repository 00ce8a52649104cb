/// What a ``AuthSessionStore`` knows about a presented refresh token hash.
///
/// Thread safety: a value type; safe to share across tasks.
public struct RefreshTokenRecord: Hashable, Sendable {
    /// Whether the token is the session's current one or an earlier, rotated one.
    public enum State: Hashable, Sendable {
        /// The session's current refresh token.
        case current
        /// A token that was rotated away at the given time.
        case rotated(at: Timestamp)
    }

    /// The session (token family) the token belongs to.
    public let sessionID: SessionID
    /// The rotation generation the token was issued at (0 for the login's token).
    public let generation: Int64
    /// Current or rotated.
    public let state: State

    /// Makes a record.
    public init(sessionID: SessionID, generation: Int64, state: State) {
        self.sessionID = sessionID
        self.generation = generation
        self.state = state
    }
}
