/// A short status text a user sets for others to see ("In a meeting"), validated.
///
/// Rules: trimmed of surrounding white space; 1 to ``maximumCharacters`` characters
/// (grapheme clusters); no control characters (Unicode category Cc, including newline and
/// tab) and no bidirectional override or isolate characters, which could make the text
/// render as something else. To clear a status, pass `nil` where a status is expected.
///
/// Thread safety: a value type; safe to share across tasks.
public struct StatusText: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The default and largest accepted length, in characters.
    public static let maximumCharacters = 100

    /// The validated text.
    public let rawValue: String

    /// Validates `text`; throws ``PresenceError`` with code `invalidInput` saying which rule it broke.
    public init(_ text: String, maximumCharacters: Int = StatusText.maximumCharacters) throws(PresenceError) {
        let limit = min(max(1, maximumCharacters), Self.maximumCharacters)
        // Bound the work on absurd inputs before counting grapheme clusters.
        guard text.utf8.count <= limit * 16 else {
            throw .invalidInput("The status text is too long; use at most \(limit) characters.")
        }
        let trimmed = Self.trimmed(text)
        for scalar in trimmed.unicodeScalars where Self.isForbidden(scalar) {
            throw .invalidInput(
                "The status text contains the control character U+\(String(scalar.value, radix: 16, uppercase: true)); use one line of plain text.")
        }
        guard !trimmed.isEmpty else {
            throw .invalidInput("The status text is empty; give at least one visible character, or pass nil to clear the status.")
        }
        guard trimmed.count <= limit else {
            throw .invalidInput("The status text is too long (\(trimmed.count) characters); use at most \(limit).")
        }
        rawValue = trimmed
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message, underlyingError: error))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// C0 and C1 controls, and the bidirectional embedding, override and isolate controls.
    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return value < 0x20 || (0x7F...0x9F).contains(value) || (0x202A...0x202E).contains(value)
            || (0x2066...0x2069).contains(value)
    }

    private static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }
}
