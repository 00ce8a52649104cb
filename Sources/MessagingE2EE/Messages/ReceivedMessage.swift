/// The outcome of receiving a message: new, or a replay of one already received.
///
/// A client renders ``fresh(_:)`` messages and treats ``replayed(_:)`` ones as duplicates of a
/// message it has already shown (at-least-once delivery and retried sends both produce them).
///
/// Thread safety: an immutable value; `Sendable`.
public enum ReceivedMessage: Sendable, Hashable {
    /// The first time this `(conversation, sender device, client message id)` was received.
    case fresh(OpenedMessage)
    /// The triple was received before, within the receiver's replay window.
    case replayed(OpenedMessage)

    /// The opened message, fresh or replayed.
    public var message: OpenedMessage {
        switch self {
        case .fresh(let message), .replayed(let message): message
        }
    }

    /// The decrypted content, fresh or replayed.
    public var plaintext: [UInt8] { message.plaintext }

    /// `true` for ``replayed(_:)``.
    public var isReplay: Bool {
        if case .replayed = self { return true }
        return false
    }
}
