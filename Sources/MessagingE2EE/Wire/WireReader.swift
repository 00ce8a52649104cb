import Foundation
import MessagingSodium

/// Reads fixed-width big-endian integers and length-prefixed fields from a byte array.
///
/// Every read checks the remaining length first and throws a typed
/// ``E2EEError/Code/invalidFormat`` naming the field; nothing here can trap on any input.
struct WireReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        offset = 0
    }

    var remaining: Int { bytes.count - offset }

    mutating func readRaw(_ count: Int, field: String) throws -> [UInt8] {
        guard count >= 0, remaining >= count else { throw E2EEError.truncated(field) }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Skips `count` bytes and returns the range they occupy.
    mutating func skip(_ count: Int, field: String) throws -> Range<Int> {
        guard count >= 0, remaining >= count else { throw E2EEError.truncated(field) }
        defer { offset += count }
        return offset..<offset + count
    }

    mutating func readUInt8(field: String) throws -> UInt8 {
        guard remaining >= 1 else { throw E2EEError.truncated(field) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt16(field: String) throws -> UInt16 {
        UInt16(try readInteger(byteCount: 2, field: field))
    }

    mutating func readUInt32(field: String) throws -> UInt32 {
        UInt32(try readInteger(byteCount: 4, field: field))
    }

    mutating func readUInt64(field: String) throws -> UInt64 {
        try readInteger(byteCount: 8, field: field)
    }

    mutating func readInt64(field: String) throws -> Int64 {
        Int64(bitPattern: try readUInt64(field: field))
    }

    mutating func readUUID(field: String) throws -> UUID {
        UUID(wireBytes: try readRaw(16, field: field))
    }

    /// Reads `count` bytes as strict UTF-8.
    mutating func readString(_ count: Int, field: String) throws -> String {
        let raw = try readRaw(count, field: field)
        guard let string = String(validating: raw, as: UTF8.self) else {
            throw E2EEError.invalidFormat("the \(field) field is not valid UTF-8")
        }
        return string
    }

    /// Throws unless every byte has been consumed.
    func expectEnd(of kind: WireKind) throws {
        guard remaining == 0 else {
            throw E2EEError.invalidFormat("\(remaining) unexpected trailing bytes after the \(kind.name); pass exactly one object")
        }
    }

    private mutating func readInteger(byteCount: Int, field: String) throws -> UInt64 {
        guard remaining >= byteCount else { throw E2EEError.truncated(field) }
        var value: UInt64 = 0
        for index in offset..<offset + byteCount {
            value = value << 8 | UInt64(bytes[index])
        }
        offset += byteCount
        return value
    }
}
