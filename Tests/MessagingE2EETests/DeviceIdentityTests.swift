import Foundation
import Synchronization
import Testing
@testable import MessagingE2EE

@Suite("Device identity, bundles and key export")
struct DeviceIdentityTests {
    @Test("a generated identity publishes a self-signed bundle that round-trips in binary and text")
    func bundleRoundTrip() throws {
        let user = UUID()
        let device = UUID()
        let created = Date(timeIntervalSince1970: 1_750_000_000.123)
        let identity = try DeviceIdentity.generate(deviceID: device, userID: user, createdAt: created)
        let bundle = identity.makeBundle()
        #expect(bundle.serialized.count == 170)
        #expect(bundle.serialized[0] == 0x01 && bundle.serialized[1] == 0x01)
        #expect(bundle.deviceID == device)
        #expect(bundle.userID == user)
        #expect(bundle.createdAt.millisecondsSince1970 == created.millisecondsSince1970)
        #expect(bundle.signingPublicKey == identity.signingPublicKey)
        #expect(bundle.agreementPublicKey == identity.agreementPublicKey)
        #expect(try DeviceBundle(serialized: bundle.serialized) == bundle)
        #expect(try DeviceBundle(textEncoded: bundle.textEncoded) == bundle)
        #expect(try DeviceBundle(serialized: Data(bundle.serialized)) == bundle)
        #expect(!bundle.textEncoded.contains("=") && !bundle.textEncoded.contains("+") && !bundle.textEncoded.contains("/"))
        #expect(bundle.fingerprint.split(separator: " ").count == 16)
    }

    @Test("a bundle re-signed by another key, or with a swapped key, is rejected")
    func bundleForgery() throws {
        let victim = try TestDevice.make()
        let attacker = try TestDevice.make()
        var forged = victim.bundle.serialized
        // Put the attacker's agreement key into the victim's bundle: the self-signature breaks.
        forged.replaceSubrange(74..<106, with: attacker.identity.agreementPublicKey.rawRepresentation)
        expectE2EEError(.signatureInvalid) { try DeviceBundle(serialized: forged) }
    }

    @Test("plaintext secret-key export restores the same keys and ids")
    func plaintextExport() throws {
        let identity = try DeviceIdentity.generate(deviceID: UUID(), userID: UUID())
        let exported = identity.exportSecretKeys()
        #expect(exported.count == 122)
        let restored = try DeviceIdentity(importingSecretKeys: exported)
        #expect(restored.deviceID == identity.deviceID)
        #expect(restored.userID == identity.userID)
        #expect(restored.signingPublicKey == identity.signingPublicKey)
        #expect(restored.agreementPublicKey == identity.agreementPublicKey)
        #expect(restored.makeBundle() == identity.makeBundle())
        let fromText = try DeviceIdentity(importingSecretKeysText: identity.exportSecretKeysText())
        #expect(fromText.makeBundle() == identity.makeBundle())
    }

    @Test("password export round-trips with minimum Argon2id limits; wrong password fails")
    func passwordExport() throws {
        let identity = try DeviceIdentity.generate(deviceID: UUID(), userID: UUID())
        let export = try identity.exportSecretKeys(password: "correct horse battery", limits: .minimum)
        #expect(export.serialized.count == 195)
        #expect(export.limits == .minimum)
        let parsed = try PasswordProtectedKeys(textEncoded: export.textEncoded)
        let restored = try DeviceIdentity(importing: parsed, password: "correct horse battery")
        #expect(restored.makeBundle() == identity.makeBundle())
        expectE2EEError(.authenticationFailed) { try DeviceIdentity(importing: parsed, password: "correct horse batterz") }
    }

    @Test("short passwords are refused as weak", arguments: ["", "1234567", "ábcd"])
    func weakPassword(password: String) throws {
        let identity = try DeviceIdentity.generate(deviceID: UUID(), userID: UUID())
        expectE2EEError(.weakPassword) { try identity.exportSecretKeys(password: password, limits: .minimum) }
    }

    @Test("limits outside the accepted range are refused on export and import")
    func limitsRange() throws {
        let identity = try DeviceIdentity.generate(deviceID: UUID(), userID: UUID())
        expectE2EEError(.invalidArgument) {
            try identity.exportSecretKeys(password: "long enough password", limits: .init(operations: 0, memoryBytes: 8192))
        }
        // A crafted export demanding 64 GiB must be refused before any hashing.
        var bytes = try identity.exportSecretKeys(password: "long enough password", limits: .minimum).serialized
        bytes.replaceSubrange(7..<15, with: [0, 0, 0, 0x10, 0, 0, 0, 0])
        expectE2EEError(.invalidArgument) { try PasswordProtectedKeys(serialized: bytes) }
    }

    @Test("descriptions, debug descriptions, dumps and errors never contain secret bytes")
    func redaction() throws {
        let identity = try DeviceIdentity.generate(deviceID: UUID(), userID: UUID())
        let key = try ConversationKey.generate(conversationID: UUID(), epoch: 1)
        let secretHex = [
            identity.signingSecretKey.copiedBytes().hex, identity.agreementSecretKey.copiedBytes().hex,
            key.secret.copiedBytes().hex,
        ]
        var dumped = ""
        dump(identity, to: &dumped)
        dump(key, to: &dumped)
        let texts = [
            identity.description, identity.debugDescription, String(describing: identity), String(reflecting: identity),
            key.description, key.debugDescription, String(reflecting: key), dumped,
        ]
        for text in texts {
            for secret in secretHex {
                #expect(!text.lowercased().contains(secret))
                #expect(!text.lowercased().contains(String(secret.prefix(16))))
            }
        }
        #expect(identity.description.contains("redacted"))
        #expect(key.description.contains("redacted"))
        #expect(!dumped.contains("SecretKey") && !dumped.contains("SecretBytes") && !dumped.contains("secret:"))
    }

    @Test("secret buffers are zeroed when released")
    func zeroOnRelease() throws {
        let seenAtRelease = Mutex<[UInt8]?>(nil)
        do {
            let secret = SecretBytes(count: 32, releaseObserver: { bytes in seenAtRelease.withLock { $0 = Array(bytes) } }) {
                $0.initializeMemory(as: UInt8.self, repeating: 0xAB)
            }
            #expect(secret.copiedBytes() == [UInt8](repeating: 0xAB, count: 32))
            #expect(seenAtRelease.withLock { $0 } == nil)
        }
        #expect(seenAtRelease.withLock { $0 } == [UInt8](repeating: 0, count: 32))
    }
}
