/// A reaction emoji: exactly one grapheme cluster of at most 32 UTF-8 bytes, not white
/// space and not a control character.
///
/// Thread safety: a value type; safe to share across tasks.
public struct Emoji: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The emoji text.
    public let rawValue: String

    /// Validates an emoji; throws `invalidInput` saying which rule failed.
    public init(_ rawValue: String) throws(MessagingError) {
        // The byte bound comes first so a huge string is rejected without walking it.
        guard !rawValue.isEmpty, rawValue.utf8.count <= 32 else {
            throw .invalidInput("A reaction must be one emoji of at most 32 bytes.")
        }
        guard rawValue.count == 1, let character = rawValue.first,
              !character.isWhitespace,
              !rawValue.unicodeScalars.contains(where: TextRules.isControl)
        else {
            throw .invalidInput("A reaction must be exactly one emoji (one character), such as 👍.")
        }
        self.rawValue = rawValue
    }

    /// An emoji read back from storage that validated it when it was stored: skips the check.
    /// For storage adapters decoding their own rows; not stable API.
    @inlinable
    public init(_trusted rawValue: String) {
        self.rawValue = rawValue
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

/// One user's reaction to a message; unique per (message, user, emoji).
///
/// Thread safety: a value type; safe to share across tasks.
public struct Reaction: Hashable, Sendable, Codable {
    /// The message reacted to.
    public let messageID: MessageID
    /// Who reacted.
    public let userID: UserID
    /// The emoji.
    public let emoji: Emoji
    /// When.
    public let createdAt: Timestamp

    /// Makes a reaction value.
    public init(messageID: MessageID, userID: UserID, emoji: Emoji, createdAt: Timestamp) {
        self.messageID = messageID
        self.userID = userID
        self.emoji = emoji
        self.createdAt = createdAt
    }
}
