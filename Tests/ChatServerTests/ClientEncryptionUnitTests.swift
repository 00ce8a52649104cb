import Foundation
@testable import MessagingClient
import MessagingCore
import MessagingE2EE
import Synchronization
import Testing

/// `ClientKeyring` pinning, the key stores, and `ClientEncryption` against a scripted server.
@Suite("MessagingClient encryption: pinning and key storage")
struct ClientEncryptionUnitTests {
    /// The bundle a scripted server lists for a device.
    final class Listed: Sendable {
        let bundle: Mutex<DeviceBundle>
        init(_ bundle: DeviceBundle) { self.bundle = Mutex(bundle) }
    }

    static func identity(device: UUID = E2EEDevice.newUUID(), user: UUID = E2EEDevice.newUUID()) throws -> DeviceIdentity {
        try DeviceIdentity.generate(deviceID: device, userID: user)
    }

    static func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }

    @Test("a bundle is pinned on first use; the same bundle is trusted again; a changed bundle, another user's or another device's is refused")
    func pinning() throws {
        let bob = try Self.identity()
        var keyring = ClientKeyring(device: Self.id(E2EEDevice.newUUID()))
        let device = Self.id(bob.deviceID)
        let user = Self.id(bob.userID)
        #expect(try keyring.trust(device: device, user: user, bundle: bob.makeBundle().textEncoded) == bob.makeBundle())
        #expect(keyring.pins[device] == ClientKeyring.Pin(user: user, bundle: bob.makeBundle().textEncoded))
        #expect(try keyring.trust(device: device.uppercased(), user: user, bundle: bob.makeBundle().textEncoded) == bob.makeBundle())

        let replaced = try Self.identity(device: bob.deviceID, user: bob.userID)
        let pinned = keyring
        #expect(throws: RealtimeClientError.self) { try keyring.trust(device: device, user: user, bundle: replaced.makeBundle().textEncoded) }
        #expect(keyring == pinned, "a refused bundle changes nothing")
        do {
            try keyring.trust(device: device, user: user, bundle: replaced.makeBundle().textEncoded)
        } catch let error as RealtimeClientError {
            #expect(error.code == .untrustedDevice && error.message.contains("pinned"))
        }
        #expect(throws: RealtimeClientError.self) { try keyring.trust(device: device, user: Self.id(E2EEDevice.newUUID()), bundle: bob.makeBundle().textEncoded) }

        let carol = try Self.identity()
        #expect(throws: RealtimeClientError.self, "listed under another user") {
            try keyring.trust(device: Self.id(carol.deviceID), user: user, bundle: carol.makeBundle().textEncoded)
        }
        #expect(throws: RealtimeClientError.self, "the bundle of another device") {
            try keyring.trust(device: Self.id(E2EEDevice.newUUID()), user: Self.id(carol.userID), bundle: carol.makeBundle().textEncoded)
        }
        var bytes = carol.makeBundle().serialized
        bytes[bytes.count - 1] ^= 1
        #expect(throws: RealtimeClientError.self, "a broken self-signature") {
            try keyring.trust(device: Self.id(carol.deviceID), user: Self.id(carol.userID), bundle: Data(bytes).base64EncodedString())
        }
        #expect(keyring.pins.count == 1)
    }

    @Test("a scripted server that swaps a pinned device's bundle: the device is refused and gets no key; the pin stays")
    func changedBundleFromServer() async throws {
        let alice = try Self.identity()
        let bob = try Self.identity()
        let impostor = try Self.identity(device: bob.deviceID, user: bob.userID)
        let room = try #require(ConversationID(UUIDv7Generator().next().uuidString))
        let listed = Listed(bob.makeBundle())
        let server: ClientEncryption.Requester = { _ in
            let entry = { (identity: DeviceIdentity, bundle: DeviceBundle) -> ClientJSON in
                .object([
                    "id": .string(Self.id(identity.deviceID)), "user": .string(Self.id(identity.userID)),
                    "bundle": .string(bundle.textEncoded), "hasKey": false,
                ])
            }
            return .object([
                "devices": .array([entry(alice, alice.makeBundle()), entry(bob, listed.bundle.withLock { $0 })]), "keyEpoch": 0, "requiredEpoch": 1,
            ])
        }
        let encryption = try ClientEncryption(identity: alice)
        let first = try await encryption.devices(of: room, via: server)
        #expect(first.verified.count == 2 && first.refused.isEmpty)
        listed.bundle.withLock { $0 = impostor.makeBundle() }
        let second = try await encryption.devices(of: room, via: server)
        #expect(second.verified.map(\.id) == [Self.id(alice.deviceID)])
        #expect(second.refused.map(\.code) == [.untrustedDevice])
        #expect(await encryption.pinnedBundle(of: bob.deviceID) == bob.makeBundle())
        #expect(try await encryption.isEncrypted(room, via: server))
        #expect(await encryption.currentKeyring.encryptedConversations == ["\(room)".lowercased()])
    }

    @Test("FileKeyStore keeps the identity and keyring (0600) across opens; another user's keys are refused; InMemoryKeyStore round-trips")
    func stores() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keystore-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = FileKeyStore(directory: directory)
        let user = E2EEDevice.newUUID()
        let first = try ClientEncryption.open(userID: user, store: store)
        let bob = try Self.identity()
        let room = try #require(ConversationID(UUIDv7Generator().next().uuidString))
        let server: ClientEncryption.Requester = { _ in
            .object([
                "devices": .array([.object(["id": .string(Self.id(bob.deviceID)), "user": .string(Self.id(bob.userID)), "bundle": .string(bob.makeBundle().textEncoded)])]),
                "keyEpoch": 0, "requiredEpoch": 1,
            ])
        }
        _ = try await first.devices(of: room, via: server)
        let again = try ClientEncryption.open(userID: user, store: store)
        #expect(again.identity.deviceID == first.identity.deviceID)
        #expect(await again.pinnedBundle(of: bob.deviceID) == bob.makeBundle())
        for name in ["device.keys", "keyring.json"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(name)")
        }
        do {
            _ = try ClientEncryption.open(userID: E2EEDevice.newUUID(), store: store)
            Issue.record("opened another user's keys")
        } catch let error as RealtimeClientError {
            #expect(error.code == .keyStorage)
        }
        try Data("not json".utf8).write(to: directory.appendingPathComponent("keyring.json"))
        #expect(throws: RealtimeClientError.self) { _ = try ClientEncryption.open(userID: user, store: store) }

        let memory = InMemoryKeyStore()
        let made = try ClientEncryption.open(userID: user, store: memory)
        #expect(try ClientEncryption.open(userID: user, store: memory).identity.deviceID == made.identity.deviceID)
        #expect(try memory.loadKeyring() == nil, "nothing changed yet, nothing saved")
    }

    @Test("decrypting needs the sender's bundle or the epoch's key: without a connection that is notConnected, never a wrong verdict")
    func decryptWithoutConnection() async throws {
        let alice = try Self.identity()
        let bob = try Self.identity()
        let room = UUID(uuidString: UUIDv7Generator().next().uuidString)!
        let key = try ConversationKey.generate(conversationID: room, epoch: 1)
        let sealed = try SealedMessage.seal(Array("hi".utf8), clientMessageID: "c-1", with: key, from: alice)
        let message = try #require(ClientMessage(.object([
            "id": .string(UUIDv7Generator().next().uuidString), "conversation": .string(Self.id(room)), "seq": 3,
            "sender": .string(Self.id(alice.userID)), "clientMessageId": "c-1", "kind": "encrypted", "createdAt": 1,
            "ciphertext": .string(Data(sealed.serialized).base64EncodedString()), "epoch": 1, "senderDevice": .string(Self.id(alice.deviceID)),
        ])))
        let offline: ClientEncryption.Requester = { _ in throw RealtimeClientError(code: .notConnected, message: "offline") }
        let encryption = try ClientEncryption(identity: bob)
        for _ in 0..<2 {
            do {
                _ = try await encryption.open(message, via: offline)
                Issue.record("opened without a key")
            } catch let error as RealtimeClientError {
                #expect(error.code == .notConnected, "\(error)")
            }
            // Once the sender is pinned, the missing key is what needs the connection.
            var keyring = await encryption.currentKeyring
            try keyring.trust(device: Self.id(alice.deviceID), user: Self.id(alice.userID), bundle: alice.makeBundle().textEncoded)
            await encryption.replaceKeyringForTesting(keyring)
        }
    }
}
