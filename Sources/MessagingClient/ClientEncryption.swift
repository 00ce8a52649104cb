import Foundation
import Logging
import MessagingCore
import MessagingE2EE
import MessagingWire

/// End-to-end encryption for a ``RealtimeClient`` (Documentation/E2EE.md): give one to the
/// client (`RealtimeClient(transport:configuration:encryption:token:logger:)`) and
/// `send(text:to:…)` seals into encrypted conversations, ``RealtimeClient/decrypt(_:)``
/// opens what arrives.
///
/// It owns this device's identity and its ``ClientKeyring`` (persisted through a
/// ``ClientKeyStore``), and speaks the end-to-end requests of protocol v1 through the
/// client's connection: it publishes the device bundle (`device.publish`), verifies and pins
/// the bundles the server lists (`devices`; trust on first use, a changed bundle for a pinned
/// device id is refused), syncs the envelope inbox (`envelopes`), starts a new key epoch for
/// the members' devices when there is none, when the server says `rekey_required` or when a
/// member without the key joined, shares the current key with new devices of members who
/// hold it (`envelopes.upload`), and checks every message's header, sender and signature.
///
/// Everything the server sends is checked: bundles against their self-signatures and the
/// pins, envelopes against their sender's pinned bundle and the conversation's verified
/// devices, messages against their sender. A conversation seen encrypted once is remembered,
/// so a server that later calls it plain cannot make this device send plaintext into it.
///
/// Thread safety: an actor; safe to share across tasks.
public actor ClientEncryption {
    /// Sends a request on the connection and returns its `result` (``RealtimeClient/request(_:)``).
    typealias Requester = @Sendable ([String: ClientJSON]) async throws -> ClientJSON

    /// This device's keys.
    public nonisolated let identity: DeviceIdentity
    /// This device's id, lowercase.
    nonisolated let device: String

    /// This device's id as the protocol's requests name it; devices made by ``ClientEncryption``
    /// have UUIDv7 ids, anything else is refused here as the server would refuse it.
    nonisolated func deviceID() throws -> DeviceID {
        guard let id = DeviceID(device) else {
            throw RealtimeClientError(
                code: .invalidArgument, message: "The device id \(device) is not a UUIDv7; the server accepts only UUIDv7 device ids.")
        }
        return id
    }
    let store: any ClientKeyStore
    let logger: Logger
    var keyring: ClientKeyring
    /// Opened keys, by `conversation/epoch` (never stored).
    var keys: [String: ConversationKey] = [:]
    /// The `seq` each (conversation, sender device, client message id) was first opened at.
    var opened: [String: Int64] = [:]
    var openedOrder: [String] = []
    var published = false
    /// Conversations the server said are not encrypted (this run only).
    var plainConversations: Set<String> = []

    /// How many opened messages the replay check remembers (oldest forgotten first).
    static let replayMemory = 65_536

    /// Encryption for `identity`, keeping the keyring in `store` (a stored keyring of another
    /// device is replaced by an empty one; its pins are kept).
    ///
    /// Throws ``RealtimeClientError`` `keyStorage` when the store cannot be read.
    public init(identity: DeviceIdentity, store: any ClientKeyStore = InMemoryKeyStore(), logger: Logger? = nil) throws {
        self.identity = identity
        self.store = store
        self.logger = logger ?? Logger(label: "MessagingClient.encryption", factory: { _ in SwiftLogNoOpLogHandler() })
        let device = identity.deviceID.uuidString.lowercased()
        self.device = device
        var keyring: ClientKeyring
        do {
            keyring = try store.loadKeyring() ?? ClientKeyring(device: device)
        } catch let error as RealtimeClientError {
            throw error
        } catch {
            throw RealtimeClientError(code: .keyStorage, message: "Cannot load the keyring: \(error).")
        }
        if keyring.device != device {
            var fresh = ClientKeyring(device: device)
            fresh.pins = keyring.pins
            fresh.encryptedConversations = keyring.encryptedConversations
            keyring = fresh
        }
        // This device's own bundle is pinned from its keys, never from the server.
        keyring.pins[device] = ClientKeyring.Pin(user: identity.userID.uuidString.lowercased(), bundle: identity.makeBundle().textEncoded)
        self.keyring = keyring
    }

    /// The device stored in `store`, or a new one for `userID` (stored there first).
    ///
    /// Throws ``RealtimeClientError`` `keyStorage` when the store fails or holds keys of
    /// another user or damaged keys.
    public static func open(userID: UUID, store: any ClientKeyStore, logger: Logger? = nil) throws -> ClientEncryption {
        let identity: DeviceIdentity
        do {
            if let export = try store.loadIdentity() {
                identity = try DeviceIdentity(importingSecretKeysText: export)
                guard identity.userID == userID else {
                    throw RealtimeClientError(
                        code: .keyStorage, message: "The stored device keys belong to user \(identity.userID), not \(userID); use another store.")
                }
            } else {
                let deviceID = UUID(uuidString: UUIDv7Generator().next().uuidString) ?? UUID()
                identity = try DeviceIdentity.generate(deviceID: deviceID, userID: userID)
                try store.saveIdentity(identity.exportSecretKeysText())
            }
        } catch let error as RealtimeClientError {
            throw error
        } catch {
            throw RealtimeClientError(code: .keyStorage, message: "Cannot load or make the device keys: \(error).")
        }
        return try ClientEncryption(identity: identity, store: store, logger: logger)
    }

    /// This device's public bundle (what others pin; compare its `fingerprint` out of band).
    public nonisolated var bundle: DeviceBundle { identity.makeBundle() }

    /// The keyring as it is now.
    public var currentKeyring: ClientKeyring { keyring }

    /// Replaces the keyring in memory (tests).
    func replaceKeyringForTesting(_ keyring: ClientKeyring) {
        self.keyring = keyring
    }

    /// The bundle pinned for `deviceID`, if any.
    public func pinnedBundle(of deviceID: UUID) -> DeviceBundle? {
        keyring.pinnedBundle(deviceID.uuidString)
    }

    /// Applies `change` to the keyring and saves it (a failure to save is logged: the
    /// in-memory keyring stays right for this run).
    func updateKeyring(_ change: (inout ClientKeyring) -> Void) {
        let before = keyring
        change(&keyring)
        guard keyring != before else { return }
        do {
            try store.saveKeyring(keyring)
        } catch {
            logger.warning("cannot save the keyring", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Device

    /// Publishes this device's bundle (`device.publish`; idempotent).
    func publish(via request: Requester) async throws {
        _ = try await request(ClientRequest.Body.publishDevice(bundle: Data(bundle.serialized)).fields)
        published = true
    }

    /// On a new connection: publishes the bundle and fetches new envelopes; failures are logged.
    func connected(via request: Requester) async {
        do {
            try await publish(via: request)
            try await syncInbox(via: request)
        } catch {
            logger.info("publishing the device or syncing its envelopes failed", metadata: ["error": "\(error)"])
        }
    }

    /// Whether `conversation` is encrypted: remembered once seen; else asked (`devices`
    /// answers `invalid_input` for a conversation that is not encrypted; that answer is kept
    /// for this run, a conversation never becomes encrypted later).
    func isEncrypted(_ conversation: ConversationID, via request: Requester) async throws -> Bool {
        let id = "\(conversation)".lowercased()
        if keyring.encryptedConversations.contains(id) { return true }
        if plainConversations.contains(id) { return false }
        do {
            _ = try await devices(of: conversation, via: request)
            return true
        } catch let error as RealtimeClientError where error.code == .server && error.serverCode == "invalid_input" {
            plainConversations.insert(id)
            return false
        }
    }
}
