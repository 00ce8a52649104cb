import Foundation
import MessagingCore
import MessagingWire

/// Short typed requests for the protocol tests: the requests a test sends most, spelled so
/// a call reads like what it asks (`.send("hi", to: room)`, `.react("👍", to: message)`,
/// `.history(room, limit: 10)`). Each is a `ClientRequest.Body` of protocol v1; the test
/// clients (`TestClient`, `Peer`) send them with a fresh `id`.
///
/// The string arguments (a client message id, an emoji) are literals chosen by the test, so
/// an invalid one is a mistake in the test: it traps rather than throws.
extension ClientRequest.Body {
    /// An `auth` with `token` (and `device`), without a protocol version (the server's default, 1).
    public static func auth(token: String, device: DeviceID? = nil) -> Self {
        .auth(token: token, device: device, protocolVersion: nil)
    }

    /// A text `send` to `conversation`, with the idempotency key `key` (a fresh UUID by default).
    public static func send(
        _ text: String, key: String = UUID().uuidString, to conversation: ConversationID, replyTo: MessageID? = nil,
        threadRoot: MessageID? = nil, mentions: [UserID] = [], attachments: [AttachmentID] = []
    ) -> Self {
        .send(
            ClientRequest.Send(
                conversationID: conversation, clientMessageID: clientMessageID(key), text: text, replyTo: replyTo,
                threadRoot: threadRoot, mentions: mentions, attachments: attachments))
    }

    /// An encrypted `send` to `conversation`: `ciphertext` sealed under `epoch` by `device`.
    public static func send(
        ciphertext: Data, key: String = UUID().uuidString, to conversation: ConversationID, epoch: UInt64, device: DeviceID
    ) -> Self {
        .send(
            ClientRequest.Send(
                conversationID: conversation, clientMessageID: clientMessageID(key), ciphertext: ciphertext,
                encryption: EncryptionHeader(epoch: epoch, senderDeviceID: device)))
    }

    /// A `react` with `emoji` to `message` (`conversation`, when given, for live fanout).
    public static func react(_ emoji: String, to message: MessageID, in conversation: ConversationID? = nil) -> Self {
        .react(message, self.emoji(emoji), conversation: conversation)
    }

    /// An `unreact` of `emoji` from `message` (`conversation`, when given, for live fanout).
    public static func unreact(_ emoji: String, from message: MessageID, in conversation: ConversationID? = nil) -> Self {
        .unreact(message, self.emoji(emoji), conversation: conversation)
    }

    /// A text `edit` of `message` (its mentions unchanged).
    public static func edit(_ message: MessageID, text: String) -> Self {
        .edit(message, text: text, ciphertext: nil, mentions: nil)
    }

    /// A `history` page of `conversation` (the protocol's defaults: backward, 50, from the end).
    public static func history(
        _ conversation: ConversationID, limit: Int = 50, cursor: Int64? = nil, direction: HistoryDirection = .backward
    ) -> Self {
        .history(conversation, HistoryRequest(direction: direction, cursor: cursor, limit: limit))
    }

    /// A `replies` page of the thread of `root` in `conversation` (defaults as ``history(_:limit:cursor:direction:)``).
    public static func replies(
        to root: MessageID, in conversation: ConversationID, limit: Int = 50, cursor: Int64? = nil,
        direction: HistoryDirection = .backward
    ) -> Self {
        .replies(conversation, root: root, HistoryRequest(direction: direction, cursor: cursor, limit: limit))
    }

    /// An `attachment.upload`: a slot for a file of `size` bytes in `conversation`.
    public static func upload(_ fileName: String, contentType: String, size: Int64, in conversation: ConversationID) -> Self {
        .attachmentUpload(conversation, AttachmentUploadRequest(fileName: fileName, contentType: contentType, byteCount: size))
    }

    /// A `receipts` page of `conversation` from the first member (the protocol's default limit, 200).
    public static func receipts(of conversation: ConversationID, limit: Int = 200) -> Self {
        .receipts(conversation, after: nil, limit: limit)
    }

    private static func clientMessageID(_ key: String) -> ClientMessageID {
        do { return try ClientMessageID(key) } catch { preconditionFailure("invalid client message id in a test: \(key)") }
    }

    private static func emoji(_ text: String) -> Emoji {
        do { return try Emoji(text) } catch { preconditionFailure("invalid emoji in a test: \(text)") }
    }
}

extension JSONValue {
    /// A value a test wrote in a dictionary literal, or read from `JSONSerialization`, as
    /// JSON: strings, booleans, integers, doubles, `NSNumber`s, arrays, dictionaries, `NSNull`
    /// and `JSONValue`s; anything else becomes its description (a string).
    public init(testValue value: Any) {
        switch value {
        case let value as JSONValue: self = value
        case let value as String: self = .string(value)
        case let value as Bool: self = .bool(value)
        case let value as Int: self = .integer(Int64(value))
        case let value as Int64: self = .integer(value)
        case let value as Int32: self = .integer(Int64(value))
        case let value as Double: self = .number(value)
        case let value as NSNumber: self = .number(value.doubleValue)
        case let value as [String: Any]: self = .object(value.mapValues(JSONValue.init(testValue:)))
        case let value as [Any]: self = .array(value.map(JSONValue.init(testValue:)))
        case is NSNull: self = .null
        default: self = .string("\(value)")
        }
    }
}
