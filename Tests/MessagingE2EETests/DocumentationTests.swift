import Foundation
@testable import MessagingE2EE
import Testing

/// Documentation/E2EE.md against the code: the fingerprint's format and the plaintext
/// convention of §6.2, read from the page and checked on the committed vectors.
@Suite("E2EE.md agrees with MessagingE2EE")
struct DocumentationTests {
    static func page() throws -> String {
        let text = try String(contentsOf: PackagePaths.root.appendingPathComponent("Documentation/E2EE.md"), encoding: .utf8)
        return text.replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
    }

    static func vectors() throws -> TestVectors {
        try JSONDecoder().decode(TestVectors.self, from: Fixtures.data("vectors.json"))
    }

    @Test("§4.1: the fingerprint is 16 groups of 4 lowercase hex digits separated by one space, and the documented example is alice's")
    func fingerprint() throws {
        let page = try Self.page()
        #expect(page.contains("16 groups of 4 lowercase hex digits separated by one space (U+0020), 79 characters"))
        let example = try #require(
            page.firstMatch(of: try Regex<(Substring, Substring)>(#"has the fingerprint `([0-9a-f ]+)`"#))?.output.1,
            "E2EE.md §4.1 shows no example fingerprint")
        let vectors = try Self.vectors()
        let alice = try #require(vectors.identities.first { $0.name == "alice" })
        let bundle = try DeviceBundle(serialized: [UInt8](hex: alice.bundle))
        #expect(bundle.fingerprint == String(example), "E2EE.md: \(example); the code: \(bundle.fingerprint)")
        #expect(bundle.fingerprint.count == 79)
        let groups = bundle.fingerprint.split(separator: " ", omittingEmptySubsequences: false)
        #expect(groups.count == 16 && groups.allSatisfy { $0.count == 4 && $0.allSatisfy { "0123456789abcdef".contains($0) } })
    }

    @Test("§6.2: a text plaintext never starts with 0x01; a media reference is the whole plaintext and starts with 0x01 0x06")
    func plaintextConvention() throws {
        let page = try Self.page()
        #expect(page.contains("### 6.2 What the plaintext is"))
        #expect(page.contains("it starts with `0x01 0x06` and parses as a `MediaReference`"))
        let vectors = try Self.vectors()
        let alice = try vectors.identity("alice")
        let envelope = try KeyEnvelope(serialized: [UInt8](hex: try #require(vectors.envelopes.first { $0.recipient == "bob" }).serialized))
        let key = try envelope.open(
            as: try vectors.identity("bob"), from: alice.makeBundle(),
            conversationID: try #require(UUID(uuidString: vectors.conversation.conversationID)), epoch: vectors.conversation.epoch)
        let carrier = try SealedMessage(serialized: [UInt8](hex: vectors.media.carriedInMessage))
        let carried = try carrier.open(with: key, from: alice.makeBundle()).plaintext
        #expect(Array(carried.prefix(2)) == [0x01, 0x06])
        #expect(try MediaReference(serialized: carried).serialized.hex == vectors.media.reference)

        // A text message of the convention: the UTF-8 bytes, nothing added.
        let text = "caption: the launch photo 📷\nsecond line"
        let sealed = try SealedMessage.seal(Array(text.utf8), clientMessageID: "text-1", with: key, from: alice)
        let opened = try sealed.open(with: key, from: alice.makeBundle()).plaintext
        #expect(opened == Array(text.utf8) && opened.first != 0x01)
        #expect(throws: E2EEError.self, "a text plaintext is not a media reference") { try MediaReference(serialized: opened) }
    }
}
