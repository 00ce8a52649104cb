import Foundation
import MessagingCore

// The JSON shapes of the HTTP API, in one place. They follow the realtime protocol's flat
// event shape (`{"conversation","seq","kind":"message.created",…}`): camelCase keys, ids
// as UUID strings, times as integer milliseconds since 1970, optional keys left out when
// unset. Never encoded: content digests, password hashes, refresh-token hashes.

/// A user as the API shows it.
struct UserJSON: Encodable, Sendable {
    let id: String
    let handle: String
    let displayName: String
    let createdAt: Int64

    init(_ user: User) {
        id = user.id.description
        handle = user.handle.rawValue
        displayName = user.displayName
        createdAt = user.createdAt.millisecondsSince1970
    }
}

/// A conversation as the API shows it.
struct ConversationJSON: Encodable, Sendable {
    let id: String
    let kind: String
    let title: String?
    let topic: String?
    let creator: String
    let createdAt: Int64
    let lastSeq: Int64
    let lastActivityAt: Int64

    init(_ conversation: Conversation) {
        id = conversation.id.description
        kind = conversation.kind.rawValue
        title = conversation.title
        topic = conversation.topic
        creator = conversation.creatorID.description
        createdAt = conversation.createdAt.millisecondsSince1970
        lastSeq = conversation.lastSeq
        lastActivityAt = conversation.lastActivityAt.millisecondsSince1970
    }
}

/// A membership as the API shows it.
struct MemberJSON: Encodable, Sendable {
    let conversation: String
    let user: String
    let role: String
    let joinedAt: Int64
    let readSeq: Int64

    init(_ member: Member) {
        conversation = member.conversationID.description
        user = member.userID.description
        role = member.role.rawValue
        joinedAt = member.joinedAt.millisecondsSince1970
        readSeq = member.readSeq
    }
}

/// An attachment reference.
struct AttachmentJSON: Encodable, Sendable {
    let id: String
    let mediaType: String
    let byteCount: Int64
    let name: String?
}

/// A message as the API (and the realtime protocol) shows it: `text` for text and system
/// messages, `ciphertext` (base64) for encrypted ones, neither once deleted.
struct MessageJSON: Encodable, Sendable {
    let id: String
    let conversation: String
    let sender: String
    let seq: Int64
    let clientMessageId: String
    let kind: String
    let text: String?
    let ciphertext: String?
    let replyTo: String?
    let threadRoot: String?
    let mentions: [String]
    let attachments: [AttachmentJSON]
    let createdAt: Int64
    let editedAt: Int64?
    let deletedAt: Int64?

    init(_ message: Message) {
        id = message.id.description
        conversation = message.conversationID.description
        sender = message.senderID.description
        seq = message.seq
        clientMessageId = message.clientMessageID.rawValue
        kind = message.kind.rawValue
        switch message.body {
        case .text(let value): text = value; ciphertext = nil
        case .ciphertext(let bytes): text = nil; ciphertext = bytes.base64EncodedString()
        case nil: text = nil; ciphertext = nil
        }
        replyTo = message.replyToID?.description
        threadRoot = message.threadRootID?.description
        mentions = message.mentions.map(\.description)
        attachments = message.attachments.map {
            AttachmentJSON(id: $0.id, mediaType: $0.mediaType, byteCount: $0.byteCount, name: $0.name)
        }
        createdAt = message.createdAt.millisecondsSince1970
        editedAt = message.editedAt?.millisecondsSince1970
        deletedAt = message.deletedAt?.millisecondsSince1970
    }
}

/// One event of a conversation's log, flat: the common keys, `kind`, and the kind's own keys.
struct EventJSON: Encodable, Sendable {
    let event: ConversationEvent

    init(_ event: ConversationEvent) { self.event = event }

    private enum Keys: String, CodingKey {
        case conversation, seq, actor, occurredAt, kind, message, user, emoji, role, removedBy, from, to, title, topic
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(event.conversationID.description, forKey: .conversation)
        try container.encode(event.seq, forKey: .seq)
        try container.encode(event.actorID.description, forKey: .actor)
        try container.encode(event.occurredAt.millisecondsSince1970, forKey: .occurredAt)
        switch event.payload {
        case .messageCreated(let message):
            try container.encode("message.created", forKey: .kind)
            try container.encode(MessageJSON(message), forKey: .message)
        case .messageEdited(let message):
            try container.encode("message.edited", forKey: .kind)
            try container.encode(MessageJSON(message), forKey: .message)
        case .messageDeleted(let message):
            try container.encode("message.deleted", forKey: .kind)
            try container.encode(MessageJSON(message), forKey: .message)
        case .reactionAdded(let messageID, let userID, let emoji):
            try container.encode("reaction.added", forKey: .kind)
            try container.encode(messageID.description, forKey: .message)
            try container.encode(userID.description, forKey: .user)
            try container.encode(emoji.rawValue, forKey: .emoji)
        case .reactionRemoved(let messageID, let userID, let emoji):
            try container.encode("reaction.removed", forKey: .kind)
            try container.encode(messageID.description, forKey: .message)
            try container.encode(userID.description, forKey: .user)
            try container.encode(emoji.rawValue, forKey: .emoji)
        case .memberJoined(let userID, let role):
            try container.encode("member.joined", forKey: .kind)
            try container.encode(userID.description, forKey: .user)
            try container.encode(role.rawValue, forKey: .role)
        case .memberLeft(let userID, let removedBy):
            try container.encode("member.left", forKey: .kind)
            try container.encode(userID.description, forKey: .user)
            try container.encodeIfPresent(removedBy?.description, forKey: .removedBy)
        case .memberRoleChanged(let userID, let from, let to):
            try container.encode("member.role_changed", forKey: .kind)
            try container.encode(userID.description, forKey: .user)
            try container.encode(from.rawValue, forKey: .from)
            try container.encode(to.rawValue, forKey: .to)
        case .conversationUpdated(let title, let topic):
            try container.encode("conversation.updated", forKey: .kind)
            try container.encodeIfPresent(title, forKey: .title)
            try container.encodeIfPresent(topic, forKey: .topic)
        }
    }
}

/// A login session as its owner sees it (never its refresh-token hash).
struct SessionJSON: Encodable, Sendable {
    let id: String
    let deviceName: String
    let clientAddress: String?
    let createdAt: Int64
    let lastUsedAt: Int64
    let expiresAt: Int64
    let current: Bool

    init(_ session: AuthSession, current: SessionID?) {
        id = session.id.description
        deviceName = session.deviceName
        clientAddress = session.clientAddress
        createdAt = session.createdAt.millisecondsSince1970
        lastUsedAt = session.lastUsedAt.millisecondsSince1970
        expiresAt = session.expiresAt.millisecondsSince1970
        self.current = session.id == current
    }
}

/// The device a login stands for: realtime acknowledgement cursors and presence are kept
/// per device, and by default a device is its login session.
struct DeviceJSON: Encodable, Sendable {
    let id: String
    let name: String
}

/// The answer to login and refresh.
struct TokensJSON: Encodable, Sendable {
    let accessToken: String
    let accessTokenExpiresAt: Int64
    let refreshToken: String
    let refreshTokenExpiresAt: Int64
    let user: UserJSON
    let session: SessionJSON
    let device: DeviceJSON
}

/// How the API encodes its answers: sorted keys (as the realtime protocol does), no escaped slashes.
enum APIEncoding {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}

/// A JSON object assembled from named members, for the small envelopes of the API
/// (`{"user":…}`, `{"messages":[…],"hasMore":…}`); `nil` members are left out.
struct JSONObject: Encodable, Sendable {
    private var members: [(String, any Encodable & Sendable)] = []

    init(_ members: KeyValuePairs<String, (any Encodable & Sendable)?>) {
        for (key, value) in members {
            if let value { self.members.append((key, value)) }
        }
    }

    private struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (key, value) in members { try container.encode(value, forKey: Key(stringValue: key)) }
    }
}
