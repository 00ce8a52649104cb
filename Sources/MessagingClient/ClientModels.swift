import Foundation
import MessagingCore

/// A message as protocol v1 carries it (Protocol.md §3, *The Message object*).
///
/// Thread safety: a value type; safe to share across tasks.
public struct ClientMessage: Hashable, Sendable {
    /// The message's id.
    public let id: MessageID
    /// Its conversation.
    public let conversationID: ConversationID
    /// The `seq` of the event that created it.
    public let seq: Int64
    /// Who sent it.
    public let senderID: UserID
    /// The sender's idempotency key.
    public let clientMessageID: String
    /// `text`, `system` or `encrypted`.
    public let kind: String
    /// The text of a text or system message, until deleted.
    public let text: String?
    /// The sealed body of an encrypted message (standard base64), until deleted.
    public let ciphertext: String?
    /// The message it replies to.
    public let replyTo: MessageID?
    /// The root of its thread.
    public let threadRoot: MessageID?
    /// The users it mentions.
    public let mentions: [UserID]
    /// When it was sent.
    public let createdAt: Timestamp
    /// When it was last edited.
    public let editedAt: Timestamp?
    /// When it was deleted (then it has no content).
    public let deletedAt: Timestamp?
    /// Whether the server withholds its content from this reader (the reader blocks the sender).
    public let isHidden: Bool
    /// The whole object as sent (reactions, thread summary, attachments, encryption fields).
    public let json: ClientJSON

    /// Reads a Message object; `nil` when a required key is missing or malformed.
    public init?(_ json: ClientJSON) {
        guard let id = json["id"]?.string.flatMap(MessageID.init),
            let conversation = json["conversation"]?.string.flatMap(ConversationID.init),
            let seq = json["seq"]?.integer, let sender = json["sender"]?.string.flatMap(UserID.init),
            let clientMessageID = json["clientMessageId"]?.string, let kind = json["kind"]?.string,
            let createdAt = json["createdAt"]?.integer
        else { return nil }
        self.id = id
        self.conversationID = conversation
        self.seq = seq
        self.senderID = sender
        self.clientMessageID = clientMessageID
        self.kind = kind
        self.text = json["text"]?.string
        self.ciphertext = json["ciphertext"]?.string
        self.replyTo = json["replyTo"]?.string.flatMap(MessageID.init)
        self.threadRoot = json["threadRoot"]?.string.flatMap(MessageID.init)
        self.mentions = (json["mentions"]?.array ?? []).compactMap { $0.string.flatMap(UserID.init) }
        self.createdAt = Timestamp(millisecondsSince1970: createdAt)
        self.editedAt = json["editedAt"]?.integer.map(Timestamp.init(millisecondsSince1970:))
        self.deletedAt = json["deletedAt"]?.integer.map(Timestamp.init(millisecondsSince1970:))
        self.isHidden = json["hidden"]?.bool ?? false
        self.json = json
    }
}

/// One event of a conversation's log (Protocol.md §4, *Events*).
///
/// Thread safety: a value type; safe to share across tasks.
public struct ClientEvent: Hashable, Sendable {
    /// The conversation whose log this is.
    public let conversationID: ConversationID
    /// Its position in the log (gapless).
    public let seq: Int64
    /// What happened: `message.created`, `member.joined`, … (Protocol.md §4).
    public let kind: String
    /// Who caused it.
    public let actorID: UserID
    /// When.
    public let occurredAt: Timestamp
    /// The message, for the `message.*` kinds.
    public let message: ClientMessage?
    /// The whole event object, for the keys of other kinds.
    public let json: ClientJSON

    /// Reads an event object; `nil` when a common key is missing or malformed.
    public init?(_ json: ClientJSON) {
        guard let conversation = json["conversation"]?.string.flatMap(ConversationID.init), let seq = json["seq"]?.integer,
            seq >= 1, let kind = json["kind"]?.string, let actor = json["actor"]?.string.flatMap(UserID.init),
            let at = json["at"]?.integer
        else { return nil }
        self.conversationID = conversation
        self.seq = seq
        self.kind = kind
        self.actorID = actor
        self.occurredAt = Timestamp(millisecondsSince1970: at)
        self.message = json["message"].flatMap(ClientMessage.init)
        self.json = json
    }
}

/// What the server said when a connection became ready.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ClientSession: Hashable, Sendable {
    /// The authenticated user.
    public let userID: UserID
    /// The login session.
    public let sessionID: String
    /// The device acknowledgements and presence count for.
    public let deviceID: DeviceID
    /// How often to send presence heartbeats, in milliseconds.
    public let heartbeatMilliseconds: Int64
    /// The server's idle timeout, in milliseconds.
    public let idleTimeoutMilliseconds: Int64
}

/// The answer to a ``RealtimeClient/send(text:to:clientMessageID:replyTo:threadRoot:mentions:)``.
///
/// Thread safety: a value type; safe to share across tasks.
public struct SentMessage: Hashable, Sendable {
    /// The stored message.
    public let message: ClientMessage
    /// Whether the server had stored it already (a retry of an earlier send): the same message.
    public let duplicate: Bool
}

/// Something a ``RealtimeClient`` received or noticed, in arrival order.
public enum ClientUpdate: Sendable {
    /// An event of a subscribed conversation, each `seq` exactly once and in order.
    case event(ClientEvent)
    /// Another member is typing (or stopped).
    case typing(conversationID: ConversationID, userID: UserID, isTyping: Bool)
    /// A member moved their read position.
    case receipt(conversationID: ConversationID, userID: UserID, readSeq: Int64)
    /// A watched user's presence changed (the UserPresence object).
    case presence(ClientJSON)
    /// An entry of the user's own feed (Protocol.md §4a).
    case feed(ClientJSON)
    /// A connection is ready and every subscription caught up.
    case connected(ClientSession)
    /// The connection ended (with the server's close, when it sent one); the client reconnects.
    case disconnected(TransportCloseSummary?)
    /// A subscription was dropped: re-subscribing after a reconnect failed (removed from
    /// the conversation, or it was deleted). The error says why.
    case subscriptionEnded(conversationID: ConversationID, error: RealtimeClientError)
    /// The open connection was renewed with a refreshed access token (before the old one
    /// expired; see `RealtimeClient.Configuration.tokenRenewalMargin`).
    case tokenRenewed
}

/// How a connection closed: the code and the server's reason.
///
/// Thread safety: a value type; safe to share across tasks.
public struct TransportCloseSummary: Hashable, Sendable {
    /// The close code (4401 token expired, 4410 resync required, 1001 going away, …).
    public let code: UInt16
    /// The server's reason.
    public let reason: String
}
