import Foundation

/// What the server may check of end-to-end encrypted objects without being able to read
/// them: formats, ids and signatures. `MessagingCore` stays free of cryptography; the
/// libsodium implementation is `MessagingE2EEVerification`'s `SodiumEndToEndVerifier`, built on
/// `MessagingE2EE`.
///
/// Every method throws ``MessagingError`` with code `invalidInput` (and a message that says
/// which check failed) for anything malformed, forged or mismatched.
///
/// Implementations must be safe to call from any task, and must not log the bytes.
public protocol EndToEndVerifier: Sendable {
    /// Parses a device bundle and verifies its self-signature.
    func verifyBundle(_ bundle: Data) throws(MessagingError) -> VerifiedBundle

    /// Parses a key envelope's public header (no signature check yet).
    func envelopeHeader(_ envelope: Data) throws(MessagingError) -> KeyEnvelopeHeader

    /// Verifies that `envelope` was signed by the device of `senderBundle` and is addressed
    /// to the keys of `recipientBundle`.
    func verifyEnvelope(_ envelope: Data, senderBundle: Data, recipientBundle: Data) throws(MessagingError)

    /// Parses a sealed message's header and verifies its signature under `senderBundle`'s key.
    func verifyMessage(_ ciphertext: Data, senderBundle: Data) throws(MessagingError) -> SealedMessageHeader
}

/// The facts of a verified device bundle.
public struct VerifiedBundle: Hashable, Sendable {
    /// The device id inside the bundle.
    public let deviceID: DeviceID
    /// The user id inside the bundle.
    public let userID: UserID

    /// Makes a value.
    public init(deviceID: DeviceID, userID: UserID) {
        self.deviceID = deviceID
        self.userID = userID
    }
}

/// The public header of a key envelope.
public struct KeyEnvelopeHeader: Hashable, Sendable {
    /// The conversation.
    public let conversationID: ConversationID
    /// The epoch.
    public let epoch: UInt64
    /// The sealing device.
    public let senderDeviceID: DeviceID
    /// The recipient device.
    public let recipientDeviceID: DeviceID

    /// Makes a value.
    public init(conversationID: ConversationID, epoch: UInt64, senderDeviceID: DeviceID, recipientDeviceID: DeviceID) {
        self.conversationID = conversationID
        self.epoch = epoch
        self.senderDeviceID = senderDeviceID
        self.recipientDeviceID = recipientDeviceID
    }
}

/// The signed public header of a sealed message.
public struct SealedMessageHeader: Hashable, Sendable {
    /// The conversation.
    public let conversationID: ConversationID
    /// The epoch.
    public let epoch: UInt64
    /// The sending device.
    public let senderDeviceID: DeviceID
    /// The client message id.
    public let clientMessageID: String

    /// Makes a value.
    public init(conversationID: ConversationID, epoch: UInt64, senderDeviceID: DeviceID, clientMessageID: String) {
        self.conversationID = conversationID
        self.epoch = epoch
        self.senderDeviceID = senderDeviceID
        self.clientMessageID = clientMessageID
    }
}
