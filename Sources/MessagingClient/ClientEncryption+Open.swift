import Foundation
import MessagingCore
import MessagingE2EE

/// An encrypted message opened by ``RealtimeClient/decrypt(_:)``: authentic, from a verified
/// device of its sender, in its conversation.
///
/// Thread safety: a value type; safe to share across tasks.
public struct DecryptedMessage: Sendable, Hashable {
    /// The message as the server sent it (``ClientMessage/text`` stays `nil`).
    public let message: ClientMessage
    /// The sealed plaintext: UTF-8 text, or a media reference (E2EE §6.2, starting `0x01 0x06`).
    public let plaintext: [UInt8]
    /// The key epoch it was sealed under.
    public let epoch: UInt64
    /// The device that sealed and signed it.
    public let senderDeviceID: UUID

    /// The plaintext as UTF-8 text.
    public var text: String { String(decoding: plaintext, as: UTF8.self) }
}

extension ClientEncryption {
    /// The largest base64 ciphertext accepted (the server stores at most 64 KiB decoded).
    static let maximumCiphertextCharacters = 90_000

    /// Opens an encrypted message: checks its sealed header against the message
    /// (conversation, client id, epoch, sender device), the sender device's pinned bundle
    /// against the message's sender, then verifies and decrypts it with the epoch's key
    /// (fetching the conversation's devices and the envelope inbox when something is
    /// missing), and reports an authentic message shown again under another `seq` as a replay.
    ///
    /// Throws ``RealtimeClientError`` only: `invalidArgument` (not an encrypted message, or
    /// deleted), `tampered`, `untrustedDevice`, `missingKey`, `replayed`, and `notConnected`
    /// when it had to fetch something without a connection.
    func open(_ message: ClientMessage, via request: Requester) async throws -> DecryptedMessage {
        guard message.kind == "encrypted", message.deletedAt == nil, let base64 = message.ciphertext else {
            throw RealtimeClientError(code: .invalidArgument, message: "Not an encrypted message with a ciphertext (kind \(message.kind)).")
        }
        guard base64.utf8.count <= Self.maximumCiphertextCharacters, let bytes = Data(base64Encoded: base64) else {
            throw Self.tampered("the ciphertext is not base64 of at most 64 KiB")
        }
        let sealed: SealedMessage
        do {
            sealed = try SealedMessage(serialized: [UInt8](bytes))
        } catch {
            throw Self.tampered("not a sealed message (\(ClientKeyring.code(of: error)))")
        }
        let conversation = "\(message.conversationID)".lowercased()
        let sender = sealed.senderDeviceID.uuidString.lowercased()
        guard sealed.conversationID.uuidString.lowercased() == conversation else { throw Self.tampered("sealed for another conversation") }
        guard sealed.clientMessageID == message.clientMessageID else { throw Self.tampered("sealed under another client message id") }
        guard message.json["epoch"]?.integer.map({ UInt64(clamping: $0) }) == sealed.epoch,
            message.json["senderDevice"]?.string?.lowercased() == sender
        else { throw Self.tampered("the message's epoch or senderDevice differs from its sealed header") }
        var bundle = keyring.pinnedBundle(sender)
        if bundle == nil {
            try await unlessDisconnected { _ = try await devices(of: message.conversationID, via: request) }
            bundle = keyring.pinnedBundle(sender)
        }
        guard let bundle else {
            throw RealtimeClientError(code: .untrustedDevice, message: "The sender device \(sender) is not a verified device of the conversation.")
        }
        guard bundle.userID.uuidString.lowercased() == "\(message.senderID)".lowercased() else {
            throw RealtimeClientError(
                code: .untrustedDevice, message: "Device \(sender) belongs to user \(bundle.userID), not to the message's sender \(message.senderID).")
        }
        var key = self.key(conversation: conversation, epoch: sealed.epoch)
        if key == nil {
            try await unlessDisconnected { try await syncInbox(via: request) }
            key = self.key(conversation: conversation, epoch: sealed.epoch)
        }
        guard let key else {
            throw RealtimeClientError(
                code: .missingKey, message: "This device holds no key for epoch \(sealed.epoch) of conversation \(conversation).")
        }
        let opened: OpenedMessage
        do {
            opened = try sealed.open(with: key, from: bundle)
        } catch {
            throw Self.tampered("it does not verify (\(ClientKeyring.code(of: error)))")
        }
        try recordOpened("\(conversation)/\(sender)/\(sealed.clientMessageID)", seq: message.seq)
        return DecryptedMessage(message: message, plaintext: opened.plaintext, epoch: sealed.epoch, senderDeviceID: sealed.senderDeviceID)
    }

    /// Remembers where an authentic message was first seen; the same message under another
    /// `seq` is a replay (the same `seq` again is a redelivery).
    private func recordOpened(_ origin: String, seq: Int64) throws {
        if let first = opened[origin] {
            guard first == seq else {
                throw RealtimeClientError(code: .replayed, message: "The message first seen at seq \(first) was shown again at seq \(seq).")
            }
            return
        }
        opened[origin] = seq
        openedOrder.append(origin)
        if openedOrder.count > Self.replayMemory {
            let half = openedOrder.count / 2
            for origin in openedOrder.prefix(half) { opened[origin] = nil }
            openedOrder.removeFirst(half)
        }
    }

    /// Runs a fetch whose failure only means "nothing more is known", except that a missing
    /// connection is reported as such (`notConnected`: try again once connected).
    private func unlessDisconnected(_ fetch: () async throws -> Void) async throws {
        do {
            try await fetch()
        } catch let error as RealtimeClientError where error.code == .notConnected {
            throw error
        } catch {}
    }

    static func tampered(_ reason: String) -> RealtimeClientError {
        RealtimeClientError(code: .tampered, message: "The encrypted message cannot be trusted: \(reason).")
    }
}
