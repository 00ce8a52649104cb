/// A typed, time-ordered id: `Identifier<IDKind.User>` cannot be passed where a
/// conversation id is expected.
///
/// Its string form and Codable form are the canonical UUID string.
///
/// Thread safety: a value type; safe to share across tasks.
public struct Identifier<Kind>: Hashable, Comparable, Sendable {
    /// The underlying UUIDv7.
    public let uuid: UUIDv7

    /// Wraps a UUIDv7.
    public init(_ uuid: UUIDv7) { self.uuid = uuid }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.uuid < rhs.uuid }
}

extension Identifier: CustomStringConvertible, LosslessStringConvertible {
    /// Parses the canonical UUID string; `nil` when it is not a version 7 UUID.
    public init?(_ description: String) {
        guard let uuid = UUIDv7(description) else { return nil }
        self.init(uuid)
    }

    public var description: String { uuid.uuidString }
}

extension Identifier: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(try UUIDv7(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try uuid.encode(to: encoder)
    }
}

/// Phantom kinds that keep ids of different entities apart.
public enum IDKind {
    /// Users (accounts).
    public enum User {}
    /// Devices (one connected client installation of a user).
    public enum Device {}
    /// Conversations (direct, group, channel).
    public enum Conversation {}
    /// Messages.
    public enum Message {}
    /// Notification records.
    public enum Notification {}
    /// Media attachments (upload slots and the objects they name).
    public enum Attachment {}
}

/// Identifies a user.
public typealias UserID = Identifier<IDKind.User>
/// Identifies a device of a user.
public typealias DeviceID = Identifier<IDKind.Device>
/// Identifies a conversation.
public typealias ConversationID = Identifier<IDKind.Conversation>
/// Identifies a message.
public typealias MessageID = Identifier<IDKind.Message>
/// Identifies a notification record.
public typealias NotificationID = Identifier<IDKind.Notification>
/// Identifies a media attachment.
public typealias AttachmentID = Identifier<IDKind.Attachment>
