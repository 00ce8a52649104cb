import Foundation

/// A user's device as the end-to-end encryption directory knows it: its id, its owner and
/// its signed public bundle (`MessagingE2EE`'s `DeviceBundle`, 170 bytes, verified when published).
///
/// Thread safety: a value type; safe to share across tasks.
public struct Device: Hashable, Sendable, Codable, Identifiable {
    /// The device's id (the id inside its bundle).
    public let id: DeviceID
    /// The user it belongs to (the user id inside its bundle).
    public let userID: UserID
    /// The serialized, self-signed public bundle.
    public let bundle: Data
    /// When it was published.
    public let addedAt: Timestamp
    /// When its owner removed it (lost, stolen, retired); it then receives no new keys.
    public var removedAt: Timestamp?

    /// Makes a device value; use ``DeviceService/publish(_:by:)`` to register one.
    public init(id: DeviceID, userID: UserID, bundle: Data, addedAt: Timestamp, removedAt: Timestamp?) {
        self.id = id
        self.userID = userID
        self.bundle = bundle
        self.addedAt = addedAt
        self.removedAt = removedAt
    }

    /// Whether the device is still in use.
    public var isActive: Bool { removedAt == nil }
}

/// The key epochs of an encrypted conversation.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ConversationKeyState: Hashable, Sendable, Codable {
    /// The highest epoch whose key envelopes were uploaded; 0 before the first.
    public var keyEpoch: UInt64
    /// The lowest epoch a new message may name. Removing a member or a device raises it to
    /// `keyEpoch + 1`, so the next message needs a fresh key the removed party never received.
    public var requiredEpoch: UInt64

    /// Makes a key state.
    public init(keyEpoch: UInt64, requiredEpoch: UInt64) {
        self.keyEpoch = keyEpoch
        self.requiredEpoch = requiredEpoch
    }

    /// The state of a new encrypted conversation: no key yet, epoch 1 required.
    public static let initial = ConversationKeyState(keyEpoch: 0, requiredEpoch: 1)

    /// Whether a message may name `epoch` now.
    public func accepts(epoch: UInt64) -> Bool { epoch >= requiredEpoch && epoch <= keyEpoch }
}

/// The end-to-end encryption header a sender declares with an encrypted message: what the
/// server needs to route and check it without reading it.
///
/// Thread safety: a value type; safe to share across tasks.
public struct EncryptionHeader: Hashable, Sendable, Codable {
    /// The key epoch the message is sealed with.
    public let epoch: UInt64
    /// The sending device.
    public let senderDeviceID: DeviceID

    /// Makes a header.
    public init(epoch: UInt64, senderDeviceID: DeviceID) {
        self.epoch = epoch
        self.senderDeviceID = senderDeviceID
    }
}

/// A key envelope stored for its recipient device, with its position in that device's inbox.
///
/// Thread safety: a value type; safe to share across tasks.
public struct StoredKeyEnvelope: Hashable, Sendable, Codable {
    /// The recipient device.
    public let recipientDeviceID: DeviceID
    /// The position in the recipient device's inbox: 1, 2, 3… with no gaps.
    public let seq: Int64
    /// The conversation whose key it carries.
    public let conversationID: ConversationID
    /// The key's epoch.
    public let epoch: UInt64
    /// The device that sealed it.
    public let senderDeviceID: DeviceID
    /// The serialized envelope (`MessagingE2EE`'s `KeyEnvelope`, 300 bytes), opaque to the server.
    public let envelope: Data
    /// When it was stored.
    public let storedAt: Timestamp

    /// Makes a stored envelope value.
    public init(
        recipientDeviceID: DeviceID, seq: Int64, conversationID: ConversationID, epoch: UInt64,
        senderDeviceID: DeviceID, envelope: Data, storedAt: Timestamp
    ) {
        self.recipientDeviceID = recipientDeviceID
        self.seq = seq
        self.conversationID = conversationID
        self.epoch = epoch
        self.senderDeviceID = senderDeviceID
        self.envelope = envelope
        self.storedAt = storedAt
    }
}

/// One page of a device's envelope inbox, ascending by `seq`.
///
/// Thread safety: a value type; safe to share across tasks.
public struct EnvelopePage: Hashable, Sendable {
    /// The envelopes.
    public let envelopes: [StoredKeyEnvelope]
    /// Whether more follow; ask again with `after` set to the last `seq`.
    public let hasMore: Bool
}

/// The devices an encrypted conversation's keys go to, with its key state.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ConversationDevices: Hashable, Sendable {
    /// The epochs.
    public let keyState: ConversationKeyState
    /// The active devices of the current members, ordered by user then device id.
    public let devices: [Device]
    /// The devices among them that hold an envelope for ``ConversationKeyState/keyEpoch``.
    public let devicesWithCurrentKey: Set<DeviceID>
}

/// The outcome of an envelope upload.
///
/// Thread safety: a value type; safe to share across tasks.
public struct EnvelopeUploadReceipt: Hashable, Sendable {
    /// The conversation's epochs after the upload.
    public let keyState: ConversationKeyState
    /// How many envelopes were stored.
    public let stored: Int
    /// Whether the upload started a new epoch (rather than sharing the current one).
    public let startedEpoch: Bool
}
