import Foundation

/// A verified, decrypted message together with the authenticated facts about it.
///
/// Every field was covered by the sender's signature and the AEAD associated data.
///
/// Thread safety: an immutable value; `Sendable`.
public struct OpenedMessage: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    /// The conversation the sender sealed the message for.
    public let conversationID: UUID
    /// The key epoch the message was sealed under.
    public let epoch: UInt64
    /// The device that sealed and signed the message.
    public let senderDeviceID: UUID
    /// The user that owns the sending device (from the verified device bundle).
    public let senderUserID: UUID
    /// The sender's client message id.
    public let clientMessageID: String
    /// The decrypted content.
    public let plaintext: [UInt8]

    /// Metadata and the plaintext size only; never the plaintext.
    public var description: String {
        "OpenedMessage(conversation: \(conversationID), epoch: \(epoch), sender: \(senderDeviceID), id: \(clientMessageID), \(plaintext.count) bytes)"
    }

    /// A mirror without the plaintext, so `dump` and logging of values cannot print it.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "conversationID": conversationID, "epoch": epoch, "senderDeviceID": senderDeviceID,
            "senderUserID": senderUserID, "clientMessageID": clientMessageID, "plaintextCount": plaintext.count,
        ], displayStyle: .struct)
    }
}
