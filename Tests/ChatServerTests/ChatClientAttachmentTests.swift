import Foundation
import Testing

/// `ChatClient send --file` and `download` against a real ChatServer: a plain conversation,
/// and an end-to-end encrypted one whose stored object never contains the plaintext.
@Suite("ChatClient attachments", .timeLimit(.minutes(5)))
struct ChatClientAttachmentTests {
    static func chat(_ arguments: [String], home: URL, _ profile: String) async throws -> ChatClientTests.Run {
        try await ChatClientTests.chat(arguments + ["--profile", profile], home: home)
    }

    /// A file of `size` bytes that repeats `marker`.
    static func file(_ url: URL, marker: String, size: Int) throws -> Data {
        var data = Data()
        while data.count < size { data.append(contentsOf: Array("\(marker) \(data.count);".utf8)) }
        data = data.prefix(size)
        try data.write(to: url)
        return data
    }

    static func messageID(_ run: ChatClientTests.Run) throws -> String {
        let line = try #require(run.output.split(separator: "\n").first { $0.hasPrefix("message ") }, "\(run)")
        return String(line.dropFirst("message ".count))
    }

    @Test("one member sends a file (plain and encrypted), another downloads it; the encrypted object holds no plaintext")
    func sendAndDownload() async throws {
        let home = try TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try await TestServer.start()
        var stopped = false
        defer { if !stopped { Task { [server] in try? await server.stop() } } }
        for handle in ["alice", "bob"] {
            let registered = try await Self.chat(["register", handle, "--server", server.base], home: home, handle)
            #expect(registered.status == 0, "\(registered)")
        }

        // Plain: the object is the file; a progress line for a 3 MiB file.
        let plainRoom = try await Self.chat(["create", "bob", "--title", "files"], home: home, "alice")
        #expect(plainRoom.status == 0, "\(plainRoom)")
        let plain = plainRoom.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let report = home.appendingPathComponent("report.pdf")
        let reportBytes = try Self.file(report, marker: "PLAIN-REPORT", size: 3 << 20)
        let sent = try await Self.chat(["send", plain, "--file", report.path], home: home, "alice")
        #expect(sent.status == 0, "\(sent)")
        #expect(sent.errors.contains("upload report.pdf: 100%"), "a progress line: \(sent.errors)")
        let plainMessage = try Self.messageID(sent)
        let saved = home.appendingPathComponent("bob-report.pdf")
        let fetched = try await Self.chat(["download", plainMessage, "--out", saved.path], home: home, "bob")
        #expect(fetched.status == 0, "\(fetched)")
        #expect(try Data(contentsOf: saved) == reportBytes)

        // Encrypted: the server stores an opaque object named "encrypted"; bob decrypts it.
        let created = try await Self.chat(["create", "bob", "--title", "secret files", "--e2ee"], home: home, "alice")
        #expect(created.status == 0, "\(created)")
        let secret = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let marker = "TOP-SECRET-7f3a9c"
        let diary = home.appendingPathComponent("diary.txt")
        let diaryBytes = try Self.file(diary, marker: marker, size: 200_000)
        let sealed = try await Self.chat(["send", secret, "--file", diary.path], home: home, "alice")
        #expect(sealed.status == 0, "\(sealed)")
        let sealedMessage = try Self.messageID(sealed)
        let history = try await Self.chat(["history", secret], home: home, "bob")
        #expect(history.output.contains("[attachment: diary.txt, text/plain, 200000 bytes"), "\(history)")
        let decrypted = home.appendingPathComponent("bob-diary.txt")
        let opened = try await Self.chat(["download", sealedMessage, "--out", decrypted.path], home: home, "bob")
        #expect(opened.status == 0 && opened.output.contains("decrypted"), "\(opened)")
        #expect(try Data(contentsOf: decrypted) == diaryBytes)

        // What the server keeps: objects without the plaintext, metadata without the name.
        let objects = server.directory.appendingPathComponent("data/media/objects/uploads")
        let stored = try FileManager.default.contentsOfDirectory(atPath: objects.path)
        #expect(stored.count == 2)
        var sawCiphertext = false
        for name in stored {
            let bytes = try Data(contentsOf: objects.appendingPathComponent(name))
            if bytes.count == reportBytes.count { continue }
            sawCiphertext = true
            #expect(bytes.range(of: Data(marker.utf8)) == nil, "the stored object contains the plaintext")
            #expect(bytes.starts(with: [0x01, 0x07]), "a media stream (E2EE.md §7.1)")
        }
        #expect(sawCiphertext)
        let database = try String(contentsOf: server.directory.appendingPathComponent("data/chat.sqlite"), encoding: .isoLatin1)
        #expect(!database.contains("diary.txt"), "the file name travels only inside the sealed message")

        // A member who is not in the conversation cannot download.
        let registered = try await Self.chat(["register", "eve", "--server", server.base], home: home, "eve")
        #expect(registered.status == 0)
        let refused = try await Self.chat(["download", plainMessage, "--out", home.appendingPathComponent("eve").path], home: home, "eve")
        #expect(refused.status != 0, "\(refused)")
        stopped = true
        try await server.stop()
    }
}
