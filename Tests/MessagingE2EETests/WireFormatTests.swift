import Foundation
import Testing
@testable import MessagingE2EE
import MessagingSodium

/// Structural checks shared by every format: versions, kinds, truncation, trailing bytes,
/// text encoding, and random input that must never trap.
@Suite("Wire formats")
struct WireFormatTests {
    /// One valid sample of every public format, with its decoder.
    struct Sample: Sendable {
        let name: String
        let kind: UInt8
        let bytes: [UInt8]
        let decode: @Sendable ([UInt8]) throws -> Void
    }

    static func samples() throws -> [Sample] {
        let alice = try TestDevice.make(), bob = try TestDevice.make()
        let key = try ConversationKey.generate(conversationID: UUID(), epoch: 2)
        let envelope = try KeyEnvelope.seal(key, to: bob.bundle, from: alice.identity)
        let message = try SealedMessage.seal(Array("sample".utf8), clientMessageID: "s", with: key, from: alice.identity)
        let export = try alice.identity.exportSecretKeys(password: "sample password", limits: .minimum)
        let media = try MediaEncryptor(chunkSize: 64).finish(contentType: "text/plain", locator: "x").reference
        return [
            Sample(name: "device bundle", kind: 0x01, bytes: alice.bundle.serialized) { _ = try DeviceBundle(serialized: $0) },
            Sample(name: "secret-key export", kind: 0x02, bytes: alice.identity.exportSecretKeys()) {
                _ = try DeviceIdentity(importingSecretKeys: $0)
            },
            Sample(name: "password export", kind: 0x03, bytes: export.serialized) { _ = try PasswordProtectedKeys(serialized: $0) },
            Sample(name: "key envelope", kind: 0x04, bytes: envelope.serialized) { _ = try KeyEnvelope(serialized: $0) },
            Sample(name: "sealed message", kind: 0x05, bytes: message.serialized) { _ = try SealedMessage(serialized: $0) },
            Sample(name: "media reference", kind: 0x06, bytes: media.serialized) { _ = try MediaReference(serialized: $0) },
            Sample(name: "media stream header", kind: 0x07, bytes: try MediaStreamHeader(chunkSize: 64).serialized) {
                _ = try MediaStreamHeader(serialized: $0)
            },
        ]
    }

    @Test("every format starts with version 0x01 and its own kind byte, and decodes")
    func headers() throws {
        for sample in try Self.samples() {
            #expect(sample.bytes[0] == 0x01, "\(sample.name)")
            #expect(sample.bytes[1] == sample.kind, "\(sample.name)")
            try sample.decode(sample.bytes)
        }
    }

    @Test("unknown versions are unsupportedVersion; unknown kinds unsupportedKind; other kinds wrongKind")
    func versionAndKind() throws {
        let samples = try Self.samples()
        for sample in samples {
            for version: UInt8 in [0x00, 0x02, 0xFF] {
                var bytes = sample.bytes
                bytes[0] = version
                expectE2EEError(.unsupportedVersion, "\(sample.name) v\(version)") { try sample.decode(bytes) }
            }
            for kind: UInt8 in [0x00, 0x08, 0x7F, 0xFF] {
                var bytes = sample.bytes
                bytes[1] = kind
                expectE2EEError(.unsupportedKind, "\(sample.name) kind \(kind)") { try sample.decode(bytes) }
            }
            // Every other object fed to this decoder.
            for other in samples where other.kind != sample.kind {
                expectE2EEError(.wrongKind, "\(other.name) fed to the \(sample.name) decoder") { try sample.decode(other.bytes) }
            }
        }
    }

    @Test("every truncation and any trailing byte is invalidFormat")
    func truncationAndTrailing() throws {
        for sample in try Self.samples() {
            for length in 0..<sample.bytes.count {
                expectE2EEError(.invalidFormat, "\(sample.name) cut to \(length)") { try sample.decode(Array(sample.bytes.prefix(length))) }
            }
            expectE2EEError(.invalidFormat, "\(sample.name) + 1 byte") { try sample.decode(sample.bytes + [0]) }
            expectE2EEError(.invalidFormat, "\(sample.name) + 64 bytes") { try sample.decode(sample.bytes + [UInt8](repeating: 0xFF, count: 64)) }
        }
    }

    @Test("random and mutated inputs never trap, they throw E2EEError or decode")
    func fuzz() throws {
        var generator = SystemRandomNumberGenerator()
        let samples = try Self.samples()
        for sample in samples {
            for _ in 0..<300 {
                var bytes = sample.bytes
                let edits = Int.random(in: 1...6, using: &generator)
                for _ in 0..<edits {
                    switch Int.random(in: 0..<4, using: &generator) {
                    case 0: bytes[Int.random(in: 0..<bytes.count, using: &generator)] = .random(in: 0...255, using: &generator)
                    case 1: bytes.removeLast(Int.random(in: 0..<Swift.min(8, bytes.count), using: &generator))
                    case 2: bytes.append(.random(in: 0...255, using: &generator))
                    default: bytes.insert(.random(in: 0...255, using: &generator), at: Int.random(in: 0...bytes.count, using: &generator))
                    }
                    if bytes.isEmpty { bytes = [0] }
                }
                do { try sample.decode(bytes) } catch is E2EEError {} catch { Issue.record("\(sample.name): non-E2EEError \(error)") }
            }
            for length in [0, 1, 2, 3, 50, 400] {
                let random = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                for prefix: [UInt8] in [[], [0x01, sample.kind]] {
                    do { try sample.decode(prefix + random) } catch is E2EEError {} catch { Issue.record("non-E2EEError \(error)") }
                }
            }
        }
    }

    @Test("base64url: canonical, unpadded, URL-safe; everything else is invalidFormat")
    func base64url() throws {
        #expect(Base64URL.encode([]) == "")
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(try Base64URL.decodeOrThrow("-_8") == [0xFB, 0xFF])
        for bytes in [[UInt8](), [0], [0, 1], [0, 1, 2], Array(0...255)] {
            #expect(try Base64URL.decodeOrThrow(Base64URL.encode(bytes)) == bytes)
        }
        for bad in ["-_8=", "+/8", "-_9", "a", "ab cd", "ab\ncd", "é", "AAAA===", "AB*C"] {
            expectE2EEError(.invalidFormat, "\(bad)") { try Base64URL.decodeOrThrow(bad) }
        }
        expectE2EEError(.invalidFormat) { try DeviceBundle(textEncoded: "not base64!") }
    }

    @Test("UUIDs are written as their 16 bytes in network order")
    func uuidBytes() throws {
        let uuid = try #require(UUID(uuidString: "0190F5C1-2B3C-7D4E-8F60-718293A4B5C6"))
        #expect(uuid.wireBytes.hex == "0190f5c12b3c7d4e8f60718293a4b5c6")
        #expect(UUID(wireBytes: uuid.wireBytes) == uuid)
    }

    @Test("errors carry a stable code name and never the input bytes")
    func errorShape() throws {
        let error = E2EEError(code: .signatureInvalid, message: "m")
        #expect(error.code.description == "signatureInvalid")
        #expect(error.description == "signatureInvalid: m")
        let alice = try TestDevice.make()
        let secret = alice.identity.exportSecretKeys()
        var corrupt = secret
        corrupt[50] ^= 1
        let thrown = expectAnyE2EEError { try DeviceIdentity(importingSecretKeys: corrupt) }
        #expect(thrown?.code == .corrupted)
        #expect(!(thrown?.description.contains(secret[42..<74].map { String($0) }.joined()) ?? true))
        #expect(!(thrown?.description.lowercased().contains(Array(secret[42..<58]).hex) ?? true))
    }
}
