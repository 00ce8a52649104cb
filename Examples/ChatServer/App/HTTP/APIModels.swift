import Foundation
import MessagingCore
import MessagingDelivery
import MessagingWire

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
    let encrypted: Bool
    let slowModeSeconds: Int

    init(_ conversation: Conversation) {
        encrypted = conversation.isEncrypted
        slowModeSeconds = conversation.slowModeSeconds
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

/// Messages and events in the HTTP API are encoded exactly as in the realtime protocol
/// (`MessagingDelivery`'s wire encoders, documented in `Documentation/Protocol.md` §4):
/// one JSON shape per object across both APIs.
typealias MessageJSON = WireMessage
typealias EventJSON = WireEvent

/// An entry of the caller's feed: the same shape as in the realtime `feed` frame.
typealias FeedEntryJSON = WireFeedEntry

/// A member's read and delivered positions: the same shape as in the realtime `receipts` result.
typealias WireMemberReceiptJSON = WireMemberReceipt

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
