import Foundation

/// A new conversation epoch: a fresh key plus one signed envelope per device that may read it.
///
/// Start a new epoch whenever a member leaves or is removed, and whenever a device is removed
/// or reported lost; pass only the devices that remain (include the sending device itself to
/// get an envelope it can store). Devices left out receive nothing that opens the new epoch:
/// every later message is encrypted under a key they never see.
///
/// Thread safety: an immutable value; `Sendable`.
public struct EpochRotation: Sendable {
    /// The new epoch's key.
    public let key: ConversationKey
    /// One envelope per device, in the order the devices were given.
    public let envelopes: [KeyEnvelope]

    /// The conversation being rotated.
    public var conversationID: UUID { key.conversationID }
    /// The new epoch number.
    public var epoch: UInt64 { key.epoch }

    /// The envelope addressed to `deviceID`, if that device was included.
    ///
    /// Thread safety: pure; safe from any thread.
    public func envelope(for deviceID: UUID) -> KeyEnvelope? {
        envelopes.first { $0.recipientDeviceID == deviceID }
    }

    /// Generates a key for `(conversationID, epoch)` and seals it to each of `devices`.
    ///
    /// Throws ``E2EEError/Code/invalidArgument`` for an empty device list or a device id that
    /// appears twice, and ``E2EEError/Code/invalidKey`` when a device's X25519 key is unusable.
    ///
    /// Thread safety: safe from any thread.
    public static func start(
        conversationID: UUID, epoch: UInt64, sender: DeviceIdentity, devices: [DeviceBundle]
    ) throws -> EpochRotation {
        try start(conversationID: conversationID, epoch: epoch, sender: sender, devices: devices, random: .system)
    }

    /// Starts the epoch after `current` (epoch + 1) for the devices that remain.
    ///
    /// Thread safety: safe from any thread.
    public static func next(
        after current: ConversationKey, sender: DeviceIdentity, remainingDevices devices: [DeviceBundle]
    ) throws -> EpochRotation {
        guard current.epoch < UInt64.max else {
            throw E2EEError.invalidArgument("epoch \(current.epoch) is the last representable epoch")
        }
        return try start(conversationID: current.conversationID, epoch: current.epoch + 1, sender: sender, devices: devices)
    }

    static func start(
        conversationID: UUID, epoch: UInt64, sender: DeviceIdentity, devices: [DeviceBundle], random: RandomSource
    ) throws -> EpochRotation {
        guard !devices.isEmpty else {
            throw E2EEError.invalidArgument("an epoch needs at least one device; include the sending device itself")
        }
        var seen = Set<UUID>()
        for device in devices where !seen.insert(device.deviceID).inserted {
            throw E2EEError.invalidArgument("device \(device.deviceID) appears twice in the rotation; pass each device once")
        }
        let key = try ConversationKey.generate(conversationID: conversationID, epoch: epoch, random: random)
        let envelopes = try devices.map { device in
            try KeyEnvelope.seal(key, to: device, from: sender, random: random)
        }
        return EpochRotation(key: key, envelopes: envelopes)
    }
}
