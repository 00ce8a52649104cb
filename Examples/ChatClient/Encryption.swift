import Foundation
import MessagingClient
import MessagingE2EE

/// A device of an encrypted conversation whose bundle verified (self-signature, listed user,
/// pin).
struct VerifiedDevice: Sendable {
    let bundle: DeviceBundle
    /// Whether the server holds an envelope of the current epoch for it.
    let hasKey: Bool
    var id: String { bundle.deviceID.uuidString.lowercased() }
}

/// The outcome of checking a listed device's bundle.
enum BundleVerdict: Sendable {
    case trusted(DeviceBundle)
    /// Why the bundle is not trusted.
    case refused(String)
}

/// `GET /v1/conversations/{id}/devices`, verified.
struct ConversationDevices: Sendable {
    let keyEpoch: UInt64
    let requiredEpoch: UInt64
    let verified: [VerifiedDevice]
    /// Devices that failed verification (id and reason); they get no keys.
    let skipped: [(id: String, reason: String)]
}

/// End-to-end encryption for one profile's device (`Documentation/E2EE.md`,
/// `e2ee-spec`): keeps the keyring, syncs the envelope inbox, verifies and pins bundles,
/// starts and shares key epochs, seals outgoing messages and opens incoming ones.
actor E2EESession {
    let api: API
    let identity: DeviceIdentity
    /// This device's id, lowercase.
    let device: String
    private var keyring: Keyring
    /// Opened keys, by `conversation/epoch` (never written to disk).
    private var keys: [String: ConversationKey] = [:]
    /// Verified device lists fetched during this run, by conversation.
    private var deviceLists: [String: ConversationDevices] = [:]
    /// Set when the inbox may hold envelopes not yet fetched (at start, after `key.distributed`).
    private var inboxStale = true

    /// Opens the profile's device keys (making and publishing them when the profile has none)
    /// and its keyring.
    static func open(api: API) async throws -> E2EESession {
        let identity = try await DeviceKeys.identity(api: api)
        return try E2EESession(api: api, identity: identity)
    }

    private init(api: API, identity: DeviceIdentity) throws {
        self.api = api
        self.identity = identity
        self.device = identity.deviceID.uuidString.lowercased()
        var keyring = try Keyring.load(profile: api.profileName, device: device)
        // My own bundle is pinned from my keys, never from the server.
        keyring.pins[device] = Keyring.Pin(user: identity.userID.uuidString.lowercased(), bundle: identity.makeBundle().textEncoded)
        self.keyring = keyring
    }

    // MARK: Keyring

    /// Re-reads the keyring (another command may have changed it), applies `change`, saves.
    private func updateKeyring(_ change: (inout Keyring) -> Void) {
        var fresh = (try? Keyring.load(profile: api.profileName, device: device)) ?? keyring
        for (id, pin) in keyring.pins where fresh.pins[id] == nil { fresh.pins[id] = pin }
        fresh.envelopeCursor = max(fresh.envelopeCursor, keyring.envelopeCursor)
        for (conversation, epochs) in keyring.envelopes {
            for (epoch, text) in epochs where fresh.envelopes[conversation]?[epoch] == nil {
                fresh.envelopes[conversation, default: [:]][epoch] = text
            }
        }
        change(&fresh)
        keyring = fresh
        do {
            try keyring.save(profile: api.profileName)
        } catch {
            warn("cannot save the keyring: \(error)")
        }
    }

    // MARK: Bundles

    /// Checks a listed device with `ClientKeyring.trust` (MessagingClient's trust on first
    /// use): its bundle verifies, names the listed device and user, and equals the pinned
    /// bundle when the device is pinned (else it gets pinned). Returns the bundle or the
    /// reason for refusing it.
    func verify(device id: String, user: String, bundle text: String) -> BundleVerdict {
        var check = ClientKeyring(device: device)
        check.pins = keyring.pins
        do {
            let bundle = try check.trust(device: id, user: user, bundle: text)
            if keyring.pins[id.lowercased()] == nil, let pin = check.pins[id.lowercased()] {
                updateKeyring { $0.pins[id.lowercased()] = pin }
            }
            return .trusted(bundle)
        } catch let error as RealtimeClientError {
            return .refused("\(error.message); not trusted (`ChatClient device` shows fingerprints)")
        } catch {
            return .refused("device \(id): \(error)")
        }
    }

    /// The pinned bundle of a device, if any.
    func pinnedBundle(_ id: String) -> DeviceBundle? {
        keyring.pins[id.lowercased()].flatMap { try? DeviceBundle(textEncoded: $0.bundle) }
    }

    /// Fetches and verifies the devices of a conversation; failures are warned about once
    /// per fetch (unless `quiet`).
    func devices(of conversation: String, quiet: Bool = false) async throws -> ConversationDevices {
        let answer = try await api.call("GET", "/v1/conversations/\(conversation)/devices")
        var verified: [VerifiedDevice] = []
        var skipped: [(id: String, reason: String)] = []
        for entry in answer["devices"]?.array ?? [] {
            let id = entry["id"]?.string ?? "?"
            guard let user = entry["user"]?.string, let bundle = entry["bundle"]?.string else {
                skipped.append((id, "device \(id): the server's entry has no user or bundle"))
                continue
            }
            switch verify(device: id, user: user, bundle: bundle) {
            case .trusted(let bundle): verified.append(VerifiedDevice(bundle: bundle, hasKey: entry["hasKey"]?.bool ?? false))
            case .refused(let reason): skipped.append((id, reason))
            }
        }
        if !quiet {
            for (_, reason) in skipped { warn("\(reason); it gets no keys and its messages are not trusted") }
        }
        let list = ConversationDevices(
            keyEpoch: answer["keyEpoch"]?.int.flatMap(UInt64.init(exactly:)) ?? 0,
            requiredEpoch: answer["requiredEpoch"]?.int.flatMap(UInt64.init(exactly:)) ?? 1,
            verified: verified, skipped: skipped)
        deviceLists[conversation] = list
        return list
    }

    // MARK: Inbox and keys

    /// Marks the inbox as possibly holding new envelopes (a `key.distributed` event was seen).
    func inboxMayHaveChanged() { inboxStale = true }

    /// Forgets the fetched device lists (a `device.added`/`device.removed` event was seen).
    func devicesMayHaveChanged() { deviceLists = [:] }

    /// Fetches the envelopes addressed to this device after the stored cursor, opens and
    /// verifies each one (sender bundle from the pins, else from the conversation's device
    /// list), stores those that open and reports the others on stderr.
    func syncInbox() async throws {
        var after = keyring.envelopeCursor
        var fetchedDevices: Set<String> = []
        while true {
            let answer = try await api.call(
                "GET", "/v1/devices/\(device)/envelopes", query: ["after": "\(after)", "limit": "200"])
            let page = answer["envelopes"]?.array ?? []
            let before = after
            for entry in page {
                guard let seq = entry["seq"]?.int, seq > before else { continue }
                await receive(entry, fetchedDevices: &fetchedDevices)
                after = max(after, seq)
            }
            let cursor = after
            updateKeyring { $0.envelopeCursor = max($0.envelopeCursor, cursor) }
            // Stop at the end, and when a page did not advance the cursor (a server that keeps
            // answering hasMore without new entries would otherwise keep us here forever).
            if answer["hasMore"]?.bool != true || page.isEmpty || after == before { break }
        }
        inboxStale = false
    }

    /// One inbox entry: verify, open, store (or report why not).
    private func receive(_ entry: JSON, fetchedDevices: inout Set<String>) async {
        let seq = entry["seq"]?.int ?? 0
        guard let conversation = entry["conversation"]?.string?.lowercased(), let conversationUUID = UUID(uuidString: conversation),
            let epoch = entry["epoch"]?.int.flatMap(UInt64.init(exactly:)), let text = entry["envelope"]?.string
        else {
            warn("rejected key envelope #\(seq): the server's entry is incomplete")
            return
        }
        let envelope: KeyEnvelope
        do {
            envelope = try KeyEnvelope(textEncoded: text)
        } catch {
            warn("rejected key envelope #\(seq) (conversation \(conversation), epoch \(epoch)): malformed (\(code(of: error)))")
            return
        }
        let sender = envelope.senderDeviceID.uuidString.lowercased()
        // The sender must be a verified device of a member of *this* conversation (a bundle
        // pinned elsewhere is not enough: its owner may not be a member here).
        if !fetchedDevices.contains(conversation) {
            fetchedDevices.insert(conversation)
            _ = try? await devices(of: conversation, quiet: true)
        }
        guard deviceLists[conversation]?.verified.contains(where: { $0.id == sender }) == true, let bundle = pinnedBundle(sender)
        else {
            warn("rejected key envelope #\(seq) (conversation \(conversation), epoch \(epoch)): sender device \(sender) is not a verified device of a member of the conversation")
            return
        }
        do {
            try store(envelope, text: text, sender: bundle, conversation: conversationUUID, epoch: epoch)
        } catch {
            warn("rejected key envelope #\(seq) (conversation \(conversation), epoch \(epoch)) from device \(sender): \(code(of: error))")
        }
    }

    /// Opens an envelope addressed to this device and stores it unless a different key is
    /// already held for its epoch (`keyConflict`).
    private func store(_ envelope: KeyEnvelope, text: String, sender: DeviceBundle, conversation: UUID, epoch: UInt64) throws {
        let key = try envelope.open(as: identity, from: sender, conversationID: conversation, epoch: epoch)
        let conversationID = conversation.uuidString.lowercased()
        if let held = self.key(conversation: conversationID, epoch: epoch) {
            guard held.hasSameKeyMaterial(as: key) else {
                throw E2EEError(code: .keyConflict, message: "a different key is already held for this epoch; keeping the first")
            }
            return
        }
        keys["\(conversationID)/\(epoch)"] = key
        updateKeyring { $0.store(envelope: text, conversation: conversationID, epoch: epoch) }
    }

    /// The key of `(conversation, epoch)` from memory or from the stored envelope.
    func key(conversation: String, epoch: UInt64) -> ConversationKey? {
        let conversation = conversation.lowercased()
        if let key = keys["\(conversation)/\(epoch)"] { return key }
        guard let text = keyring.envelope(conversation: conversation, epoch: epoch),
            let envelope = try? KeyEnvelope(textEncoded: text),
            let sender = pinnedBundle(envelope.senderDeviceID.uuidString),
            let conversationUUID = UUID(uuidString: conversation),
            let key = try? envelope.open(as: identity, from: sender, conversationID: conversationUUID, epoch: epoch)
        else { return nil }
        keys["\(conversation)/\(epoch)"] = key
        return key
    }

    // MARK: Sending

    /// Seals and sends `text`, first making sure a usable key epoch exists and that every
    /// verified device holds its key. Retries once after `rekey_required`.
    func send(_ text: String, clientMessageID: String, to conversation: String) async throws -> JSON {
        try await send(plaintext: Array(text.utf8), attachments: [], clientMessageID: clientMessageID, to: conversation)
    }

    /// Encrypts `file` with a fresh media key (E2EE.md §7), uploads the ciphertext as an
    /// opaque `application/octet-stream` object, and sends the media reference (key, digest
    /// and the attachment id in its locator, §6.3) as the sealed plaintext of a message that
    /// names the upload.
    func send(file: URL, clientMessageID: String, to conversation: String) async throws -> JSON {
        let encrypted = FileManager.default.temporaryDirectory.appendingPathComponent("chatclient-\(UUID().uuidString).enc")
        defer { try? FileManager.default.removeItem(at: encrypted) }
        FileManager.default.createFile(atPath: encrypted.path, contents: nil, attributes: [.posixPermissions: 0o600])
        let reference: MediaReference
        do {
            let input = try FileHandle(forReadingFrom: file)
            let output = try FileHandle(forWritingTo: encrypted)
            defer {
                try? input.close()
                try? output.close()
            }
            reference = try MediaEncryptor.encrypt(reading: input, writing: output, contentType: Attachments.contentType(of: file.path))
        } catch {
            throw ClientError.usage("Cannot encrypt \(file.path): \(error).")
        }
        let digest = try Attachments.sha256(of: encrypted)
        let id = try await Attachments.upload(
            encrypted, as: "encrypted", contentType: "application/octet-stream", in: conversation, api: api)
        let locator = EncryptedAttachmentLocator(attachmentID: id, sha256: digest, fileName: file.lastPathComponent)
        let carried = try reference.with(locator: locator.text)
        return try await send(plaintext: carried.serialized, attachments: [id], clientMessageID: clientMessageID, to: conversation)
    }

    /// Seals `plaintext` with the conversation's current key and sends it, naming `attachments`.
    func send(plaintext: [UInt8], attachments: [String], clientMessageID: String, to conversation: String) async throws -> JSON {
        guard let conversationUUID = UUID(uuidString: conversation) else { throw ClientError.usage("Bad conversation id \(conversation).") }
        try await syncInbox()
        var forceRotation = false
        for attempt in 0..<2 {
            let key = try await currentKey(conversation: conversation, id: conversationUUID, forceRotation: forceRotation)
            let sealed: SealedMessage
            do {
                sealed = try SealedMessage.seal(plaintext, clientMessageID: clientMessageID, with: key, from: identity)
            } catch {
                throw ClientError.usage("Cannot encrypt the message: \(error).")
            }
            do {
                return try await api.call(
                    "POST", "/v1/conversations/\(conversation)/messages",
                    body: [
                        "clientMessageId": .string(clientMessageID), "ciphertext": .string(Data(sealed.serialized).base64EncodedString()),
                        "epoch": .number(Double(key.epoch)), "senderDevice": .string(device),
                        "attachments": .array(attachments.map { .string($0) }),
                    ])
            } catch ClientError.server(status: 409, code: "rekey_required", let message) where attempt == 0 {
                note("the server wants a new key epoch (\(message)); rotating")
                forceRotation = true
            } catch ClientError.server(status: 409, code: "conflict", let message) {
                // Sealing again draws a new nonce, so a retried client message id never matches
                // the stored ciphertext: find the original instead of reporting a conflict.
                if let original = try await ownMessage(clientMessageID, in: conversation),
                    (try? await openPlaintext(original, in: conversation)) == plaintext
                {
                    return .object(["message": original, "duplicate": .bool(true)])
                }
                throw ClientError.server(status: 409, code: "conflict", message: message)
            }
        }
        throw ClientError.usage("The server keeps asking for a new key epoch; try again.")
    }

    /// This user's message with `clientMessageID` among the conversation's latest 200, if any.
    private func ownMessage(_ clientMessageID: String, in conversation: String) async throws -> JSON? {
        let page = try await api.call("GET", "/v1/conversations/\(conversation)/messages", query: ["limit": "200"])
        let me = api.profile.userID?.lowercased()
        return page["messages"]?.array?.first { message in
            message["clientMessageId"]?.string == clientMessageID && message["sender"]?.string?.lowercased() == me
        }
    }

    /// The key to send with: the current epoch's when this device holds it (sharing it with
    /// verified devices that lack it), else a new epoch sealed to every verified device.
    private func currentKey(conversation: String, id: UUID, forceRotation: Bool) async throws -> ConversationKey {
        var forceRotation = forceRotation
        var published = false
        var attempt = 0
        while true {
            var list = try await devices(of: conversation, quiet: attempt > 0)
            if !list.verified.contains(where: { $0.id == device }) && !published {
                // Not listed: publish this device (it may have been made before the server knew E2EE).
                published = true
                try await DeviceKeys.publish(api: api, bundle: identity.makeBundle().textEncoded)
                list = try await devices(of: conversation, quiet: true)
            }
            guard list.verified.contains(where: { $0.id == device }) else {
                throw ClientError.usage(
                    "This device (\(device)) is not an active device of the conversation; run `ChatClient device --publish --profile \(api.profileName)`, or log in with a new profile if the device was removed.")
            }
            let held = list.keyEpoch > 0 ? key(conversation: conversation, epoch: list.keyEpoch) : nil
            if let held, !forceRotation, list.keyEpoch >= list.requiredEpoch {
                await share(held, with: list.verified.filter { !$0.hasKey }, conversation: conversation)
                return held
            }
            let epoch = max(list.keyEpoch + 1, list.requiredEpoch)
            do {
                return try await rotate(conversation: conversation, id: id, epoch: epoch, devices: list.verified)
            } catch ClientError.server(status: 409, let code, let message) where code == "conflict" {
                guard attempt == 0 else {
                    if !list.skipped.isEmpty {
                        throw ClientError.usage(
                            "Cannot start key epoch \(epoch): the server wants envelopes for every device of the conversation, but \(list.skipped.count) device(s) failed verification (see the warnings above) and get no key. Resolve that (compare fingerprints; the owner may remove the bad device) and send again."
                        )
                    }
                    throw ClientError.server(status: 409, code: code, message: message)
                }
                note("the key epoch or device list changed meanwhile (\(message)); fetching again")
                try await syncInbox()
                forceRotation = false
                attempt += 1
            }
        }
    }

    /// Starts `epoch` with a fresh key sealed to every verified device (this one included)
    /// and keeps this device's own envelope.
    private func rotate(conversation: String, id: UUID, epoch: UInt64, devices: [VerifiedDevice]) async throws -> ConversationKey {
        let key: ConversationKey
        var envelopes: [KeyEnvelope] = []
        do {
            key = try ConversationKey.generate(conversationID: id, epoch: epoch)
            for recipient in devices { envelopes.append(try KeyEnvelope.seal(key, to: recipient.bundle, from: identity)) }
        } catch {
            throw ClientError.usage("Cannot seal the new key: \(error).")
        }
        try await api.call(
            "POST", "/v1/conversations/\(conversation)/envelopes",
            body: [
                "epoch": .number(Double(epoch)), "senderDevice": .string(device),
                "envelopes": .array(envelopes.map { .string($0.textEncoded) }),
            ])
        // The server accepted this epoch from us, so our key is the epoch's key: it replaces
        // anything held for the epoch (which could only be an envelope the server planted).
        if let mine = envelopes.first(where: { $0.recipientDeviceID == identity.deviceID }) {
            let conversationID = id.uuidString.lowercased()
            keys["\(conversationID)/\(epoch)"] = key
            updateKeyring { $0.store(envelope: mine.textEncoded, conversation: conversationID, epoch: epoch) }
        }
        note("started key epoch \(epoch) for \(devices.count) device(s)")
        return key
    }

    /// Seals the current key to devices that lack it; a refusal is a warning (the message can
    /// still be sent; those devices cannot read it).
    private func share(_ key: ConversationKey, with recipients: [VerifiedDevice], conversation: String) async {
        guard !recipients.isEmpty else { return }
        do {
            let envelopes = try recipients.map { try KeyEnvelope.seal(key, to: $0.bundle, from: identity) }
            try await api.call(
                "POST", "/v1/conversations/\(conversation)/envelopes",
                body: [
                    "epoch": .number(Double(key.epoch)), "senderDevice": .string(device),
                    "envelopes": .array(envelopes.map { .string($0.textEncoded) }),
                ])
            note("shared the key of epoch \(key.epoch) with \(recipients.count) device(s)")
        } catch {
            warn("could not share the key of epoch \(key.epoch) with \(recipients.map(\.id).joined(separator: ", ")): \(error)")
        }
    }

    // MARK: Receiving

    /// Why a message cannot be shown.
    enum Failure: Error {
        case missingEnvelope(epoch: UInt64)
        case unknownDevice(String)
        case tampered(String)
        case wrongSender

        var text: String {
            switch self {
            case .missingEnvelope(let epoch): "[cannot decrypt: missing envelope for epoch \(epoch)]"
            case .unknownDevice(let id): "[cannot decrypt: unknown device \(id)]"
            case .tampered(let code): "[cannot decrypt: tampered (\(code))]"
            case .wrongSender: "[cannot decrypt: wrong sender]"
            }
        }
    }

    /// Opens an encrypted Message object of `conversation`: checks the header against the
    /// message (conversation, client id), the sender device's bundle against the message's
    /// sender, then decrypts with the epoch's key. Never throws anything but ``Failure``.
    func open(_ message: JSON, in conversation: String) async throws(Failure) -> String {
        Self.displayText(of: try await openPlaintext(message, in: conversation))
    }

    /// Opens an encrypted Message object as ``open(_:in:)`` does and returns the plaintext bytes.
    func openPlaintext(_ message: JSON, in conversation: String) async throws(Failure) -> [UInt8] {
        guard let base64 = message["ciphertext"]?.string, let bytes = Data(base64Encoded: base64) else {
            throw Failure.tampered("invalidFormat")
        }
        let sealed: SealedMessage
        do {
            sealed = try SealedMessage(serialized: [UInt8](bytes))
        } catch {
            throw Failure.tampered(code(of: error))
        }
        guard sealed.conversationID.uuidString.lowercased() == conversation.lowercased() else { throw Failure.tampered("wrongConversation") }
        guard sealed.clientMessageID == message["clientMessageId"]?.string else { throw Failure.tampered("clientMessageIdMismatch") }
        guard message["epoch"]?.int.flatMap(UInt64.init(exactly:)) == sealed.epoch,
            message["senderDevice"]?.string?.lowercased() == sealed.senderDeviceID.uuidString.lowercased()
        else { throw Failure.tampered("headerMismatch") }
        let sender = sealed.senderDeviceID.uuidString.lowercased()
        var bundle = pinnedBundle(sender)
        if bundle == nil, deviceLists[conversation] == nil {
            _ = try? await devices(of: conversation)
            bundle = pinnedBundle(sender)
        }
        guard let bundle else { throw Failure.unknownDevice(sender) }
        guard bundle.userID.uuidString.lowercased() == message["sender"]?.string?.lowercased() else { throw Failure.wrongSender }
        var key = self.key(conversation: conversation, epoch: sealed.epoch)
        if key == nil, inboxStale {
            try? await syncInbox()
            key = self.key(conversation: conversation, epoch: sealed.epoch)
        }
        guard let key else { throw Failure.missingEnvelope(epoch: sealed.epoch) }
        do {
            let opened = try sealed.open(with: key, from: bundle)
            return opened.plaintext
        } catch {
            throw Failure.tampered(code(of: error))
        }
    }

    /// What to print for an opened plaintext (E2EE.md §6.2): a media reference (starts with
    /// `0x01 0x06` and parses as one) is named, never printed (it holds the media key);
    /// anything else is the message text in UTF-8.
    static func displayText(of plaintext: [UInt8]) -> String {
        if plaintext.starts(with: [0x01, 0x06]), let reference = try? MediaReference(serialized: plaintext) {
            if let locator = EncryptedAttachmentLocator(reference.locator) {
                return "[attachment: \(locator.fileName), \(reference.contentType), \(reference.plaintextLength) bytes; save it with ChatClient download]"
            }
            return "[attachment: \(reference.contentType), \(reference.plaintextLength) bytes; not stored on this server]"
        }
        return String(decoding: plaintext, as: UTF8.self)
    }

    private nonisolated func code(of error: any Error) -> String {
        (error as? E2EEError).map { "\($0.code)" } ?? "\(error)"
    }
}

/// Shows encrypted messages for `history` and `tail`: opens the device keys only when the
/// first encrypted message appears, so plain conversations never touch them.
actor MessageDecryptor {
    let api: API
    let conversation: String
    private var session: E2EESession?
    private var unavailable: String?
    /// The `seq` each (sender device, client message id) was first shown at: a sealed message
    /// the server shows again under another `seq` is a replay.
    private var shown: [String: Int64] = [:]

    init(api: API, conversation: String) {
        self.api = api
        self.conversation = conversation.lowercased()
    }

    /// The text to print for a message: its plaintext, a `[cannot decrypt: …]` line, or nil
    /// when the message is not an encrypted one (or is deleted).
    func text(of message: JSON) async -> String? {
        guard message["kind"]?.string == "encrypted", message["ciphertext"] != nil,
            message["deletedAt"].map({ $0 != .null }) != true
        else { return nil }
        guard let session = await openSession() else { return "[cannot decrypt: \(unavailable ?? "no device keys")]" }
        do {
            let text = try await session.open(message, in: conversation)
            let origin = "\(message["senderDevice"]?.string ?? "")/\(message["clientMessageId"]?.string ?? "")"
            let seq = message["seq"]?.int ?? 0
            if let first = shown[origin], first != seq { return "[replayed: the message of seq \(first) shown again]" }
            shown[origin] = seq
            return text
        } catch {
            return error.text
        }
    }

    /// Tail's hook: device and key events make the cached lists and inbox stale.
    func observe(_ event: JSON) async {
        guard let session else { return }
        switch event["kind"]?.string {
        case "key.distributed": await session.inboxMayHaveChanged()
        case "device.added", "device.removed": await session.devicesMayHaveChanged()
        default: break
        }
    }

    private func openSession() async -> E2EESession? {
        if let session { return session }
        if unavailable != nil { return nil }
        do {
            let session = try await E2EESession.open(api: api)
            self.session = session
            return session
        } catch {
            unavailable = "device keys unavailable"
            warn("cannot open this device's keys, so encrypted messages stay unreadable: \(error)")
            return nil
        }
    }
}
