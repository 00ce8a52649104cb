import Foundation
import MessagingCore
import MessagingE2EE
import Testing

/// A test device: a logged-in user with its own E2EE identity, speaking the HTTP API the way
/// a client must (it verifies what the server hands it).
struct E2EEDevice: Sendable {
    let login: Login
    let identity: DeviceIdentity
    let client: HTTPClient

    var deviceID: String { identity.deviceID.uuidString.lowercased() }
    var bundleText: String { identity.makeBundle().textEncoded }

    /// A UUIDv7 as a Foundation UUID (the server's ids are UUIDv7).
    static func newUUID() -> UUID {
        UUID(uuidString: UUIDv7Generator().next().uuidString)!
    }

    /// A new identity for `login`, published.
    static func make(_ login: Login, client: HTTPClient, publish: Bool = true) async throws -> E2EEDevice {
        let identity = try DeviceIdentity.generate(deviceID: newUUID(), userID: try #require(UUID(uuidString: login.id)))
        let device = E2EEDevice(login: login, identity: identity, client: client)
        if publish {
            let answer = try await client.call("POST", "/v1/devices", token: login.token, json: ["bundle": device.bundleText])
            try #require(answer.status == 201, "publish: \(answer)")
        }
        return device
    }

    /// The conversation's key state and device bundles, each verified (self-signature and owner).
    func devices(in conversation: String) async throws -> (keyEpoch: UInt64, requiredEpoch: UInt64, bundles: [DeviceBundle], hasKey: [String: Bool]) {
        let answer = try await client.call("GET", "/v1/conversations/\(conversation)/devices", token: login.token)
        try #require(answer.status == 200, "devices: \(answer)")
        var bundles: [DeviceBundle] = []
        var hasKey: [String: Bool] = [:]
        for item in try #require(answer["devices"] as? [[String: Any]]) {
            let bundle = try DeviceBundle(textEncoded: try #require(item["bundle"] as? String))
            try #require(bundle.userID.uuidString.lowercased() == item["user"] as? String)
            bundles.append(bundle)
            hasKey[bundle.deviceID.uuidString.lowercased()] = item["hasKey"] as? Bool
        }
        return (
            UInt64(try #require(answer["keyEpoch"] as? Int)), UInt64(try #require(answer["requiredEpoch"] as? Int)), bundles,
            hasKey
        )
    }

    /// Starts `epoch` with a fresh key sealed to `bundles`; returns the answer and the key.
    func rotate(_ conversation: String, epoch: UInt64, to bundles: [DeviceBundle]) async throws -> (Answer, ConversationKey) {
        let rotation = try EpochRotation.start(
            conversationID: try #require(UUID(uuidString: conversation)), epoch: epoch, sender: identity, devices: bundles)
        let answer = try await upload(rotation.envelopes, epoch: epoch, to: conversation)
        return (answer, rotation.key)
    }

    func upload(_ envelopes: [KeyEnvelope], epoch: UInt64, to conversation: String) async throws -> Answer {
        try await client.call(
            "POST", "/v1/conversations/\(conversation)/envelopes", token: login.token,
            json: ["epoch": Int(epoch), "senderDevice": deviceID, "envelopes": envelopes.map(\.textEncoded)])
    }

    /// Seals `text` under `key` and sends it; returns the answer.
    func send(_ text: String, key: ConversationKey, to conversation: String, clientID: String = UUID().uuidString) async throws -> Answer {
        let sealed = try SealedMessage.seal(Array(text.utf8), clientMessageID: clientID, with: key, from: identity)
        return try await client.call(
            "POST", "/v1/conversations/\(conversation)/messages", token: login.token,
            json: [
                "clientMessageId": clientID, "ciphertext": Data(sealed.serialized).base64EncodedString(),
                "epoch": Int(key.epoch), "senderDevice": deviceID,
            ])
    }

    /// Every envelope of this device's inbox after `after`.
    func inbox(after: Int = 0) async throws -> [[String: Any]] {
        var result: [[String: Any]] = []
        var cursor = after
        while true {
            let answer = try await client.call(
                "GET", "/v1/devices/\(deviceID)/envelopes?after=\(cursor)&limit=2", token: login.token)
            try #require(answer.status == 200, "envelopes: \(answer)")
            let page = try #require(answer["envelopes"] as? [[String: Any]])
            result += page
            cursor = page.last?["seq"] as? Int ?? cursor
            guard answer["hasMore"] as? Bool == true else { return result }
        }
    }

    /// Opens the inbox's envelope for (conversation, epoch) with the sender's verified bundle.
    func key(for conversation: String, epoch: UInt64, senders: [DeviceBundle]) async throws -> ConversationKey? {
        for item in try await inbox() where item["conversation"] as? String == conversation && item["epoch"] as? Int == Int(epoch) {
            let envelope = try KeyEnvelope(textEncoded: try #require(item["envelope"] as? String))
            guard let sender = senders.first(where: { $0.deviceID == envelope.senderDeviceID }) else { continue }
            return try envelope.open(
                as: identity, from: sender, conversationID: try #require(UUID(uuidString: conversation)), epoch: epoch)
        }
        return nil
    }
}
