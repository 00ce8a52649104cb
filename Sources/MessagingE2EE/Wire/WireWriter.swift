import Foundation

/// Appends fixed-width big-endian integers and length-prefixed fields to a byte array.
struct WireWriter {
    private(set) var bytes: [UInt8]

    init(kind: WireKind, capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(contentsOf: kind.header)
    }

    mutating func write(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func write(_ value: UInt16) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ value: Int64) {
        write(UInt64(bitPattern: value))
    }

    mutating func write(_ uuid: UUID) {
        bytes.append(contentsOf: uuid.wireBytes)
    }

    mutating func write(raw: some Collection<UInt8>) {
        bytes.append(contentsOf: raw)
    }

    /// A UTF-8 string with a one-byte length prefix (caller has validated ≤ 255 bytes).
    mutating func writeShortString(_ string: String) {
        let utf8 = Array(string.utf8)
        precondition(utf8.count <= Int(UInt8.max), "short strings are at most 255 bytes")
        write(UInt8(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// A UTF-8 string with a two-byte length prefix (caller has validated ≤ 65535 bytes).
    mutating func writeString16(_ string: String) {
        let utf8 = Array(string.utf8)
        precondition(utf8.count <= Int(UInt16.max), "strings are at most 65535 bytes")
        write(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }
}

extension UUID {
    /// The 16 bytes of the UUID in RFC 9562 network order (as in its textual form).
    var wireBytes: [UInt8] {
        withUnsafeBytes(of: uuid) { Array($0) }
    }

    /// Creates a UUID from exactly 16 bytes (network order).
    init(wireBytes bytes: some Collection<UInt8>) {
        precondition(bytes.count == 16, "UUIDs are 16 bytes")
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes) }
        self.init(uuid: value)
    }
}
