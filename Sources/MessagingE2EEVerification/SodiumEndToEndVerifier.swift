import Foundation
import MessagingCore
import MessagingE2EE

/// The libsodium implementation of `MessagingCore`'s `EndToEndVerifier`, on `MessagingE2EE`:
/// what a server checks of uploaded bundles, envelopes and sealed messages without reading them.
///
/// ```swift
/// let messaging = Messaging(store: store, verifier: SodiumEndToEndVerifier())
/// ```
///
/// Thread safety: stateless; safe to share across tasks.
public struct SodiumEndToEndVerifier: EndToEndVerifier {
    /// Makes a verifier.
    public init() {}

    public func verifyBundle(_ bundle: Data) throws(MessagingError) -> VerifiedBundle {
        let parsed = try Self.parse("device bundle") { try DeviceBundle(serialized: [UInt8](bundle)) }
        return VerifiedBundle(deviceID: try Self.id(parsed.deviceID, "device"), userID: try Self.id(parsed.userID, "user"))
    }

    public func envelopeHeader(_ envelope: Data) throws(MessagingError) -> KeyEnvelopeHeader {
        let parsed = try Self.parse("key envelope") { try KeyEnvelope(serialized: [UInt8](envelope)) }
        return KeyEnvelopeHeader(
            conversationID: try Self.id(parsed.conversationID, "conversation"), epoch: parsed.epoch,
            senderDeviceID: try Self.id(parsed.senderDeviceID, "sender device"),
            recipientDeviceID: try Self.id(parsed.recipientDeviceID, "recipient device"))
    }

    public func verifyEnvelope(_ envelope: Data, senderBundle: Data, recipientBundle: Data) throws(MessagingError) {
        try Self.parse("key envelope") {
            try KeyEnvelope(serialized: [UInt8](envelope)).verify(
                from: try DeviceBundle(serialized: [UInt8](senderBundle)),
                to: try DeviceBundle(serialized: [UInt8](recipientBundle)))
        }
    }

    public func verifyMessage(_ ciphertext: Data, senderBundle: Data) throws(MessagingError) -> SealedMessageHeader {
        let parsed = try Self.parse("sealed message") {
            let message = try SealedMessage(serialized: [UInt8](ciphertext))
            try message.verifySignature(from: try DeviceBundle(serialized: [UInt8](senderBundle)))
            return message
        }
        return SealedMessageHeader(
            conversationID: try Self.id(parsed.conversationID, "conversation"), epoch: parsed.epoch,
            senderDeviceID: try Self.id(parsed.senderDeviceID, "sender device"), clientMessageID: parsed.clientMessageID)
    }

    /// Runs `body`, turning any `E2EEError` into `invalidInput` that names the object and the failed check.
    private static func parse<T>(_ what: String, _ body: () throws -> T) throws(MessagingError) -> T {
        do {
            return try body()
        } catch let error as E2EEError {
            throw MessagingError(code: .invalidInput, message: "The \(what) was refused (\(error.code)): \(error.message).")
        } catch {
            throw MessagingError(code: .invalidInput, message: "The \(what) was refused: it could not be read.")
        }
    }

    /// An id of the SDK (a UUIDv7) from the 16 bytes of an E2EE object.
    private static func id<Kind>(_ uuid: UUID, _ what: String) throws(MessagingError) -> Identifier<Kind> {
        guard let id = Identifier<Kind>(uuid.uuidString.lowercased()) else {
            throw MessagingError(
                code: .invalidInput, message: "The \(what) id \(uuid) is not a UUIDv7; this server uses UUIDv7 ids for devices, users and conversations.")
        }
        return id
    }
}
