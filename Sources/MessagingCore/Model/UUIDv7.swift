/// A time-ordered 128-bit identifier (RFC 9562 version 7).
///
/// The first 48 bits are the Unix time in milliseconds, so ids sort by creation time both
/// as values and as big-endian bytes (which is how stores keep them).
///
/// Thread safety: a value type; safe to share across tasks.
public struct UUIDv7: Hashable, Comparable, Sendable {
    /// The most significant 64 bits (timestamp, version, `rand_a`).
    public let high: UInt64
    /// The least significant 64 bits (variant, `rand_b`).
    public let low: UInt64

    /// Makes an id from its two halves; `nil` unless the version is 7 and the variant is RFC 9562's.
    public init?(high: UInt64, low: UInt64) {
        guard (high >> 12) & 0xF == 7, low >> 62 == 0b10 else { return nil }
        self.high = high
        self.low = low
    }

    /// Makes an id from a timestamp and random bits (the 12 bits of `randomA`, the low 62 of `randomB`).
    public init(unixMilliseconds: UInt64, randomA: UInt16, randomB: UInt64) {
        high = (unixMilliseconds & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | UInt64(randomA & 0x0FFF)
        low = 0x8000_0000_0000_0000 | (randomB & 0x3FFF_FFFF_FFFF_FFFF)
    }

    /// The creation time in milliseconds since 1970.
    public var unixMilliseconds: UInt64 { high >> 16 }

    /// The 16 big-endian bytes.
    public var bytes: [UInt8] {
        var result = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            result[index] = UInt8(truncatingIfNeeded: high >> (56 - 8 * index))
            result[index + 8] = UInt8(truncatingIfNeeded: low >> (56 - 8 * index))
        }
        return result
    }

    /// Reads 16 big-endian bytes from raw memory; `nil` for any other length, version or
    /// variant. The fast path for storage adapters decoding id columns.
    @inlinable
    public init?(bigEndianBytes buffer: UnsafeRawBufferPointer) {
        guard buffer.count == 16 else { return nil }
        let high = UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let low = UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        self.init(high: high, low: low)
    }

    /// Reads 16 big-endian bytes; `nil` for any other length, version or variant.
    public init?<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    /// Parses the canonical 36-character form (`xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx`), any letter case.
    public init?(_ string: String) {
        let utf8 = Array(string.utf8)
        guard utf8.count == 36 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        var nibbles = 0
        for (index, character) in utf8.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard character == UInt8(ascii: "-") else { return nil }
                continue
            }
            guard let value = Self.hexValue(character) else { return nil }
            if nibbles < 16 { high = high << 4 | UInt64(value) } else { low = low << 4 | UInt64(value) }
            nibbles += 1
        }
        self.init(high: high, low: low)
    }

    /// The canonical lowercase 36-character form.
    public var uuidString: String {
        let digits = Array("0123456789abcdef".utf8)
        var characters = [UInt8]()
        characters.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { characters.append(UInt8(ascii: "-")) }
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: characters, as: UTF8.self)
    }

    public static func < (lhs: UUIDv7, rhs: UUIDv7) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    private static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension UUIDv7: CustomStringConvertible, LosslessStringConvertible {
    public var description: String { uuidString }
}

extension UUIDv7: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let value = UUIDv7(string) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "Expected a version 7 UUID in canonical form.")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(uuidString)
    }
}
