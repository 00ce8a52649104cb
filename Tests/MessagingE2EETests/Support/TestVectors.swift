import Foundation
@testable import MessagingE2EE

/// The committed test vectors (`Fixtures/vectors.json`): every format, generated from fixed
/// ids and a deterministic random source through the internal testing path, so regenerating
/// them reproduces the file byte for byte. All binary values are lowercase hex.
struct TestVectors: Codable, Equatable {
    struct Identity: Codable, Equatable {
        var name: String
        var deviceID: String
        var userID: String
        var createdAtMilliseconds: Int64
        var signingSeed: String
        var agreementSecretKey: String
        var signingPublicKey: String
        var agreementPublicKey: String
        var bundle: String
        var bundleText: String
        var secretKeyExport: String
    }

    struct Conversation: Codable, Equatable {
        var conversationID: String
        var epoch: UInt64
        var key: String
    }

    struct Envelope: Codable, Equatable {
        var sender: String
        var recipient: String
        var serialized: String
        var text: String
    }

    struct Message: Codable, Equatable {
        var sender: String
        var clientMessageID: String
        var plaintext: String
        var serialized: String
        var text: String
    }

    struct PasswordExport: Codable, Equatable {
        var identity: String
        var password: String
        var opsLimit: UInt64
        var memLimit: UInt64
        var serialized: String
    }

    struct Media: Codable, Equatable {
        var chunkSize: Int
        var contentType: String
        var locator: String
        var plaintext: String
        var reference: String
        var stream: String
        var carriedInMessage: String
    }

    var comment: String
    var labels: [String: String]
    var identities: [Identity]
    var conversation: Conversation
    var envelopes: [Envelope]
    var messages: [Message]
    var passwordExport: PasswordExport
    var media: Media

    static let seed = Array("swift-messaging e2ee test vectors v1".utf8)
    static let createdAt: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z
    static let aliceDevice = UUID(uuidString: "0194a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b")!
    static let aliceUser = UUID(uuidString: "0194a1b2-0000-7000-8000-00000000a11c")!
    static let bobDevice = UUID(uuidString: "0194a1b2-c3d4-7e5f-8a6b-7c8d9e0f1b0b")!
    static let bobUser = UUID(uuidString: "0194a1b2-0000-7000-8000-000000000b0b")!
    static let conversationID = UUID(uuidString: "0194a1b2-cccc-7ccc-8ccc-cccccccccccc")!

    /// Builds the identities used by the vectors (from the deterministic source).
    static func makeIdentities(random: RandomSource) throws -> (alice: DeviceIdentity, bob: DeviceIdentity) {
        let alice = try DeviceIdentity.generate(deviceID: aliceDevice, userID: aliceUser, createdAtMilliseconds: createdAt, random: random)
        let bob = try DeviceIdentity.generate(deviceID: bobDevice, userID: bobUser, createdAtMilliseconds: createdAt, random: random)
        return (alice, bob)
    }

    /// Regenerates every vector; deterministic.
    static func generate() throws -> TestVectors {
        let random = RandomSource.deterministic(seed: seed)
        let (alice, bob) = try makeIdentities(random: random)
        let key = try ConversationKey.generate(conversationID: conversationID, epoch: 7, random: random)
        let envelopes = try [
            ("alice", "bob", KeyEnvelope.seal(key, to: bob.makeBundle(), from: alice, random: random)),
            ("alice", "alice", KeyEnvelope.seal(key, to: alice.makeBundle(), from: alice, random: random)),
        ].map { Envelope(sender: $0.0, recipient: $0.1, serialized: $0.2.serialized.hex, text: $0.2.textEncoded) }

        var messages: [Message] = []
        let contents: [(String, [UInt8])] = [
            ("msg-0001", Array("Hello, Bob! 👋".utf8)),
            ("msg-0002-empty", []),
            ("ü-🔐-id", (0..<300).map { UInt8(truncatingIfNeeded: $0) }),
        ]
        for (id, plaintext) in contents {
            let message = try plaintext.withUnsafeBytes { try SealedMessage.seal($0, clientMessageID: id, with: key, from: alice, random: random) }
            messages.append(Message(sender: "alice", clientMessageID: id, plaintext: plaintext.hex, serialized: message.serialized.hex, text: message.textEncoded))
        }

        let password = "vector password 1"
        let export = try PasswordProtectedKeys.seal(bob, password: password, limits: .minimum, random: random)

        let mediaPlaintext = (0..<150).map { UInt8(truncatingIfNeeded: $0 &* 3) }
        let encryptor = try MediaEncryptor(chunkSize: 64, random: random)
        var stream = try encryptor.encrypt(mediaPlaintext)
        let (tail, reference) = try encryptor.finish(contentType: "text/plain", locator: "blob:vector-1")
        stream += tail
        let carrier = try reference.serialized.withUnsafeBytes {
            try SealedMessage.seal($0, clientMessageID: "msg-media", with: key, from: alice, random: random)
        }

        func identityVector(_ name: String, _ identity: DeviceIdentity) -> Identity {
            let bundle = identity.makeBundle()
            return Identity(
                name: name, deviceID: identity.deviceID.uuidString.lowercased(), userID: identity.userID.uuidString.lowercased(),
                createdAtMilliseconds: identity.createdAtMilliseconds,
                signingSeed: Array(identity.signingSecretKey.copiedBytes().prefix(32)).hex,
                agreementSecretKey: identity.agreementSecretKey.copiedBytes().hex,
                signingPublicKey: identity.signingPublicKey.rawRepresentation.hex,
                agreementPublicKey: identity.agreementPublicKey.rawRepresentation.hex,
                bundle: bundle.serialized.hex, bundleText: bundle.textEncoded, secretKeyExport: identity.exportSecretKeys().hex)
        }

        return TestVectors(
            comment: "MessagingE2EE format v1 test vectors. Generated by TestVectorTests from a deterministic source; see Documentation/E2EE.md. Secret values are test-only.",
            labels: Dictionary(uniqueKeysWithValues: DomainLabel.allCases.map { ("\($0)", $0.rawValue) }),
            identities: [identityVector("alice", alice), identityVector("bob", bob)],
            conversation: Conversation(conversationID: conversationID.uuidString.lowercased(), epoch: 7, key: key.secret.copiedBytes().hex),
            envelopes: envelopes,
            messages: messages,
            passwordExport: PasswordExport(
                identity: "bob", password: password, opsLimit: PasswordHashingLimits.minimum.operations,
                memLimit: PasswordHashingLimits.minimum.memoryBytes, serialized: export.serialized.hex),
            media: Media(
                chunkSize: 64, contentType: "text/plain", locator: "blob:vector-1", plaintext: mediaPlaintext.hex,
                reference: reference.serialized.hex, stream: stream.hex, carriedInMessage: carrier.serialized.hex))
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// Restores a named identity from its recorded secret-key export.
    func identity(_ name: String) throws -> DeviceIdentity {
        guard let vector = identities.first(where: { $0.name == name }) else {
            throw E2EEError.invalidArgument("no identity \(name) in the vectors")
        }
        return try DeviceIdentity(importingSecretKeys: [UInt8](hex: vector.secretKeyExport))
    }

    func bundle(_ name: String) throws -> DeviceBundle {
        guard let vector = identities.first(where: { $0.name == name }) else {
            throw E2EEError.invalidArgument("no identity \(name) in the vectors")
        }
        return try DeviceBundle(serialized: [UInt8](hex: vector.bundle))
    }
}
