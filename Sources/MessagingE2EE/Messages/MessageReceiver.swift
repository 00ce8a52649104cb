import Foundation
import Synchronization

/// A device's receiving side: holds the conversation keys it has accepted and detects
/// replayed messages.
///
/// ``receive(_:in:from:)`` verifies and decrypts a message and reports it as
/// ``ReceivedMessage/fresh(_:)`` the first time a `(conversation, sender device, client
/// message id)` triple is seen and as ``ReceivedMessage/replayed(_:)`` afterwards. Replay
/// memory is bounded: the most recent ``replayWindowCapacity`` distinct triples (default
/// 65,536, roughly 10 MB at most) are remembered in memory, oldest evicted first; a replay older
/// than the window, or one arriving after the process restarts, is reported as fresh, so
/// clients keep de-duplicating by the server's per-conversation `seq` as well.
///
/// Thread safety: `Sendable`; all state is behind a `Mutex`, and cryptography runs outside
/// it, so every method may be called concurrently from any task.
public final class MessageReceiver: Sendable {
    private struct Slot: Hashable {
        let conversationID: UUID
        let epoch: UInt64
    }

    private struct State {
        var keys: [Slot: ConversationKey] = [:]
        var replay: ReplayWindow
    }

    /// The identity whose envelopes this receiver opens.
    public let identity: DeviceIdentity
    /// How many distinct message triples the replay window remembers.
    public let replayWindowCapacity: Int
    private let state: Mutex<State>

    /// The default replay window: 65,536 triples.
    public static let defaultReplayWindowCapacity = 65_536

    /// Creates a receiver for `identity` with an empty key ring.
    ///
    /// Thread safety: safe from any thread.
    public init(identity: DeviceIdentity, replayWindowCapacity: Int = MessageReceiver.defaultReplayWindowCapacity) {
        precondition(replayWindowCapacity > 0, "replayWindowCapacity must be positive")
        self.identity = identity
        self.replayWindowCapacity = replayWindowCapacity
        state = Mutex(State(replay: ReplayWindow(capacity: replayWindowCapacity)))
    }

    /// Adds a key; throws ``E2EEError/Code/keyConflict`` if a different key is already held for
    /// the same conversation and epoch (a sign that someone sent conflicting envelopes).
    ///
    /// Thread safety: safe from any thread.
    public func add(_ key: ConversationKey) throws {
        let slot = Slot(conversationID: key.conversationID, epoch: key.epoch)
        try state.withLock { state in
            if let existing = state.keys[slot] {
                guard existing.hasSameKeyMaterial(as: key) else {
                    throw E2EEError(
                        code: .keyConflict,
                        message: "a different key is already held for conversation \(key.conversationID) epoch \(key.epoch); keep the first and report the sender")
                }
                return
            }
            state.keys[slot] = key
        }
    }

    /// Opens `envelope` (see ``KeyEnvelope/open(as:from:conversationID:epoch:)``) and adds its key.
    ///
    /// Thread safety: safe from any thread.
    @discardableResult
    public func accept(
        _ envelope: KeyEnvelope, from sender: DeviceBundle, conversationID: UUID, epoch: UInt64? = nil
    ) throws -> ConversationKey {
        let key = try envelope.open(as: identity, from: sender, conversationID: conversationID, epoch: epoch)
        try add(key)
        return key
    }

    /// The key held for `(conversationID, epoch)`, if any.
    ///
    /// Thread safety: safe from any thread.
    public func key(for conversationID: UUID, epoch: UInt64) -> ConversationKey? {
        state.withLock { $0.keys[Slot(conversationID: conversationID, epoch: epoch)] }
    }

    /// Forgets the keys of `conversationID` with an epoch lower than `epoch`.
    ///
    /// Thread safety: safe from any thread.
    public func removeKeys(for conversationID: UUID, before epoch: UInt64) {
        state.withLock { state in
            state.keys = state.keys.filter { $0.key.conversationID != conversationID || $0.key.epoch >= epoch }
        }
    }

    /// Verifies, decrypts and de-duplicates a message the caller believes belongs to `conversationID`.
    ///
    /// Throws ``E2EEError/Code/wrongConversation`` when the message was sealed for another
    /// conversation, ``E2EEError/Code/keyNotFound`` when no key is held for its epoch, and the
    /// errors of ``SealedMessage/open(with:from:)``. Only authentic messages enter the replay
    /// window, so forgeries cannot mark real messages as replays.
    ///
    /// Thread safety: safe from any thread.
    public func receive(_ message: SealedMessage, in conversationID: UUID, from sender: DeviceBundle) throws -> ReceivedMessage {
        guard message.conversationID == conversationID else {
            throw E2EEError(
                code: .wrongConversation,
                message: "the message was sealed for conversation \(message.conversationID), not \(conversationID); it was moved")
        }
        guard let key = key(for: conversationID, epoch: message.epoch) else {
            throw E2EEError(
                code: .keyNotFound,
                message: "no key for conversation \(conversationID) epoch \(message.epoch); accept that epoch's key envelope first")
        }
        let opened = try message.open(with: key, from: sender)
        let entry = ReplayWindow.Entry(
            conversationID: conversationID, senderDeviceID: opened.senderDeviceID, clientMessageID: opened.clientMessageID)
        let fresh = state.withLock { $0.replay.record(entry) }
        return fresh ? .fresh(opened) : .replayed(opened)
    }
}
