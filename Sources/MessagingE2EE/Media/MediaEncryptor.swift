import Foundation
import MessagingSodium

/// Encrypts an attachment of any size incrementally with `crypto_secretstream_xchacha20poly1305`,
/// in constant memory.
///
/// Feed plaintext in pieces of any size to `encrypt(_:)` and write out what it returns;
/// ``finish(contentType:locator:)`` returns the last bytes and the ``MediaReference`` to send
/// inside an encrypted message. The blob is a 6-byte prefix followed by chunks of
/// `chunkSize + 17` bytes; the last chunk (at most `chunkSize + 17` bytes) carries
/// `TAG_FINAL`, so truncation, reordering, duplication and extension are all detected on
/// decryption. A fresh random key and header are drawn for every encryptor.
///
/// Thread safety: not `Sendable`; stateful. Use one encryptor from one task at a time.
public final class MediaEncryptor {
    /// The default plaintext chunk size, 64 KiB.
    public static let defaultChunkSize = 64 * 1024

    /// The plaintext size of every chunk but the last.
    public let chunkSize: Int

    private let key: SecretBytes
    private let stream: SecretStream
    private let header: [UInt8]
    private let prefix: MediaStreamHeader
    private let associatedData: [UInt8]
    private var pending: [UInt8] = []
    private var prefixWritten = false
    private var plaintextLength: UInt64 = 0
    private var finished = false

    /// Creates an encryptor with a fresh random key; `chunkSize` must be 16 bytes...16 MiB.
    ///
    /// Thread safety: safe from any thread.
    public convenience init(chunkSize: Int = MediaEncryptor.defaultChunkSize) throws {
        try self.init(chunkSize: chunkSize, random: .system)
    }

    init(chunkSize: Int, random: RandomSource) throws {
        try Sodium.ensureInitialized()
        prefix = try MediaStreamHeader(chunkSize: chunkSize)
        self.chunkSize = chunkSize
        key = SecretBytes(randomCount: SecretStream.keyLength, from: random)
        (stream, header) = SecretStream.pushing(key: key, random: random)
        associatedData = prefix.associatedData
        pending.reserveCapacity(chunkSize)
    }

    deinit {
        Sodium.wipe(&pending)
    }

    /// Encrypts the next piece of plaintext; returns the encrypted bytes ready so far (possibly none).
    ///
    /// Thread safety: not thread-safe; one caller at a time.
    public func encrypt(_ plaintext: [UInt8]) throws -> [UInt8] {
        try plaintext.withUnsafeBytes { try encrypt($0) }
    }

    /// Encrypts the next piece of plaintext held in `Data`.
    ///
    /// Thread safety: not thread-safe; one caller at a time.
    public func encrypt(_ plaintext: Data) throws -> [UInt8] {
        try plaintext.withUnsafeBytes { try encrypt($0) }
    }

    func encrypt(_ plaintext: UnsafeRawBufferPointer) throws -> [UInt8] {
        guard !finished else {
            throw E2EEError(code: .streamFinished, message: "the media encryptor already finished; create a new one")
        }
        guard plaintextLength + UInt64(plaintext.count) <= MediaReference.maximumPlaintextLength else {
            throw E2EEError.invalidArgument("attachments are at most \(MediaReference.maximumPlaintextLength) bytes")
        }
        plaintextLength += UInt64(plaintext.count)
        var output = takePrefix()
        var input = plaintext[...]
        // A full chunk is held back until more input shows it is not the last one.
        while !input.isEmpty {
            if pending.isEmpty, input.count > chunkSize {
                stream.push(
                    UnsafeRawBufferPointer(rebasing: input.prefix(chunkSize)),
                    associatedData: associatedData, final: false, appendingTo: &output)
                input = input.dropFirst(chunkSize)
            } else if pending.count + input.count > chunkSize {
                let take = chunkSize - pending.count
                pending.append(contentsOf: input.prefix(take))
                input = input.dropFirst(take)
                pending.withUnsafeBytes { stream.push($0, associatedData: associatedData, final: false, appendingTo: &output) }
                Sodium.wipe(&pending)
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(contentsOf: input)
                input = input[input.endIndex...]
            }
        }
        return output
    }

    /// Encrypts the held-back plaintext as the final chunk and returns the remaining bytes with
    /// the reference that decrypts the whole stream.
    ///
    /// Thread safety: not thread-safe; one caller at a time.
    public func finish(contentType: String = "", locator: String = "") throws -> (ciphertext: [UInt8], reference: MediaReference) {
        guard !finished else {
            throw E2EEError(code: .streamFinished, message: "the media encryptor already finished; create a new one")
        }
        let reference = try MediaReference(
            key: key, streamHeader: header, chunkSize: chunkSize, plaintextLength: plaintextLength,
            contentType: contentType, locator: locator)
        finished = true
        var output = takePrefix()
        pending.withUnsafeBytes { stream.push($0, associatedData: associatedData, final: true, appendingTo: &output) }
        Sodium.wipe(&pending)
        pending.removeAll()
        return (output, reference)
    }

    private func takePrefix() -> [UInt8] {
        guard !prefixWritten else { return [] }
        prefixWritten = true
        return prefix.serialized
    }
}
