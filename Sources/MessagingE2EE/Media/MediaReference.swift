import Foundation
import MessagingSodium

/// Everything a recipient needs to fetch and decrypt one attachment: the stream key and
/// header, the chunk size, the plaintext length, a content type and a locator.
///
/// A reference is secret (it holds the media key) and travels only inside an encrypted
/// ``SealedMessage``: put ``serialized`` into the message plaintext. The encrypted blob
/// itself can be stored anywhere (the locator says where).
///
/// Binary form: version 0x01, kind 0x06, key (32), secretstream header (24), chunk size
/// (uint32 BE), plaintext length (uint64 BE), content type (uint8 length + UTF-8, ≤ 255),
/// locator (uint16 BE length + UTF-8, ≤ 2048), checksum (16) = BLAKE2b-128(
/// `"messaging-e2ee/v1/media-reference" ‖ 0x00 ‖` all preceding bytes). The checksum only
/// detects corruption; authenticity comes from the enclosing message.
///
/// Thread safety: an immutable value; `Sendable`.
public struct MediaReference: WireRepresentable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The plaintext size of each chunk except possibly the last.
    public let chunkSize: Int
    /// The size of the decrypted attachment in bytes.
    public let plaintextLength: UInt64
    /// The attachment's media type, such as `image/jpeg` (may be empty).
    public let contentType: String
    /// Where the encrypted blob is stored, such as a blob id or URL (may be empty).
    public let locator: String

    let key: SecretBytes
    let streamHeader: [UInt8]

    /// The longest content type, in UTF-8 bytes.
    public static let maximumContentTypeLength = 255
    /// The longest locator, in UTF-8 bytes.
    public static let maximumLocatorLength = 2048
    /// The largest attachment a reference may describe (1 PiB).
    public static let maximumPlaintextLength: UInt64 = 1 << 50

    init(
        key: SecretBytes, streamHeader: [UInt8], chunkSize: Int, plaintextLength: UInt64,
        contentType: String, locator: String
    ) throws {
        guard contentType.utf8.count <= Self.maximumContentTypeLength else {
            throw E2EEError.invalidArgument("content types are at most \(Self.maximumContentTypeLength) UTF-8 bytes")
        }
        guard locator.utf8.count <= Self.maximumLocatorLength else {
            throw E2EEError.invalidArgument("locators are at most \(Self.maximumLocatorLength) UTF-8 bytes")
        }
        guard plaintextLength <= Self.maximumPlaintextLength else {
            throw E2EEError.invalidArgument("attachments are at most \(Self.maximumPlaintextLength) bytes")
        }
        self.key = key
        self.streamHeader = streamHeader
        self.chunkSize = try MediaStreamHeader(chunkSize: chunkSize).chunkSize
        self.plaintextLength = plaintextLength
        self.contentType = contentType
        self.locator = locator
    }

    /// A copy with another locator (set after uploading the blob).
    ///
    /// Thread safety: pure; safe from any thread.
    public func with(locator: String) throws -> MediaReference {
        try MediaReference(
            key: key, streamHeader: streamHeader, chunkSize: chunkSize, plaintextLength: plaintextLength,
            contentType: contentType, locator: locator)
    }

    /// The exact size of the encrypted blob this reference decrypts.
    public var encryptedLength: UInt64 {
        // chunkSize was validated on construction.
        (try? MediaStreamHeader(chunkSize: chunkSize))?.encryptedLength(plaintextLength: plaintextLength) ?? 0
    }

    /// The binary form (contains the media key: treat it as secret).
    public var serialized: [UInt8] {
        var writer = WireWriter(kind: .mediaReference, capacity: 128 + locator.utf8.count)
        key.withUnsafeBytes { writer.write(raw: $0) }
        writer.write(raw: streamHeader)
        writer.write(UInt32(chunkSize))
        writer.write(plaintextLength)
        writer.writeShortString(contentType)
        writer.writeString16(locator)
        var bytes = writer.bytes
        bytes.append(contentsOf: DomainLabel.mediaReference.checksum(bytes))
        return bytes
    }

    /// Decodes a reference and checks its structure and checksum.
    ///
    /// Throws ``E2EEError/Code/invalidFormat``, ``E2EEError/Code/unsupportedVersion``,
    /// ``E2EEError/Code/unsupportedKind``, ``E2EEError/Code/wrongKind`` or
    /// ``E2EEError/Code/corrupted``.
    ///
    /// Thread safety: pure; safe from any thread.
    public init(serialized bytes: [UInt8]) throws {
        var reader = WireReader(bytes)
        try WireKind.readHeader(&reader, expecting: .mediaReference)
        let keyRange = try reader.skip(SecretStream.keyLength, field: "media key")
        let header = try reader.readRaw(SecretStream.headerLength, field: "stream header")
        let chunkSize = Int(try reader.readUInt32(field: "chunk size"))
        let plaintextLength = try reader.readUInt64(field: "plaintext length")
        let contentType = try reader.readString(Int(try reader.readUInt8(field: "content type length")), field: "content type")
        let locatorLength = Int(try reader.readUInt16(field: "locator length"))
        guard locatorLength <= Self.maximumLocatorLength else {
            throw E2EEError.invalidFormat("locator length \(locatorLength) exceeds \(Self.maximumLocatorLength)")
        }
        let locator = try reader.readString(locatorLength, field: "locator")
        let bodyLength = reader.offset
        let checksum = try reader.readRaw(16, field: "checksum")
        try reader.expectEnd(of: .mediaReference)
        guard Sodium.constantTimeEquals(checksum, DomainLabel.mediaReference.checksum(bytes[0..<bodyLength])) else {
            throw E2EEError(code: .corrupted, message: "the media reference's checksum does not match; the bytes were corrupted")
        }
        guard MediaStreamHeader.chunkSizeRange.contains(chunkSize), plaintextLength <= Self.maximumPlaintextLength else {
            throw E2EEError.invalidFormat("the media reference's chunk size or plaintext length is out of range")
        }
        try self.init(
            key: SecretBytes(copying: bytes[keyRange]), streamHeader: header, chunkSize: chunkSize,
            plaintextLength: plaintextLength, contentType: contentType, locator: locator)
    }

    /// Public metadata only; the key is redacted.
    public var description: String {
        "MediaReference(\(plaintextLength) bytes, type: \(contentType), locator: \(locator), key: redacted)"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror without the key.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "chunkSize": chunkSize, "plaintextLength": plaintextLength, "contentType": contentType, "locator": locator,
        ], displayStyle: .struct)
    }
}
