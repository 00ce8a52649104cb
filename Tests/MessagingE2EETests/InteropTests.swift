import TestSupport
import Foundation
import Testing
@testable import MessagingE2EE

/// Interoperability with an independent libsodium binding (PyNaCl), in both directions.
///
/// The Python interpreter comes from `MESSAGING_INTEROP_PYTHON`, or else from
/// `.build/interop-venv/bin/python3` under the package root (what `make test` and
/// `scripts/interop-venv.sh` create). With neither, the test fails and says how to set it up:
/// it never skips silently.
@Suite("Interop with PyNaCl")
struct InteropTests {
    struct PythonMade: Decodable {
        struct Message: Decodable { let clientMessageID: String; let plaintext: String; let serialized: String; let text: String }
        struct Media: Decodable { let plaintext: String; let stream: String; let carriedInMessage: String }
        struct Password: Decodable { let password: String; let serialized: String }
        let conversationID: String
        let epoch: UInt64
        let bundle: String
        let bundleText: String
        let envelope: String
        let envelopeText: String
        let messages: [Message]
        let media: Media
        let secretKeyExport: String
        let passwordExport: Password
    }

    static func python() -> String? {
        if let configured = ProcessInfo.processInfo.environment["MESSAGING_INTEROP_PYTHON"], !configured.isEmpty {
            return configured
        }
        let venv = PackagePaths.root.appendingPathComponent(".build/interop-venv/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }

    static func run(_ python: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [PackagePaths.interopScript.path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("PyNaCl verifies the Swift vectors, and Swift opens what PyNaCl made")
    func bothDirections() throws {
        guard let python = Self.python() else {
            Issue.record(
                "interop test needs a python with PyNaCl: set MESSAGING_INTEROP_PYTHON, or run make test, or scripts/interop-venv.sh, which creates .build/interop-venv with Tests/Interop/requirements.txt (PyNaCl among them)")
            return
        }
        // (a) Python parses, verifies and opens every committed Swift-made vector.
        let verified = try Self.run(python, ["verify", PackagePaths.vectors.path])
        #expect(verified.status == 0, "interop.py verify failed:\n\(verified.output)")
        #expect(verified.output.contains("verified 7 Swift-made objects"), "\(verified.output)")

        // (b) Python makes a bundle, an envelope to Bob, messages, media and a password export.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2ee-interop-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outPath = directory.appendingPathComponent("python-made.json")
        let created = try Self.run(python, ["create", PackagePaths.vectors.path, outPath.path])
        try #require(created.status == 0, "interop.py create failed:\n\(created.output)")
        let made = try JSONDecoder().decode(PythonMade.self, from: Data(contentsOf: outPath))

        let vectors = try TestVectorTests.committed()
        let bob = try vectors.identity("bob")
        let conversation = try #require(UUID(uuidString: made.conversationID))
        let pythonBundle = try DeviceBundle(serialized: [UInt8](hex: made.bundle))
        #expect(try DeviceBundle(textEncoded: made.bundleText) == pythonBundle)

        let receiver = MessageReceiver(identity: bob)
        let envelope = try KeyEnvelope(textEncoded: made.envelopeText)
        #expect(envelope.serialized.hex == made.envelope)
        let key = try receiver.accept(envelope, from: pythonBundle, conversationID: conversation)
        #expect(key.epoch == made.epoch)
        #expect(made.messages.count == 3)
        for vector in made.messages {
            let message = try SealedMessage(textEncoded: vector.text)
            let received = try receiver.receive(message, in: conversation, from: pythonBundle)
            #expect(!received.isReplay)
            #expect(received.plaintext.hex == vector.plaintext)
            #expect(received.message.clientMessageID == vector.clientMessageID)
            #expect(received.message.senderUserID == pythonBundle.userID)
        }
        let carrier = try SealedMessage(serialized: [UInt8](hex: made.media.carriedInMessage))
        let reference = try MediaReference(serialized: receiver.receive(carrier, in: conversation, from: pythonBundle).plaintext)
        let decryptor = try MediaDecryptor(reference: reference)
        let media = try decryptor.decrypt([UInt8](hex: made.media.stream))
        try decryptor.finish()
        #expect(media.hex == made.media.plaintext)

        let imported = try DeviceIdentity(importingSecretKeys: [UInt8](hex: made.secretKeyExport))
        #expect(imported.makeBundle() == pythonBundle)
        let protected = try PasswordProtectedKeys(serialized: [UInt8](hex: made.passwordExport.serialized))
        #expect(try DeviceIdentity(importing: protected, password: made.passwordExport.password).makeBundle() == pythonBundle)
    }
}
