import Foundation
import Testing
@testable import MessagingE2EE

/// Runs every Wycheproof vector through the module's own wrappers (not through libsodium
/// directly), and asserts the exact number of vectors so the suite cannot pass on zero.
@Suite("Wycheproof vectors")
struct WycheproofTests {
    private struct AeadFile: Decodable {
        struct Group: Decodable {
            let ivSize: Int
            let keySize: Int
            let tagSize: Int
            let tests: [Case]
        }

        struct Case: Decodable {
            let tcId: Int
            let key: String
            let iv: String
            let aad: String
            let msg: String
            let ct: String
            let tag: String
            let result: String
            let flags: [String]
        }

        let numberOfTests: Int
        let testGroups: [Group]
    }

    private struct XdhFile: Decodable {
        struct Group: Decodable { let tests: [Case] }
        struct Case: Decodable {
            let tcId: Int
            let `public`: String
            let `private`: String
            let shared: String
            let result: String
            let flags: [String]
        }

        let numberOfTests: Int
        let testGroups: [Group]
    }

    private struct EddsaFile: Decodable {
        struct Group: Decodable {
            struct Key: Decodable { let pk: String }
            let publicKey: Key
            let tests: [Case]
        }

        struct Case: Decodable {
            let tcId: Int
            let msg: String
            let sig: String
            let result: String
            let flags: [String]
        }

        let numberOfTests: Int
        let testGroups: [Group]
    }

    @Test("XChaCha20-Poly1305: 315 vectors; valid accepted, invalid rejected, unsupported nonce sizes rejected by validation")
    func xchacha20Poly1305() throws {
        let file = try JSONDecoder().decode(AeadFile.self, from: Fixtures.data("wycheproof/xchacha20_poly1305_test.json"))
        var processed = 0, valid = 0, invalidRejected = 0, nonceSizeRejected = 0
        for group in file.testGroups {
            for test in group.tests {
                processed += 1
                let key = [UInt8](hex: test.key), nonce = [UInt8](hex: test.iv), aad = [UInt8](hex: test.aad)
                let message = [UInt8](hex: test.msg), sealed = [UInt8](hex: test.ct) + [UInt8](hex: test.tag)
                if nonce.count != XChaCha20Poly1305.nonceLength {
                    // libsodium only implements 192-bit nonces: the wrapper's validation must refuse these.
                    #expect(test.result == "invalid", "tcId \(test.tcId)")
                    #expect(test.flags.contains("InvalidNonceSize"), "tcId \(test.tcId)")
                    expectE2EEError(.invalidArgument, "seal tcId \(test.tcId)") {
                        try XChaCha20Poly1305.seal(plaintext: message, associatedData: aad, nonce: nonce, key: key)
                    }
                    expectE2EEError(.invalidArgument, "open tcId \(test.tcId)") {
                        try XChaCha20Poly1305.open(ciphertext: sealed, associatedData: aad, nonce: nonce, key: key)
                    }
                    nonceSizeRejected += 1
                    continue
                }
                switch test.result {
                case "valid":
                    let produced = try XChaCha20Poly1305.seal(plaintext: message, associatedData: aad, nonce: nonce, key: key)
                    #expect(produced == sealed, "seal tcId \(test.tcId)")
                    let opened = try XChaCha20Poly1305.open(ciphertext: sealed, associatedData: aad, nonce: nonce, key: key)
                    #expect(opened == message, "open tcId \(test.tcId)")
                    valid += 1
                case "invalid":
                    expectE2EEError(.authenticationFailed, "tcId \(test.tcId)") {
                        try XChaCha20Poly1305.open(ciphertext: sealed, associatedData: aad, nonce: nonce, key: key)
                    }
                    invalidRejected += 1
                default:
                    Issue.record("unexpected result \(test.result) in tcId \(test.tcId)")
                }
            }
        }
        #expect(file.numberOfTests == 315)
        #expect(processed == 315)
        #expect(valid == 246)
        #expect(invalidRejected == 60)
        #expect(nonceSizeRejected == 9)
    }

    @Test("X25519: 518 vectors; valid and non-zero acceptable match, zero-shared-secret acceptable rejected")
    func x25519() throws {
        let file = try JSONDecoder().decode(XdhFile.self, from: Fixtures.data("wycheproof/x25519_test.json"))
        var processed = 0, valid = 0, acceptableComputed = 0, zeroRejected = 0
        for group in file.testGroups {
            for test in group.tests {
                processed += 1
                let secret = [UInt8](hex: test.private), peer = [UInt8](hex: test.public), expected = [UInt8](hex: test.shared)
                let zeroShared = expected.allSatisfy { $0 == 0 }
                switch (test.result, zeroShared) {
                case ("valid", false):
                    #expect(try X25519.sharedSecret(secretKey: secret, publicKey: peer) == expected, "tcId \(test.tcId)")
                    valid += 1
                case ("acceptable", false):
                    // Twist points, non-canonical encodings, edge cases: computed as RFC 7748 says.
                    #expect(try X25519.sharedSecret(secretKey: secret, publicKey: peer) == expected, "tcId \(test.tcId)")
                    acceptableComputed += 1
                case ("acceptable", true):
                    // Low-order peer keys give an all-zero secret; libsodium (and so the wrapper) refuses it.
                    #expect(test.flags.contains("ZeroSharedSecret"), "tcId \(test.tcId)")
                    expectE2EEError(.invalidKey, "tcId \(test.tcId)") {
                        try X25519.sharedSecret(secretKey: secret, publicKey: peer)
                    }
                    zeroRejected += 1
                default:
                    Issue.record("unexpected vector shape: tcId \(test.tcId) result \(test.result) zero \(zeroShared)")
                }
            }
        }
        #expect(file.numberOfTests == 518)
        #expect(processed == 518)
        #expect(valid == 264)
        #expect(acceptableComputed == 223)
        #expect(zeroRejected == 31)
    }

    @Test("Ed25519: 151 vectors; valid verify, invalid (including malleable and wrong-length) rejected")
    func ed25519() throws {
        let file = try JSONDecoder().decode(EddsaFile.self, from: Fixtures.data("wycheproof/ed25519_test.json"))
        var processed = 0, valid = 0, invalid = 0
        for group in file.testGroups {
            let publicKey = try SigningPublicKey(rawRepresentation: [UInt8](hex: group.publicKey.pk))
            for test in group.tests {
                processed += 1
                let accepted = publicKey.isValidSignature([UInt8](hex: test.sig), for: [UInt8](hex: test.msg))
                switch test.result {
                case "valid":
                    #expect(accepted, "tcId \(test.tcId)")
                    valid += 1
                case "invalid":
                    #expect(!accepted, "tcId \(test.tcId) \(test.flags)")
                    invalid += 1
                default:
                    Issue.record("unexpected result \(test.result) in tcId \(test.tcId)")
                }
            }
        }
        #expect(file.numberOfTests == 151)
        #expect(processed == 151)
        #expect(valid == 88)
        #expect(invalid == 63)
    }
}
