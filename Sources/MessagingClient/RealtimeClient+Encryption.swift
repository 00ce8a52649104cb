import Foundation
import MessagingCore

extension RealtimeClient {
    /// The open connection's request function, for ``ClientEncryption``.
    var requester: ClientEncryption.Requester {
        { [self] fields in try await self.request(fields) }
    }

    /// Opens an encrypted message (from an event, `history` or a send's answer) with
    /// ``encryption``: verifies its header, its sender device against the pinned bundle and
    /// the message's sender, and its signature, then decrypts it. A message that cannot be
    /// opened is reported, never shown as text.
    ///
    /// Throws ``RealtimeClientError``: `invalidArgument` (no ``encryption``, or not an
    /// encrypted message, or deleted), `tampered` (altered bytes, a foreign signature, a
    /// header that does not match), `untrustedDevice` (the sender device is unknown or not
    /// the sender's), `missingKey` (this device was given no key for the message's epoch),
    /// `replayed` (the same sealed message under another `seq`), `notConnected` (the sender's
    /// bundle or the epoch's key had to be fetched and no connection is open: try again).
    public func decrypt(_ message: ClientMessage) async throws -> DecryptedMessage {
        guard let encryption else {
            throw RealtimeClientError(code: .invalidArgument, message: "This client has no encryption; pass a ClientEncryption to its init.")
        }
        return try await encryption.open(message, via: requester)
    }

    /// Publishes this device's bundle and fetches the envelopes addressed to it, on the open
    /// connection. The client does this by itself on every new connection; call it to know
    /// when it is done (before the first encrypted send of a new device, say).
    ///
    /// Throws ``RealtimeClientError`` `invalidArgument` without ``encryption``, `notConnected`,
    /// `server` (`conflict`: the device was removed or its id is taken), `timedOut`.
    public func prepareEncryption() async throws {
        guard let encryption else {
            throw RealtimeClientError(code: .invalidArgument, message: "This client has no encryption; pass a ClientEncryption to its init.")
        }
        try await encryption.publish(via: requester)
        try await encryption.syncInbox(via: requester)
    }

    /// Seals and sends; after `rekey_required` starts a new epoch and seals again (same
    /// client message id: nothing was stored).
    func sendSealed(_ plaintext: [UInt8], fields: [String: ClientJSON], to conversation: ConversationID, encryption: ClientEncryption)
        async throws -> SentMessage
    {
        guard let clientMessageID = fields["clientMessageId"]?.string else {
            throw RealtimeClientError(code: .invalidArgument, message: "A send needs a client message id.")
        }
        for attempt in 0..<2 {
            let sealed = try await encryption.seal(
                plaintext, clientMessageID: clientMessageID, in: conversation, forceRotation: attempt > 0, via: requester)
            do {
                return try await enqueue(fields.merging(sealed) { _, new in new }, clientMessageID: clientMessageID)
            } catch let error as RealtimeClientError where error.serverCode == "rekey_required" && attempt == 0 {
                logger.info("the server wants a new key epoch; rotating", metadata: ["conversation": "\(conversation)"])
            }
        }
        throw RealtimeClientError(code: .server, message: "The server keeps asking for a new key epoch; try again.", serverCode: "rekey_required")
    }
}
