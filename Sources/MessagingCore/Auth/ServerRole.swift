/// A server-level role such as `admin`, carried in access tokens and checked by the
/// auth layer's role policy. Conversation roles (``Role``) are a separate concept.
///
/// A role name is 1–32 characters of `a–z`, `0–9`, `.`, `_` and `-`, starting with a letter.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ServerRole: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The role's name.
    public let rawValue: String

    /// Validates a role name; throws `invalidInput` saying which rule failed.
    public init(_ name: String) throws(MessagingError) {
        guard (1...32).contains(name.utf8.count) else {
            throw .invalidInput("A server role name must be 1 to 32 characters long.")
        }
        for (index, byte) in name.utf8.enumerated() {
            let isLetter = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            let isDigit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            let isPunctuation = byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            guard isLetter || (index > 0 && (isDigit || isPunctuation)) else {
                throw .invalidInput(
                    "A server role name may contain only a–z, digits, '.', '_' and '-', and must start with a letter.")
            }
        }
        rawValue = name
    }

    private init(known: String) { rawValue = known }

    /// Administrators of the whole server.
    public static let admin = ServerRole(known: "admin")
    /// Moderators (server-wide moderation rights, as the host's policy defines them).
    public static let moderator = ServerRole(known: "moderator")

    public var description: String { rawValue }

    public static func < (lhs: ServerRole, rhs: ServerRole) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
