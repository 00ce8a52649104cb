import MessagingSodium

/// The 6-byte public prefix of an encrypted media stream: version 0x01, kind 0x07, chunk size
/// (uint32 BE). It is authenticated as part of every chunk's associated data:
/// `"messaging-e2ee/v1/media" ‖ 0x00 ‖ prefix`.
struct MediaStreamHeader: Equatable, Sendable {
    static let length = 6
    /// Allowed plaintext chunk sizes.
    static let chunkSizeRange = 16...(16 << 20)

    let chunkSize: Int

    init(chunkSize: Int) throws {
        guard Self.chunkSizeRange.contains(chunkSize) else {
            throw E2EEError.invalidArgument("media chunk size \(chunkSize) is outside \(Self.chunkSizeRange)")
        }
        self.chunkSize = chunkSize
    }

    init(serialized bytes: [UInt8]) throws {
        var reader = WireReader(bytes)
        try WireKind.readHeader(&reader, expecting: .mediaStream)
        let size = Int(try reader.readUInt32(field: "chunk size"))
        try reader.expectEnd(of: .mediaStream)
        guard Self.chunkSizeRange.contains(size) else {
            throw E2EEError.invalidFormat("media chunk size \(size) is outside \(Self.chunkSizeRange)")
        }
        chunkSize = size
    }

    var serialized: [UInt8] {
        var writer = WireWriter(kind: .mediaStream, capacity: Self.length)
        writer.write(UInt32(chunkSize))
        return writer.bytes
    }

    /// The associated data of every chunk.
    var associatedData: [UInt8] { DomainLabel.media.labelled(serialized) }

    /// Encrypted size of a stream with `plaintextLength` bytes: prefix + one 17-byte overhead
    /// per chunk (at least one chunk) + the plaintext.
    func encryptedLength(plaintextLength: UInt64) -> UInt64 {
        let size = UInt64(chunkSize)
        let chunks = Swift.max(1, plaintextLength / size + (plaintextLength % size == 0 ? 0 : 1))
        return UInt64(Self.length) + chunks * UInt64(SecretStream.overhead) + plaintextLength
    }
}
