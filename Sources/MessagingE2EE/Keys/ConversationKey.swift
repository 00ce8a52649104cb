import Foundation
import MessagingSodium

/// The symmetric key of one conversation epoch: 32 random bytes that encrypt every message
/// sent in that conversation during that epoch.
///
/// A new epoch (and key) starts whenever a member or a device leaves (see
/// ``EpochRotation``). Keys travel between devices only inside ``KeyEnvelope``s; to keep a
/// key across restarts, a device seals an envelope to itself and stores it. The key bytes are
/// zeroed when the last reference is released and never appear in `description`, `dump` or
/// errors.
///
/// Thread safety: immutable after `init`; `Sendable`, safe to share between tasks.
public final class ConversationKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The conversation the key belongs to.
    public let conversationID: UUID
    /// The key epoch within the conversation.
    public let epoch: UInt64

    let secret: SecretBytes

    static let length = XChaCha20Poly1305.keyLength

    init(conversationID: UUID, epoch: UInt64, secret: SecretBytes) {
        precondition(secret.count == Self.length, "conversation keys are 32 bytes")
        self.conversationID = conversationID
        self.epoch = epoch
        self.secret = secret
    }

    /// Generates a fresh random key for `(conversationID, epoch)`.
    ///
    /// Prefer ``EpochRotation/start(conversationID:epoch:sender:devices:)``, which also seals
    /// the key to every device that must receive it.
    ///
    /// Thread safety: safe from any thread.
    public static func generate(conversationID: UUID, epoch: UInt64) throws -> ConversationKey {
        try generate(conversationID: conversationID, epoch: epoch, random: .system)
    }

    static func generate(conversationID: UUID, epoch: UInt64, random: RandomSource) throws -> ConversationKey {
        try Sodium.ensureInitialized()
        return ConversationKey(
            conversationID: conversationID, epoch: epoch,
            secret: SecretBytes(randomCount: length, from: random))
    }

    /// Compares the key bytes of two keys in constant time.
    ///
    /// Thread safety: safe from any thread.
    public func hasSameKeyMaterial(as other: ConversationKey) -> Bool {
        secret.constantTimeEquals(other.secret)
    }

    /// Redacted: names the conversation and epoch, never the key.
    public var description: String {
        "ConversationKey(conversation: \(conversationID), epoch: \(epoch), key: redacted)"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror without the key bytes, so `dump` cannot print them.
    public var customMirror: Mirror {
        Mirror(self, children: ["conversationID": conversationID, "epoch": epoch], displayStyle: .class)
    }
}
