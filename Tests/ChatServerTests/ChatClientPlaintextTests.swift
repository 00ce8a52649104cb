@testable import ChatClient
import MessagingE2EE
import Testing

/// What ChatClient shows for an opened sealed message, by the plaintext convention of
/// E2EE.md §6.2.
@Suite("ChatClient: what an opened plaintext shows")
struct ChatClientPlaintextTests {
    @Test("text is shown as its UTF-8; a media reference is named, never printed (it holds the media key)")
    func display() throws {
        #expect(E2EESession.displayText(of: Array("héllo\n\tworld".utf8)) == "héllo\n\tworld")
        let encryptor = try MediaEncryptor(chunkSize: 64)
        _ = try encryptor.encrypt([UInt8](repeating: 7, count: 100))
        let (_, reference) = try encryptor.finish(contentType: "image/png", locator: "blob:launch-1")
        #expect(E2EESession.displayText(of: reference.serialized)
            == "[attachment: image/png, 100 bytes; not stored on this server]")
        let stored = try reference.with(locator: "attachment:0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6a;sha256=\(String(repeating: "ab", count: 32));name=cat%20photo%2Epng")
        #expect(E2EESession.displayText(of: stored.serialized)
            == "[attachment: cat photo.png, image/png, 100 bytes; save it with ChatClient download]")
        // Text that merely starts like a reference is still text.
        #expect(E2EESession.displayText(of: [0x01, 0x06] + Array("x".utf8)) == "\u{1}\u{6}x")
    }
}
