import Foundation
import MessagingCore
import MessagingE2EE
import MessagingWire

extension ClientEncryption {
    /// A device of an encrypted conversation whose bundle verified (self-signature, listed user, pin).
    struct VerifiedDevice: Sendable {
        let bundle: DeviceBundle
        let user: String
        /// Whether the server holds an envelope of the current epoch for it.
        let hasKey: Bool
        var id: String { bundle.deviceID.uuidString.lowercased() }
    }

    /// The `devices` answer, verified.
    struct DeviceList: Sendable {
        let keyEpoch: UInt64
        let requiredEpoch: UInt64
        let verified: [VerifiedDevice]
        /// Devices whose bundle was refused (they get no keys).
        let refused: [RealtimeClientError]
    }

    /// The most devices a `devices` answer may list (the server's default cap is 1,000).
    static let maximumDevices = 10_000
    /// The most envelope inbox pages one sync reads.
    static let maximumInboxPages = 1_000

    /// Fetches and verifies the devices of an encrypted conversation (and remembers that it is one).
    func devices(of conversation: ConversationID, via request: Requester) async throws -> DeviceList {
        let answer = try await request(ClientRequest.Body.devices(conversation).fields)
        guard let entries = answer["devices"]?.array, entries.count <= Self.maximumDevices,
            let keyEpoch = answer["keyEpoch"]?.integer, keyEpoch >= 0, keyEpoch < Int64.max,
            let requiredEpoch = answer["requiredEpoch"]?.integer, requiredEpoch >= 1
        else {
            throw RealtimeClientError(code: .invalidResponse, message: "The devices answer lacks devices, keyEpoch or requiredEpoch.")
        }
        var verified: [VerifiedDevice] = []
        var refused: [RealtimeClientError] = []
        updateKeyring { keyring in
            keyring.encryptedConversations.insert("\(conversation)".lowercased())
            for entry in entries {
                guard let id = entry["id"]?.string, let user = entry["user"]?.string, let text = entry["bundle"]?.string else {
                    refused.append(ClientKeyring.refusal("a listed device has no id, user or bundle"))
                    continue
                }
                guard !verified.contains(where: { $0.id == id.lowercased() }) else { continue }  // listed twice
                do {
                    let bundle = try keyring.trust(device: id, user: user, bundle: text)
                    verified.append(VerifiedDevice(bundle: bundle, user: user.lowercased(), hasKey: entry["hasKey"]?.bool ?? false))
                } catch let error as RealtimeClientError {
                    refused.append(error)
                } catch {
                    refused.append(ClientKeyring.refusal("\(error)"))
                }
            }
        }
        for error in refused { logger.warning("a device gets no keys", metadata: ["reason": "\(error.message)"]) }
        return DeviceList(keyEpoch: UInt64(keyEpoch), requiredEpoch: UInt64(requiredEpoch), verified: verified, refused: refused)
    }

    // MARK: Inbox

    /// Fetches the envelopes addressed to this device after the stored cursor, opens and
    /// verifies each one (its sender must be a verified device of the conversation), and
    /// stores those that open; the others are logged and skipped.
    func syncInbox(via request: Requester) async throws {
        var after = keyring.envelopeCursor
        var lists: [String: DeviceList?] = [:]
        for _ in 0..<Self.maximumInboxPages {
            let answer = try await request(ClientRequest.Body.envelopes(device: try deviceID(), after: after, limit: 200).fields)
            let page = answer["envelopes"]?.array ?? []
            let before = after
            for entry in page {
                guard let seq = entry["seq"]?.integer, seq > before else { continue }
                await receive(entry, lists: &lists, via: request)
                after = max(after, seq)
            }
            let cursor = after
            updateKeyring { $0.envelopeCursor = max($0.envelopeCursor, cursor) }
            // A page that did not advance the cursor ends the sync (a server that keeps
            // answering hasMore without new entries would otherwise keep us here).
            if answer["hasMore"]?.bool != true || page.isEmpty || after == before { break }
        }
    }

    /// One inbox entry: verify, open, store (or log why not).
    private func receive(_ entry: ClientJSON, lists: inout [String: DeviceList?], via request: Requester) async {
        let seq = entry["seq"]?.integer ?? 0
        guard let conversation = entry["conversation"]?.string.flatMap(ConversationID.init),
            let conversationUUID = UUID(uuidString: "\(conversation)"),
            let epoch = entry["epoch"]?.integer, epoch >= 1, let text = entry["envelope"]?.string, text.utf8.count <= 4096
        else {
            logger.warning("rejected a key envelope: the server's entry is incomplete", metadata: ["seq": "\(seq)"])
            return
        }
        let id = "\(conversation)".lowercased()
        do {
            let envelope = try KeyEnvelope(textEncoded: text)
            let sender = envelope.senderDeviceID.uuidString.lowercased()
            // The sender must be a verified device of a member of *this* conversation.
            if lists[id] == nil { lists[id] = .some(try? await devices(of: conversation, via: request)) }
            guard let list = lists[id] ?? nil, list.verified.contains(where: { $0.id == sender }), let bundle = keyring.pinnedBundle(sender)
            else {
                throw RealtimeClientError(code: .untrustedDevice, message: "sender device \(sender) is not a verified device of a member")
            }
            let key = try envelope.open(as: identity, from: bundle, conversationID: conversationUUID, epoch: UInt64(epoch))
            try hold(key, envelope: text, conversation: id)
        } catch {
            logger.warning(
                "rejected a key envelope", metadata: ["seq": "\(seq)", "conversation": "\(id)", "epoch": "\(epoch)", "error": "\(error)"])
        }
    }

    /// Keeps an opened key and its envelope, unless a different key is held for its epoch.
    private func hold(_ key: ConversationKey, envelope text: String, conversation: String) throws {
        if let held = self.key(conversation: conversation, epoch: key.epoch) {
            guard held.hasSameKeyMaterial(as: key) else {
                throw E2EEError(code: .keyConflict, message: "a different key is already held for this epoch; keeping the first")
            }
            return
        }
        keys["\(conversation)/\(key.epoch)"] = key
        updateKeyring { $0.store(envelope: text, conversation: conversation, epoch: key.epoch) }
    }

    /// The key of `(conversation, epoch)` from memory or from the stored envelope.
    func key(conversation: String, epoch: UInt64) -> ConversationKey? {
        let conversation = conversation.lowercased()
        if let key = keys["\(conversation)/\(epoch)"] { return key }
        guard let text = keyring.envelope(conversation: conversation, epoch: epoch),
            let envelope = try? KeyEnvelope(textEncoded: text),
            let sender = keyring.pinnedBundle(envelope.senderDeviceID.uuidString),
            let conversationUUID = UUID(uuidString: conversation),
            let key = try? envelope.open(as: identity, from: sender, conversationID: conversationUUID, epoch: epoch)
        else { return nil }
        keys["\(conversation)/\(epoch)"] = key
        return key
    }

    // MARK: Sending

    /// Seals `plaintext` for `conversation` under its current key, making or sharing the key
    /// first (a new epoch when `forceRotation`: the server said `rekey_required`). Returns the
    /// `send` fields `ciphertext`, `epoch` and `senderDevice`.
    func seal(
        _ plaintext: [UInt8], clientMessageID: String, in conversation: ConversationID, forceRotation: Bool, via request: Requester
    ) async throws -> [String: ClientJSON] {
        try await syncInbox(via: request)
        let key = try await currentKey(conversation, forceRotation: forceRotation, via: request)
        let sealed: SealedMessage
        do {
            sealed = try SealedMessage.seal(plaintext, clientMessageID: clientMessageID, with: key, from: identity)
        } catch {
            throw RealtimeClientError(code: .invalidArgument, message: "Cannot seal the message: \(error).")
        }
        return [
            "ciphertext": .string(Data(sealed.serialized).base64EncodedString()), "epoch": .integer(Int64(key.epoch)),
            "senderDevice": .string(device),
        ]
    }

    /// The key to send with: the current epoch's when this device holds it and no member
    /// lacks it (it is shared with new devices of members who hold it), else a new epoch
    /// sealed to every verified device, so a member who joined reads nothing older.
    private func currentKey(_ conversation: ConversationID, forceRotation: Bool, via request: Requester) async throws -> ConversationKey {
        var forceRotation = forceRotation
        var attempt = 0
        while true {
            var list = try await devices(of: conversation, via: request)
            if !list.verified.contains(where: { $0.id == device }) && !published {
                try await publish(via: request)
                list = try await devices(of: conversation, via: request)
            }
            guard list.verified.contains(where: { $0.id == device }) else {
                throw RealtimeClientError(
                    code: .deviceNotActive, message: "This device (\(device)) is not an active device of the conversation; it was removed, or the server refuses its bundle.")
            }
            let holders = Set(list.verified.filter(\.hasKey).map(\.user))
            let lacking = list.verified.filter { !$0.hasKey }
            let newMember = lacking.contains { !holders.contains($0.user) }
            let held = list.keyEpoch > 0 ? key(conversation: "\(conversation)", epoch: list.keyEpoch) : nil
            if let held, !forceRotation, !newMember, list.keyEpoch >= list.requiredEpoch {
                await share(held, with: lacking, in: conversation, via: request)
                return held
            }
            let epoch = max(list.keyEpoch + 1, list.requiredEpoch)
            do {
                return try await rotate(conversation, to: epoch, devices: list.verified, via: request)
            } catch let error as RealtimeClientError where error.code == .server && error.serverCode == "conflict" {
                guard attempt == 0 else {
                    if !list.refused.isEmpty {
                        throw RealtimeClientError(
                            code: .untrustedDevice,
                            message: "Cannot start key epoch \(epoch): \(list.refused.count) device(s) of the conversation are not trusted (\(list.refused[0].message)), and the server wants envelopes for all of them.")
                    }
                    throw error
                }
                // The key epoch or the device list changed meanwhile: fetch again.
                try await syncInbox(via: request)
                forceRotation = false
                attempt += 1
            }
        }
    }

    /// Starts `epoch` with a fresh key sealed to every verified device (this one included).
    private func rotate(_ conversation: ConversationID, to epoch: UInt64, devices: [VerifiedDevice], via request: Requester) async throws
        -> ConversationKey
    {
        guard let id = UUID(uuidString: "\(conversation)") else {
            throw RealtimeClientError(code: .invalidArgument, message: "Bad conversation id \(conversation).")
        }
        let rotation: EpochRotation
        do {
            rotation = try EpochRotation.start(conversationID: id, epoch: epoch, sender: identity, devices: devices.map(\.bundle))
        } catch {
            throw RealtimeClientError(code: .invalidArgument, message: "Cannot seal the new key: \(error).")
        }
        _ = try await request(ClientRequest.Body.uploadEnvelopes(.init(
            conversationID: conversation, epoch: epoch, senderDeviceID: try deviceID(),
            envelopes: rotation.envelopes.map { Data($0.serialized) })).fields)
        // The server accepted this epoch from us, so our key is the epoch's key.
        let conversationID = "\(conversation)".lowercased()
        keys["\(conversationID)/\(epoch)"] = rotation.key
        if let mine = rotation.envelope(for: identity.deviceID) {
            updateKeyring { $0.store(envelope: mine.textEncoded, conversation: conversationID, epoch: epoch) }
        }
        logger.info("started a key epoch", metadata: ["conversation": "\(conversationID)", "epoch": "\(epoch)", "devices": "\(devices.count)"])
        return rotation.key
    }

    /// Seals the current key to devices that lack it; a refusal is logged (the message is
    /// still sent; those devices cannot read it).
    private func share(_ key: ConversationKey, with recipients: [VerifiedDevice], in conversation: ConversationID, via request: Requester) async {
        guard !recipients.isEmpty else { return }
        do {
            let envelopes = try recipients.map { try KeyEnvelope.seal(key, to: $0.bundle, from: identity) }
            _ = try await request(ClientRequest.Body.uploadEnvelopes(.init(
                conversationID: conversation, epoch: key.epoch, senderDeviceID: try deviceID(),
                envelopes: envelopes.map { Data($0.serialized) })).fields)
        } catch {
            logger.warning("could not share the current key", metadata: ["epoch": "\(key.epoch)", "error": "\(error)"])
        }
    }
}
