/// A parsed JSON value, used to check a frame's shape before its fields are read.
///
/// Decoding tries `Bool` before numbers, so `true` never reads as `1` and `1` never as `true`.
///
/// Thread safety: a value type; safe to share across tasks.
enum JSONValue: Hashable, Sendable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The JSON type name, for error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer, .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// One scan over a JSON text's bytes, before any recursive parse: its nesting depth
/// (brackets inside strings do not count), how many object members it holds (a colon
/// outside strings ends each key), and whether every number is a plain integer.
///
/// The member count finds repeated keys: a parser keeps one value per key, so a text with
/// more members than its parsed objects have keys repeated one (`{"seq":1,"seq":2}`).
enum JSONScan {
    struct Result {
        /// The maximum depth reached.
        var depth = 0
        /// Object members in the whole text.
        var members = 0
        /// Whether some number has a fraction, an exponent, a leading zero or is `-0`.
        var hasNonIntegerNumber = false
    }

    /// Scans `bytes`; `nil` as soon as the depth exceeds `limit`.
    static func scan(_ bytes: [UInt8], depthLimit limit: Int) -> Result? {
        var result = Result()
        var depth = 0
        var inString = false
        var escaped = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > limit { return nil }
                result.depth = max(result.depth, depth)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ":"): result.members += 1
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = index - 1
                while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
                if !Self.isPlainInteger(bytes[start..<index]) { result.hasNonIntegerNumber = true }
            default: break
            }
        }
        return result
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
             UInt8(ascii: "e"), UInt8(ascii: "E"):
            true
        default: false
        }
    }

    /// `-?(0|[1-9][0-9]*)`, and not `-0`.
    private static func isPlainInteger(_ token: ArraySlice<UInt8>) -> Bool {
        var digits = token[...]
        if digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
        guard let first = digits.first, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return false
        }
        if first == UInt8(ascii: "0") { return digits.count == 1 && token.first != UInt8(ascii: "-") }
        return true
    }
}

extension JSONValue {
    /// Keys in this value's objects, nested ones included.
    var memberCount: Int {
        switch self {
        case .object(let fields): fields.count + fields.values.reduce(0) { $0 + $1.memberCount }
        case .array(let values): values.reduce(0) { $0 + $1.memberCount }
        default: 0
        }
    }
}
