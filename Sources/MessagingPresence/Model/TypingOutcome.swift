/// What became of a "started typing" call.
///
/// Thread safety: a value type; safe to share across tasks.
public enum TypingOutcome: String, Hashable, Sendable {
    /// The indicator is on (or was stopped, for a "stopped typing" call).
    case accepted
    /// Too soon after the last accepted call of this user in this conversation (see
    /// ``PresenceConfiguration/typingMinimumInterval``); nothing changed. Clients resend
    /// while the user keeps typing, so dropping this call loses nothing.
    case throttled
}
