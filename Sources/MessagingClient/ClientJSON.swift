import Foundation

/// A JSON value as the server sent it: what ``RealtimeClient`` hands over for the parts of
/// protocol v1 it does not model as types (the extra keys of an event kind, a request's
/// result), so nothing the server sends is out of reach.
///
/// Thread safety: a value type; safe to share across tasks.
public enum ClientJSON: Hashable, Sendable, Codable {
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
    case array([ClientJSON])
    /// An object.
    case object([String: ClientJSON])

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
        } else if let value = try? container.decode([ClientJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: ClientJSON].self))
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

    /// Parses a JSON text; `nil` when it is not JSON or nests deeper than
    /// ``maximumDepth`` (no frame of protocol v1 comes close; a hostile one could exhaust
    /// the stack).
    public init?(parsing bytes: [UInt8]) {
        guard Self.depth(of: bytes, atMost: Self.maximumDepth), let value = try? JSONDecoder().decode(ClientJSON.self, from: Data(bytes)) else { return nil }
        self = value
    }

    /// How deep ``init(parsing:)`` lets arrays and objects nest.
    public static let maximumDepth = 128

    /// Whether the arrays and objects of `bytes` nest at most `limit` deep (brackets inside
    /// strings do not count).
    static func depth(of bytes: [UInt8], atMost limit: Int) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
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
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return false }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return true
    }

    /// The JSON text (keys sorted).
    public var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSON value cannot fail (no non-finite numbers arrive from a parse).
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// The value of `key` in an object; `nil` for a missing key or a value that is no object.
    public subscript(key: String) -> ClientJSON? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    /// The string, if this is one.
    public var string: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }

    /// The integer, if this is one.
    public var integer: Int64? {
        guard case .integer(let value) = self else { return nil }
        return value
    }

    /// The boolean, if this is one.
    public var bool: Bool? {
        guard case .bool(let value) = self else { return nil }
        return value
    }

    /// The elements, if this is an array.
    public var array: [ClientJSON]? {
        guard case .array(let value) = self else { return nil }
        return value
    }

    /// The members, if this is an object.
    public var object: [String: ClientJSON]? {
        guard case .object(let value) = self else { return nil }
        return value
    }
}

extension ClientJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    /// A string literal is a JSON string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer literal is a JSON integer.
    public init(integerLiteral value: Int64) { self = .integer(value) }
    /// A boolean literal is a JSON boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
