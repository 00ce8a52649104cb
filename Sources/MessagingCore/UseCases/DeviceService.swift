import Foundation

/// The outcome of publishing a device bundle.
///
/// Thread safety: a value type; safe to share across tasks.
public struct DevicePublication: Hashable, Sendable {
    /// The registered device.
    public let device: Device
    /// `false` when the same bundle was published before (nothing changed).
    public let isNew: Bool
    /// The encrypted conversations that got a `deviceAdded` or `deviceRemoved` event.
    public let conversations: [ConversationID]
}

/// The end-to-end encryption directory: device bundles, key epochs and key envelopes.
///
/// The server stores and relays what devices upload and checks what it can without reading
/// anything: bundle self-signatures and owners, envelope senders, recipients and signatures,
/// and the epoch rules. Clients still verify everything themselves (they cannot trust the
/// server); see `Documentation/E2EE.md`, "End-to-end flow".
///
/// Epoch rules of an encrypted conversation (``ConversationKeyState``):
/// - Envelopes for `keyEpoch + 1` start a new epoch and must go to exactly the active devices of
///   the current members.
/// - Envelopes for `keyEpoch` share the current key with devices that lack it; only a device
///   that holds the epoch's key may share it.
/// - Removing a member or a device sets `requiredEpoch = keyEpoch + 1`: messages naming an
///   older epoch are refused with `rekeyRequired` until someone starts a new epoch.
///
/// Thread safety: immutable; safe to share across tasks.
public struct DeviceService: Sendable {
    let context: ServiceContext

    /// The most envelopes one upload may carry.
    public static let maxEnvelopesPerUpload = 1000

    /// Registers the caller's device from its signed bundle. The bundle's self-signature must
    /// verify and its user id must be the caller's (`forbidden` otherwise). Publishing the same
    /// bundle again returns the device unchanged; another bundle under a registered device id,
    /// or a removed device's id, is a `conflict`. Appends `deviceAdded` to each encrypted
    /// conversation the caller is a member of.
    public func publish(_ bundle: Data, by user: UserID) async throws -> DevicePublication {
        let verified = try context.requireVerifier().verifyBundle(bundle)
        guard verified.userID == user else {
            throw MessagingError.forbidden(
                "The bundle names the user \(verified.userID), not you; a device bundle must name your own user id.")
        }
        let now = context.clock.now()
        let limits = context.limits
        return try await context.write { transaction in
            if let existing = try transaction.device(id: verified.deviceID) {
                guard existing.userID == user, existing.bundle == bundle else {
                    throw MessagingError.conflict(
                        "The device id \(verified.deviceID) is registered with another bundle; generate a new device identity with a new id.")
                }
                guard existing.isActive else {
                    throw MessagingError.conflict(
                        "The device \(verified.deviceID) was removed and cannot come back; generate a new device identity with a new id.")
                }
                return DevicePublication(device: existing, isNew: false, conversations: [])
            }
            guard try transaction.user(id: user) != nil else {
                throw MessagingError.notFound("No user has the id \(user); register first.")
            }
            let active = try transaction.activeDevices(of: user).count
            guard active < limits.maxDevicesPerUser else {
                throw MessagingError.limitExceeded(
                    "You have \(active) active devices; the limit is \(limits.maxDevicesPerUser). Remove one you no longer use (device.remove, DELETE /v1/devices/{id}) first.")
            }
            let conversations = try transaction.encryptedConversations(of: user)
            for conversation in conversations {
                try transaction.requireRoomForDevices(1, in: conversation, limits: limits)
            }
            let device = Device(id: verified.deviceID, userID: user, bundle: bundle, addedAt: now, removedAt: nil)
            try transaction.insert(device)
            for conversation in conversations {
                try transaction.record(
                    { _ in .deviceAdded(userID: user, deviceID: device.id) }, in: conversation, by: user, at: now)
            }
            return DevicePublication(device: device, isNew: true, conversations: conversations)
        }
    }

    /// Removes one of the caller's devices (lost, stolen or retired): it gets no new keys, each
    /// encrypted conversation of the caller gets a `deviceRemoved` event and requires a new
    /// epoch. Removing a removed device returns it unchanged.
    public func remove(_ deviceID: DeviceID, by user: UserID) async throws -> DevicePublication {
        let now = context.clock.now()
        return try await context.write { transaction in
            guard var device = try transaction.device(id: deviceID), device.userID == user else {
                throw MessagingError.notFound("None of your devices has the id \(deviceID).")
            }
            guard device.isActive else { return DevicePublication(device: device, isNew: false, conversations: []) }
            try transaction.markRemoved(deviceID, at: now)
            device.removedAt = now
            let conversations = try transaction.encryptedConversations(of: user)
            for conversation in conversations {
                try transaction.record(
                    { _ in .deviceRemoved(userID: user, deviceID: deviceID) }, in: conversation, by: user, at: now)
                try transaction.requireNewEpoch(in: conversation)
            }
            return DevicePublication(device: device, isNew: true, conversations: conversations)
        }
    }

    /// The key state of an encrypted conversation and the devices its keys go to, for a member.
    public func devices(of conversationID: ConversationID, for user: UserID) async throws -> ConversationDevices {
        try await context.store.read { transaction in
            let (conversation, _) = try transaction.requireMembership(of: user, in: conversationID)
            try Self.requireEncrypted(conversation)
            let state = try transaction.keyState(of: conversationID) ?? .initial
            let devices = try transaction.activeMemberDevices(of: conversationID)
            let holders = state.keyEpoch > 0 ? try transaction.envelopeRecipients(in: conversationID, epoch: state.keyEpoch) : []
            return ConversationDevices(
                keyState: state, devices: devices, devicesWithCurrentKey: holders.intersection(devices.map(\.id)))
        }
    }

    /// Stores the key envelopes of `epoch`, sealed by the caller's device `senderDeviceID`,
    /// one per recipient device, and appends a `keyDistributed` event. See the type's epoch rules.
    public func uploadEnvelopes(
        _ envelopes: [Data], epoch: UInt64, from senderDeviceID: DeviceID, in conversationID: ConversationID,
        by user: UserID
    ) async throws -> EnvelopeUploadReceipt {
        guard (1...Self.maxEnvelopesPerUpload).contains(envelopes.count) else {
            throw MessagingError.invalidInput(
                "An upload carries 1 to \(Self.maxEnvelopesPerUpload) envelopes; it had \(envelopes.count).")
        }
        guard epoch >= 1, epoch <= UInt64(Int64.max) else {
            throw MessagingError.invalidInput("Key epochs are 1 to 2^63 - 1; epochs start at 1 and grow by one.")
        }
        let verifier = try context.requireVerifier()
        var parsed: [DeviceID] = []
        for (index, envelope) in envelopes.enumerated() {
            let header = try verifier.envelopeHeader(envelope)
            guard header.conversationID == conversationID, header.epoch == epoch, header.senderDeviceID == senderDeviceID else {
                throw MessagingError.invalidInput(
                    "Envelope \(index) is sealed for another conversation, epoch or sender device than the upload states.")
            }
            parsed.append(header.recipientDeviceID)
        }
        let recipients = parsed
        guard Set(recipients).count == recipients.count else {
            throw MessagingError.invalidInput("The upload has two envelopes for the same device; send one per device.")
        }
        // Verify the signatures against a snapshot, outside the write lock (up to 1,000 Ed25519
        // checks). Bundles never change once registered, so the verdicts hold in the write
        // transaction, which re-checks everything that can change: membership, device states,
        // the recipient list and the epochs.
        try await context.store.read { transaction in
            let (conversation, _) = try transaction.requireMembership(of: user, in: conversationID)
            try Self.requireEncrypted(conversation)
            let sender = try transaction.requireOwnActiveDevice(senderDeviceID, of: user)
            let active = try Self.activeDevicesByID(in: conversationID, transaction)
            for (index, recipientID) in recipients.enumerated() {
                let recipient = try Self.requireActive(recipientID, in: active)
                try verifier.verifyEnvelope(envelopes[index], senderBundle: sender.bundle, recipientBundle: recipient.bundle)
            }
        }
        let now = context.clock.now()
        return try await context.write { transaction in
            let (conversation, _) = try transaction.requireMembership(of: user, in: conversationID)
            try Self.requireEncrypted(conversation)
            _ = try transaction.requireOwnActiveDevice(senderDeviceID, of: user)
            var state = try transaction.keyState(of: conversationID) ?? .initial
            let active = try Self.activeDevicesByID(in: conversationID, transaction)
            let rotated: Bool
            if epoch == state.keyEpoch + 1 {
                let missing = Set(active.keys).subtracting(recipients)
                guard missing.isEmpty else {
                    throw MessagingError.conflict(
                        "A new epoch must reach every active device of the current members; \(missing.count) device(s) have no envelope. Fetch the device list again and seal to all of them.")
                }
                rotated = true
            } else if epoch == state.keyEpoch {
                guard epoch >= state.requiredEpoch else {
                    throw MessagingError.rekeyRequired(
                        "A member or device was removed: epoch \(epoch) may not be shared any more. Start epoch \(state.keyEpoch + 1) with envelopes for the current devices.")
                }
                let holders = try transaction.envelopeRecipients(in: conversationID, epoch: epoch)
                guard holders.contains(senderDeviceID) else {
                    throw MessagingError.forbidden(
                        "Your device holds no key for epoch \(epoch), so it cannot share it; start epoch \(epoch + 1) instead.")
                }
                guard holders.isDisjoint(with: recipients) else {
                    throw MessagingError.conflict(
                        "Some of these devices already hold a key for epoch \(epoch); fetch the device list again and seal only to devices without one.")
                }
                rotated = false
            } else {
                throw MessagingError.conflict(
                    "The conversation is at key epoch \(state.keyEpoch): upload envelopes for \(state.keyEpoch) to share its key, or for \(state.keyEpoch + 1) to start a new one.")
            }
            for recipientID in recipients { _ = try Self.requireActive(recipientID, in: active) }
            for (index, recipientID) in recipients.enumerated() {
                _ = try transaction.appendEnvelope(
                    envelopes[index], to: recipientID, conversation: conversationID, epoch: epoch, sender: senderDeviceID,
                    at: now)
            }
            if rotated { state.keyEpoch = epoch }
            try transaction.setKeyState(state, of: conversationID)
            try transaction.record(
                { _ in .keyDistributed(epoch: epoch, senderDeviceID: senderDeviceID, recipients: recipients, rotated: rotated) },
                in: conversationID, by: user, at: now)
            return EnvelopeUploadReceipt(keyState: state, stored: recipients.count, startedEpoch: rotated)
        }
    }

    /// Up to `limit` envelopes addressed to the caller's device with `seq > after`, ascending.
    /// Keep the last `seq` and pass it next time: nothing is lost or skipped.
    public func envelopes(for deviceID: DeviceID, after seq: Int64 = 0, limit: Int = 100, by user: UserID) async throws -> EnvelopePage {
        try requirePageLimit(limit, max: 200, what: "envelope")
        guard seq >= 0 else { throw MessagingError.invalidInput("The envelope cursor is a seq and cannot be negative.") }
        return try await context.store.read { transaction in
            guard let device = try transaction.device(id: deviceID), device.userID == user else {
                throw MessagingError.notFound("None of your devices has the id \(deviceID).")
            }
            let rows = try transaction.envelopes(for: deviceID, after: seq, limit: limit + 1)
            return EnvelopePage(envelopes: Array(rows.prefix(limit)), hasMore: rows.count > limit)
        }
    }

    /// The active devices of the current members, by id.
    private static func activeDevicesByID(
        in conversationID: ConversationID, _ transaction: any MessagingTransaction
    ) throws -> [DeviceID: Device] {
        Dictionary(try transaction.activeMemberDevices(of: conversationID).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The recipient among the active devices; `conflict` when it is not one (the client's list is stale).
    private static func requireActive(_ id: DeviceID, in active: [DeviceID: Device]) throws(MessagingError) -> Device {
        guard let device = active[id] else {
            throw .conflict("The device \(id) is not an active device of a current member; fetch the device list again.")
        }
        return device
    }

    static func requireEncrypted(_ conversation: Conversation) throws(MessagingError) {
        guard conversation.isEncrypted else {
            throw .invalidInput("This conversation is not end-to-end encrypted; it has no devices or key envelopes.")
        }
    }
}

extension MessagingTransaction {
    /// The caller's active device; `invalidInput` otherwise.
    func requireOwnActiveDevice(_ id: DeviceID, of user: UserID) throws -> Device {
        guard let device = try device(id: id), device.userID == user else {
            throw MessagingError.invalidInput(
                "The sender device \(id) is not one of your devices; publish its bundle first (POST /v1/devices or device.publish).")
        }
        guard device.isActive else {
            throw MessagingError.forbidden("The sender device \(id) was removed; it can no longer send or share keys.")
        }
        return device
    }

    /// Throws `limitExceeded` unless `count` more active devices fit in an encrypted
    /// conversation (a new epoch reaches all of them in one upload).
    func requireRoomForDevices(_ count: Int, in conversationID: ConversationID, limits: MessagingLimits) throws {
        let limit = min(limits.maxEncryptedConversationDevices, DeviceService.maxEnvelopesPerUpload)
        let present = try activeMemberDevices(of: conversationID).count
        guard present + count <= limit else {
            throw MessagingError.limitExceeded(
                "The encrypted conversation \(conversationID) has \(present) active devices and may have at most \(limit) (a new key epoch reaches all of them in one upload); remove devices or members first.")
        }
    }

    /// After a member or device left an encrypted conversation: the next message needs an epoch
    /// the removed party never received.
    func requireNewEpoch(in conversationID: ConversationID) throws {
        var state = try keyState(of: conversationID) ?? .initial
        guard state.keyEpoch < UInt64(Int64.max) else {
            throw MessagingError.limitExceeded("The conversation has used every key epoch; start a new conversation.")
        }
        let required = state.keyEpoch + 1
        guard state.requiredEpoch < required else { return }
        state.requiredEpoch = required
        try setKeyState(state, of: conversationID)
    }
}
