/// A user handle: normalized to lowercase ASCII, 3–32 characters of `a–z`, `0–9`, `.`, `_`
/// and `-`, starting with a letter or digit. Unique among users.
///
/// Thread safety: a value type; safe to share across tasks.
public struct Handle: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The normalized handle.
    public let rawValue: String

    /// Normalizes and validates a handle; throws `invalidInput` saying which rule failed.
    public init(_ text: String) throws(MessagingError) {
        guard text.utf8.count <= 256 else {
            throw .invalidInput("The handle is too long; use 3 to 32 characters.")
        }
        let trimmed = text.trimmingSpaces()
        // ASCII before lowercasing: the Kelvin sign (U+212A) would otherwise lowercase to "k".
        guard trimmed.unicodeScalars.allSatisfy(\.isASCII) else {
            throw .invalidInput(
                "The handle may contain only letters a–z, digits, '.', '_' and '-', and must start with a letter or digit.")
        }
        let normalized = trimmed.lowercased()
        guard (3...32).contains(normalized.utf8.count) else {
            throw .invalidInput("The handle must be 3 to 32 characters long.")
        }
        for (index, byte) in normalized.utf8.enumerated() {
            let isAlphanumeric = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            let isPunctuation = byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            guard isAlphanumeric || (index > 0 && isPunctuation) else {
                throw .invalidInput(
                    "The handle may contain only letters a–z, digits, '.', '_' and '-', and must start with a letter or digit.")
            }
        }
        rawValue = normalized
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A user of the messaging system.
///
/// Thread safety: a value type; safe to share across tasks.
public struct User: Hashable, Sendable, Codable, Identifiable {
    /// The user's id.
    public let id: UserID
    /// The unique, normalized handle.
    public let handle: Handle
    /// The name shown to others: 1–64 characters, one line.
    public let displayName: String
    /// When the user was created.
    public let createdAt: Timestamp

    /// Makes a user, validating the display name.
    public init(id: UserID, handle: Handle, displayName: String, createdAt: Timestamp) throws(MessagingError) {
        self.id = id
        self.handle = handle
        self.displayName = try TextRules.singleLine(displayName, field: "display name", maxCharacters: 64, allowEmpty: false)
        self.createdAt = createdAt
    }
}
