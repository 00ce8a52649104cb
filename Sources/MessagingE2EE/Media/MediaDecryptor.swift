import Foundation
import MessagingSodium

/// Decrypts a media stream made by ``MediaEncryptor`` incrementally, in constant memory.
///
/// Feed the encrypted bytes in pieces of any size to `decrypt(_:)`, which returns the
/// plaintext authenticated so far; then call ``finish()``. The reference fixes the stream's
/// exact length, so each chunk's boundary is known in advance: the last expected chunk must
/// carry `TAG_FINAL` and no other may. A stream that ends early (or whose final chunk is
/// missing or unmarked) throws ``E2EEError/Code/streamTruncated``; bytes after the final chunk
/// throw ``E2EEError/Code/streamExtended``; a modified, reordered or duplicated chunk throws
/// ``E2EEError/Code/authenticationFailed``. After any error the decryptor refuses further
/// input. Output released before `finish()` is authentic but may be incomplete: discard it
/// all if `finish()` (or any call) throws.
///
/// Thread safety: not `Sendable`; stateful. Use one decryptor from one task at a time.
public final class MediaDecryptor {
    /// The reference being decrypted.
    public let reference: MediaReference

    private let stream: SecretStream
    private let chunkCount: UInt64
    private var prefix: MediaStreamHeader?
    private var associatedData: [UInt8] = []
    private var pending: [UInt8] = []
    private var chunkIndex: UInt64 = 0
    private var sawFinal = false
    private var failed = false
    private var finished = false

    /// Creates a decryptor for the stream `reference` describes.
    ///
    /// Thread safety: safe from any thread.
    public init(reference: MediaReference) throws {
        try Sodium.ensureInitialized()
        self.reference = reference
        let size = UInt64(reference.chunkSize), length = reference.plaintextLength
        chunkCount = Swift.max(1, length / size + (length % size == 0 ? 0 : 1))
        stream = try SecretStream.pulling(key: reference.key, header: reference.streamHeader)
    }

    /// `true` once the final chunk has been authenticated.
    public var hasReachedEnd: Bool { sawFinal }

    /// Decrypts the next piece of the encrypted stream; returns the plaintext authenticated so far.
    ///
    /// Thread safety: not thread-safe; one caller at a time.
    public func decrypt(_ ciphertext: [UInt8]) throws -> [UInt8] {
        try ciphertext.withUnsafeBytes { try decrypt($0) }
    }

    /// Decrypts the next piece of the encrypted stream held in `Data`.
    ///
    /// Thread safety: not thread-safe; one caller at a time.
    public func decrypt(_ ciphertext: Data) throws -> [UInt8] {
        try ciphertext.withUnsafeBytes { try decrypt($0) }
    }

    func decrypt(_ ciphertext: UnsafeRawBufferPointer) throws -> [UInt8] {
        try checkUsable()
        do {
            return try consume(ciphertext)
        } catch {
            failed = true
            throw error
        }
    }

    /// Confirms that the stream ended exactly with its final chunk.
    ///
    /// Thread safety: not thread-safe; one caller at a time.
    public func finish() throws {
        try checkUsable()
        finished = true
        guard sawFinal else {
            throw E2EEError(code: .streamTruncated, message: "the media stream ends before its final chunk; it was truncated")
        }
    }

    private func checkUsable() throws {
        guard !failed, !finished else {
            throw E2EEError(code: .streamFinished, message: "the media decryptor already finished or failed; create a new one")
        }
    }

    /// The encrypted size of chunk `index` (known from the reference's length and chunk size).
    private func encryptedSize(ofChunk index: UInt64) -> Int {
        let size = UInt64(reference.chunkSize)
        let plaintext = index + 1 < chunkCount ? size : reference.plaintextLength - (chunkCount - 1) * size
        return Int(plaintext) + SecretStream.overhead
    }

    private func consume(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        var output: [UInt8] = []
        var rest = input[...]
        if prefix == nil {
            let take = Swift.min(MediaStreamHeader.length - pending.count, rest.count)
            pending.append(contentsOf: rest.prefix(take))
            rest = rest.dropFirst(take)
            guard pending.count == MediaStreamHeader.length else { return output }
            let header = try MediaStreamHeader(serialized: pending)
            guard header.chunkSize == reference.chunkSize else {
                throw E2EEError(code: .authenticationFailed, message: "the media stream's chunk size differs from the reference's")
            }
            prefix = header
            associatedData = header.associatedData
            pending.removeAll(keepingCapacity: true)
        }
        while !rest.isEmpty {
            guard !sawFinal else {
                throw E2EEError(code: .streamExtended, message: "the media stream has bytes after its final chunk; it was extended")
            }
            let expected = encryptedSize(ofChunk: chunkIndex)
            let take = Swift.min(expected - pending.count, rest.count)
            if pending.isEmpty, take == expected {
                try decryptChunk(UnsafeRawBufferPointer(rebasing: rest.prefix(expected)), into: &output)
            } else {
                pending.append(contentsOf: rest.prefix(take))
                if pending.count == expected {
                    try pending.withUnsafeBytes { try decryptChunk($0, into: &output) }
                    pending.removeAll(keepingCapacity: true)
                }
            }
            rest = rest.dropFirst(take)
        }
        return output
    }

    private func decryptChunk(_ chunk: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        let final = try stream.pull(chunk, associatedData: associatedData, appendingTo: &output)
        let isLast = chunkIndex + 1 == chunkCount
        guard final == isLast else {
            throw E2EEError(
                code: .streamTruncated,
                message: final
                    ? "the media stream's final chunk came before the announced end; it was truncated"
                    : "the media stream's last chunk is not marked final; it was truncated")
        }
        sawFinal = final
        chunkIndex += 1
    }
}
