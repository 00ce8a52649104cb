import MessagingPresence
import MessagingWire
import Synchronization

/// Typing and presence frames encoded once per change, not once per recipient.
///
/// The presence tracker hands the same change to every watcher in turn; each watcher's
/// connection asks here for the frame. The cache keeps the most recent changes' bytes, so
/// the first recipient encodes and the others share the bytes.
///
/// Thread safety: behind a `Mutex`; safe to share across tasks.
final class ChangeFrameCache: Sendable {
    private struct State {
        var entries: [PresenceChange: TransportFrame] = [:]
        var order: [PresenceChange] = []
    }

    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int = 64) {
        self.capacity = max(1, capacity)
    }

    /// The frame of a typing or presence change, encoded on first use (other changes are
    /// not sent to clients and have no frame).
    func frame(for change: PresenceChange) -> TransportFrame? {
        if let cached = state.withLock({ $0.entries[change] }) { return cached }
        let frame: TransportFrame
        switch change {
        case .typing(let typing):
            frame = ServerFrame.typing(conversationID: typing.conversationID, userID: typing.userID, isTyping: typing.isTyping).transportFrame
        case .presence(let presence):
            frame = ServerFrame.presence(presence).transportFrame
        default:
            return nil
        }
        state.withLock { state in
            guard state.entries.updateValue(frame, forKey: change) == nil else { return }
            state.order.append(change)
            if state.order.count > capacity {
                state.entries[state.order.removeFirst()] = nil
            }
        }
        return frame
    }
}
