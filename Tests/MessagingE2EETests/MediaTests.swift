import Foundation
import Testing
@testable import MessagingE2EE

@Suite("Media stream encryption")
struct MediaTests {
    /// Encrypts `plaintext` feeding it in pieces of `piece` bytes.
    static func encrypt(_ plaintext: [UInt8], chunkSize: Int, piece: Int) throws -> (blob: [UInt8], reference: MediaReference) {
        let encryptor = try MediaEncryptor(chunkSize: chunkSize)
        var blob: [UInt8] = []
        var index = 0
        while index < plaintext.count {
            let end = Swift.min(index + piece, plaintext.count)
            blob += try encryptor.encrypt(Array(plaintext[index..<end]))
            index = end
        }
        let (tail, reference) = try encryptor.finish(contentType: "application/octet-stream")
        return (blob + tail, reference)
    }

    static func decrypt(_ blob: [UInt8], reference: MediaReference, piece: Int) throws -> [UInt8] {
        let decryptor = try MediaDecryptor(reference: reference)
        var output: [UInt8] = []
        var index = 0
        while index < blob.count {
            let end = Swift.min(index + piece, blob.count)
            output += try decryptor.decrypt(Array(blob[index..<end]))
            index = end
        }
        try decryptor.finish()
        return output
    }

    static func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) } }

    @Test("round-trips for many sizes and feeding granularities", arguments: [0, 1, 63, 64, 65, 128, 1000, 4096 + 5])
    func roundTrip(size: Int) throws {
        let plaintext = Self.pattern(size)
        for piece in [1, 7, 64, 1000] {
            let (blob, reference) = try Self.encrypt(plaintext, chunkSize: 64, piece: piece)
            #expect(UInt64(blob.count) == reference.encryptedLength)
            #expect(reference.plaintextLength == UInt64(size))
            for readPiece in [1, 13, 81, 5000] {
                #expect(try Self.decrypt(blob, reference: reference, piece: readPiece) == plaintext)
            }
        }
    }

    @Test("file handles: a 3 MiB file round-trips chunk by chunk")
    func files() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2ee-media-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("plain"), encrypted = directory.appendingPathComponent("enc")
        let restored = directory.appendingPathComponent("out")
        let plaintext = Data(Self.pattern(3 * 1024 * 1024 + 17))
        try plaintext.write(to: source)
        _ = FileManager.default.createFile(atPath: encrypted.path, contents: nil)
        _ = FileManager.default.createFile(atPath: restored.path, contents: nil)
        let reference = try MediaEncryptor.encrypt(
            reading: FileHandle(forReadingFrom: source), writing: FileHandle(forWritingTo: encrypted), contentType: "video/mp4")
        #expect(reference.contentType == "video/mp4")
        #expect(UInt64(try Data(contentsOf: encrypted).count) == reference.encryptedLength)
        try MediaDecryptor.decrypt(reading: FileHandle(forReadingFrom: encrypted), writing: FileHandle(forWritingTo: restored), reference: reference)
        #expect(try Data(contentsOf: restored) == plaintext)
    }

    @Test("truncated, reordered, duplicated, extended and FINAL-less streams are rejected")
    func streamAttacks() throws {
        let chunk = 64, full = 64 + 17
        let (blob, reference) = try Self.encrypt(Self.pattern(64 * 4 + 10), chunkSize: chunk, piece: 1000)
        let prefix = Array(blob[0..<6])
        let chunks = stride(from: 6, to: blob.count, by: full).map { Array(blob[$0..<Swift.min($0 + full, blob.count)]) }
        #expect(chunks.count == 5)

        // Truncated at a chunk boundary: the final chunk is missing.
        expectE2EEError(.streamTruncated) { try Self.decrypt(prefix + chunks[0..<4].joined(), reference: reference, piece: 999) }
        // Truncated inside the final chunk.
        expectE2EEError(.streamTruncated) { try Self.decrypt(Array(blob.dropLast(3)), reference: reference, piece: 999) }
        // Only the prefix / nothing at all.
        expectE2EEError(.streamTruncated) { try Self.decrypt(prefix, reference: reference, piece: 999) }
        expectE2EEError(.streamTruncated) { try Self.decrypt([], reference: reference, piece: 999) }
        // Reordered.
        expectE2EEError(.authenticationFailed) {
            try Self.decrypt(prefix + chunks[1] + chunks[0] + chunks[2...].joined(), reference: reference, piece: 999)
        }
        // Duplicated.
        expectE2EEError(.authenticationFailed) {
            try Self.decrypt(prefix + chunks[0] + chunks[0] + chunks[1...].joined(), reference: reference, piece: 999)
        }
        // Extended after FINAL: one byte, or a whole replayed chunk.
        expectE2EEError(.streamExtended) { try Self.decrypt(blob + [0], reference: reference, piece: 999) }
        expectE2EEError(.streamExtended) { try Self.decrypt(blob + chunks[4], reference: reference, piece: 7) }
        // A stream whose last chunk is not tagged FINAL (crafted with the internal state API).
        let stream = try SecretStream.pulling(key: reference.key, header: reference.streamHeader)
        let ad = try MediaStreamHeader(chunkSize: chunk).associatedData
        var noFinal = prefix
        let plaintext = Self.pattern(64 * 4 + 10)
        for start in stride(from: 0, to: plaintext.count, by: chunk) {
            let piece = Array(plaintext[start..<Swift.min(start + chunk, plaintext.count)])
            piece.withUnsafeBytes { stream.push($0, associatedData: ad, final: false, appendingTo: &noFinal) }
        }
        expectE2EEError(.streamTruncated) { try Self.decrypt(noFinal, reference: reference, piece: 999) }
        // Another reference (another key) cannot open the stream.
        let (_, otherReference) = try Self.encrypt(plaintext, chunkSize: chunk, piece: 1000)
        expectE2EEError(.authenticationFailed) { try Self.decrypt(blob, reference: otherReference, piece: 999) }
        // A bit flipped anywhere in the blob fails with a typed error.
        for index in 0..<blob.count {
            expectAnyE2EEError("byte \(index)") { try Self.decrypt(blob.flippingBit(index % 8, at: index), reference: reference, piece: 999) }
        }
    }

    @Test("a media reference travels inside an encrypted message and decrypts the blob")
    func referenceInsideMessage() throws {
        let alice = try TestDevice.make(), bob = try TestDevice.make()
        let key = try ConversationKey.generate(conversationID: UUID(), epoch: 1)
        let plaintext = Self.pattern(5000)
        let (blob, reference) = try Self.encrypt(plaintext, chunkSize: 1024, piece: 333)
        let located = try reference.with(locator: "blob://attachments/42")
        let message = try SealedMessage.seal(located.serialized, clientMessageID: "media-1", with: key, from: alice.identity)
        let receiver = MessageReceiver(identity: bob.identity)
        try receiver.add(key)
        let received = try receiver.receive(message, in: key.conversationID, from: alice.bundle)
        let parsed = try MediaReference(serialized: received.plaintext)
        #expect(parsed.locator == "blob://attachments/42")
        #expect(parsed.contentType == "application/octet-stream")
        #expect(try Self.decrypt(blob, reference: parsed, piece: 4096) == plaintext)
        #expect(!parsed.description.contains(reference.key.copiedBytes().hex))
    }

    @Test("an encryptor or decryptor refuses use after finishing or failing")
    func lifecycle() throws {
        let encryptor = try MediaEncryptor(chunkSize: 64)
        _ = try encryptor.finish()
        expectE2EEError(.streamFinished) { try encryptor.encrypt([1]) }
        expectE2EEError(.streamFinished) { try encryptor.finish() }
        expectE2EEError(.invalidArgument) { try MediaEncryptor(chunkSize: 8) }
        let (blob, reference) = try Self.encrypt([1, 2, 3], chunkSize: 64, piece: 1)
        let decryptor = try MediaDecryptor(reference: reference)
        expectAnyE2EEError { try decryptor.decrypt(blob.flippingBit(0, at: 10)) }
        expectE2EEError(.streamFinished) { try decryptor.decrypt(blob) }
    }
}
