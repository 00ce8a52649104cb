import Foundation
import MessagingE2EE

/// What a device remembers about end-to-end encrypted conversations (Documentation/E2EE.md),
/// kept by a ``ClientKeyStore``:
///
/// - ``device``: the device the stored envelopes are addressed to;
/// - ``envelopeCursor``: the highest envelope inbox `seq` processed;
/// - ``envelopes``: conversation id → epoch → key envelope (E2EE text form) addressed to this
///   device, only those that opened. The keys themselves are never stored (devices keep
///   envelopes rather than raw keys, E2EE §8);
/// - ``pins``: device id → user and bundle, the first bundle seen for each device (trust on
///   first use): a later, different bundle for a pinned device id is refused;
/// - ``encryptedConversations``: the conversations seen encrypted, so a server that later
///   calls one plain cannot make this device send plaintext into it.
///
/// Ids are lowercase UUID strings.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ClientKeyring: Codable, Sendable, Equatable {
    /// A device bundle trusted on first use.
    ///
    /// Thread safety: a value type; safe to share across tasks.
    public struct Pin: Codable, Sendable, Equatable {
        /// The user id the bundle names (lowercase).
        public var user: String
        /// The bundle, E2EE text form.
        public var bundle: String

        /// Makes a pin.
        public init(user: String, bundle: String) {
            self.user = user
            self.bundle = bundle
        }
    }

    /// The device the stored envelopes belong to.
    public var device: String
    /// The highest envelope inbox `seq` processed.
    public var envelopeCursor: Int64
    /// Conversation id → epoch (decimal) → key envelope, E2EE text form.
    public var envelopes: [String: [String: String]]
    /// Device id → the bundle pinned on first use.
    public var pins: [String: Pin]
    /// Conversations seen encrypted.
    public var encryptedConversations: Set<String>

    /// An empty keyring for `device` (lowercase UUID string).
    public init(device: String) {
        self.device = device.lowercased()
        envelopeCursor = 0
        envelopes = [:]
        pins = [:]
        encryptedConversations = []
    }

    /// The stored envelope for `(conversation, epoch)`.
    public func envelope(conversation: String, epoch: UInt64) -> String? {
        envelopes[conversation.lowercased()]?[String(epoch)]
    }

    /// Stores the envelope of `(conversation, epoch)`.
    public mutating func store(envelope text: String, conversation: String, epoch: UInt64) {
        envelopes[conversation.lowercased(), default: [:]][String(epoch)] = text
    }

    /// The pinned bundle of a device, if any (and if it still decodes).
    public func pinnedBundle(_ device: String) -> DeviceBundle? {
        pins[device.lowercased()].flatMap { try? DeviceBundle(textEncoded: $0.bundle) }
    }

    /// Checks a bundle the server lists for device `id` of `user`: it must verify (its
    /// self-signature), and equal the bundle pinned for `id` (and its user) when one is;
    /// otherwise it must name `id` and `user`, and is pinned. Returns the trusted bundle.
    ///
    /// Throws ``RealtimeClientError`` `untrustedDevice` saying why the bundle is refused.
    @discardableResult
    public mutating func trust(device id: String, user: String, bundle text: String) throws -> DeviceBundle {
        let id = id.lowercased()
        let user = user.lowercased()
        let offered: DeviceBundle
        do {
            offered = try DeviceBundle(textEncoded: text)
        } catch {
            throw Self.refusal("device \(id): its key bundle does not verify (\(Self.code(of: error)))")
        }
        if let pin = pins[id] {
            guard let pinned = try? DeviceBundle(textEncoded: pin.bundle) else {
                throw Self.refusal("device \(id): the bundle pinned in the keyring is damaged")
            }
            guard pinned == offered else {
                throw Self.refusal(
                    "device \(id) presents a key bundle (fingerprint \(offered.fingerprint)) that differs from the one pinned on first use (fingerprint \(pinned.fingerprint)); compare fingerprints with its owner")
            }
            guard pin.user == user else {
                throw Self.refusal("device \(id) is pinned as a device of user \(pin.user), but the server lists it under user \(user)")
            }
            return pinned
        }
        guard offered.deviceID.uuidString.lowercased() == id else {
            throw Self.refusal("device \(id): the server sent the bundle of another device (\(offered.deviceID.uuidString.lowercased()))")
        }
        guard offered.userID.uuidString.lowercased() == user else {
            throw Self.refusal("device \(id): its bundle names user \(offered.userID.uuidString.lowercased()), but the server lists it under user \(user)")
        }
        pins[id] = Pin(user: user, bundle: offered.textEncoded)
        return offered
    }

    static func refusal(_ message: String) -> RealtimeClientError {
        RealtimeClientError(code: .untrustedDevice, message: message)
    }

    /// The stable code of an E2EE error, or the error's text.
    static func code(of error: any Error) -> String {
        (error as? E2EEError).map { "\($0.code)" } ?? "\(error)"
    }
}
