/// A parsed JSON value: what the gateway checks a frame's shape with before its fields are
/// read, and what clients (`MessagingClient`'s `ClientJSON`) hand over for the parts of
/// protocol v1 they do not model as types.
///
/// Decoding tries `Bool` before numbers, so `true` never reads as `1` and `1` never as `true`.
///
/// Thread safety: a value type; safe to share across tasks.
public enum JSONValue: Hashable, Sendable, Codable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number without a fraction or exponent that fits in 64 bits.
    case integer(Int64)
    /// Any other number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object.
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
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

    public func encode(to encoder: any Encoder) throws {
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

/// The fast path of ``FrameDecoder``: a frame that is one flat JSON object (no nested
/// object or array) whose strings have no escapes and whose numbers are plain integers
/// that fit `Int64`, parsed straight from the bytes: the shape of nearly every frame a
/// client sends (`ack`, `ping`, `read`, `typing`, `subscribe`, `send` of plain text).
///
/// Anything else (nesting, escapes, fractions, exponents, a repeated key, a syntax error,
/// an integer out of range) returns `nil`, and the frame takes the general path, which
/// accepts or refuses it with the same answers as before. For every frame it accepts, the
/// fields are exactly those the general path would produce.
enum FlatJSON {
    static func object(_ bytes: [UInt8]) -> [String: JSONValue]? {
        bytes.withUnsafeBufferPointer { object($0) }
    }

    private static func object(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: JSONValue]? {
        var index = 0
        let count = bytes.count

        func skipSpace() {
            while index < count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        /// A string without escapes or control characters, at `index` (its opening quote).
        func string() -> String? {
            guard index < count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            index += 1
            let start = index
            while index < count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    index += 1
                    return value
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                index += 1
            }
            return nil
        }

        /// `-?(0|[1-9][0-9]*)`, not `-0`, within `Int64`.
        func integer() -> Int64? {
            var negative = false
            if bytes[index] == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            let start = index
            var magnitude: UInt64 = 0
            while index < count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
                if o1 || o2 { return nil }
                magnitude = plus
                index += 1
            }
            let digits = index - start
            guard digits > 0 else { return nil }
            if bytes[start] == UInt8(ascii: "0"), digits > 1 || negative { return nil }
            // A fraction or an exponent: the general path decides.
            if index < count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) { return nil }
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
                return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
            }
            guard magnitude <= UInt64(Int64.max) else { return nil }
            return Int64(magnitude)
        }

        func literal(_ word: StaticString) -> Bool {
            let length = word.utf8CodeUnitCount
            guard index + length <= count else { return false }
            for offset in 0..<length where bytes[index + offset] != word.utf8Start[offset] { return false }
            index += length
            return true
        }

        skipSpace()
        guard index < count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        var fields: [String: JSONValue] = [:]
        skipSpace()
        if index < count, bytes[index] == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard index < count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                skipSpace()
                guard index < count else { return nil }
                let value: JSONValue
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    guard let text = string() else { return nil }
                    value = .string(text)
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    guard let number = integer() else { return nil }
                    value = .integer(number)
                case UInt8(ascii: "t"):
                    guard literal("true") else { return nil }
                    value = .bool(true)
                case UInt8(ascii: "f"):
                    guard literal("false") else { return nil }
                    value = .bool(false)
                case UInt8(ascii: "n"):
                    guard literal("null") else { return nil }
                    value = .null
                default:
                    return nil  // nested object or array, or not JSON
                }
                // A repeated key is an error the general path words.
                guard fields.updateValue(value, forKey: key) == nil else { return nil }
                skipSpace()
                guard index < count else { return nil }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "}") else { return nil }
                index += 1
                break
            }
        }
        skipSpace()
        return index == count ? fields : nil
    }
}
