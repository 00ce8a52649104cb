import Foundation
import MessagingCore
import MessagingPresence

/// One decoded and validated client frame of protocol v1.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ClientRequest: Hashable, Sendable {
    /// The correlation id the answer carries back, if the client sent one.
    public var id: String?
    /// What the client asks for.
    public var body: Body

    /// Makes a request value.
    public init(id: String?, body: Body) {
        self.id = id
        self.body = body
    }

    /// The content of a `send`.
    public struct Send: Hashable, Sendable {
        /// The conversation.
        public var conversationID: ConversationID
        /// The idempotency key.
        public var clientMessageID: ClientMessageID
        /// A text body (exactly one of `text` and `ciphertext`).
        public var text: String?
        /// An encrypted body (base64 on the wire).
        public var ciphertext: Data?
        /// The message replied to.
        public var replyTo: MessageID?
        /// The thread root.
        public var threadRoot: MessageID?
        /// Mentioned members.
        public var mentions: [UserID]
        /// The end-to-end encryption header (`epoch` and `senderDevice`), required with a
        /// ciphertext in an encrypted conversation.
        public var encryption: EncryptionHeader? = nil
        /// Uploads to attach (ids from an upload slot; see `MessagingCore.AttachmentService`).
        public var attachments: [AttachmentID] = []

        /// Makes a send (what a client outside this module builds to pass a typed
        /// `send` to `MessagingClient`'s `ProtocolConnection`). Give exactly one of `text`
        /// and `ciphertext`; the server rejects other combinations.
        public init(
            conversationID: ConversationID, clientMessageID: ClientMessageID, text: String? = nil, ciphertext: Data? = nil,
            replyTo: MessageID? = nil, threadRoot: MessageID? = nil, mentions: [UserID] = [], encryption: EncryptionHeader? = nil,
            attachments: [AttachmentID] = []
        ) {
            self.conversationID = conversationID
            self.clientMessageID = clientMessageID
            self.text = text
            self.ciphertext = ciphertext
            self.replyTo = replyTo
            self.threadRoot = threadRoot
            self.mentions = mentions
            self.encryption = encryption
            self.attachments = attachments
        }
    }

    /// The content of an `envelopes.upload`.
    public struct EnvelopeUpload: Hashable, Sendable {
        /// The conversation.
        public var conversationID: ConversationID
        /// The epoch the envelopes carry the key of.
        public var epoch: UInt64
        /// The caller's device that sealed them.
        public var senderDeviceID: DeviceID
        /// The serialized envelopes (sent in the E2EE text form), one per recipient device.
        public var envelopes: [Data]

        /// Makes an upload (what a client outside this module builds to pass a typed
        /// `envelopes.upload` to `MessagingClient`'s `ProtocolConnection`).
        public init(conversationID: ConversationID, epoch: UInt64, senderDeviceID: DeviceID, envelopes: [Data]) {
            self.conversationID = conversationID
            self.epoch = epoch
            self.senderDeviceID = senderDeviceID
            self.envelopes = envelopes
        }
    }

    /// What the client asks for, one case per request `type`.
    public enum Body: Hashable, Sendable {
        /// `auth`: authenticate with a bearer access token.
        case auth(token: String, device: DeviceID?, protocolVersion: Int?)
        /// `subscribe`: join a conversation and receive its events after `after` (nil: after the device's acknowledged cursor).
        case subscribe(ConversationID, after: Int64?)
        /// `unsubscribe`: stop receiving a conversation's events.
        case unsubscribe(ConversationID)
        /// `send`: send a message.
        case send(Send)
        /// `edit`: replace the body of one's own message.
        case edit(MessageID, text: String?, ciphertext: Data?, mentions: [UserID]?)
        /// `delete`: delete a message.
        case delete(MessageID)
        /// `react`: add a reaction (`conversation`, when given, names the message's conversation for live fanout).
        case react(MessageID, Emoji, conversation: ConversationID?)
        /// `unreact`: remove a reaction.
        case unreact(MessageID, Emoji, conversation: ConversationID?)
        /// `read`: move the read position.
        case read(ConversationID, seq: Int64)
        /// `typing`: start or stop typing.
        case typing(ConversationID, isTyping: Bool)
        /// `presence`: heartbeat with an activity and, when present, set (string) or clear (null) the status text.
        case presence(DeviceActivity, status: StatusUpdate)
        /// `watch`: follow the presence of users (those the caller may see: they share a conversation).
        case watch([UserID])
        /// `unwatch`: stop following users' presence.
        case unwatch([UserID])
        /// `history`: one page of messages.
        case history(ConversationID, HistoryRequest)
        /// `replies`: one page of the replies of a thread root (keyset on `seq`, as `history`).
        case replies(ConversationID, root: MessageID, HistoryRequest)
        /// `ack`: cumulative acknowledgement of every event through `seq`.
        case ack(ConversationID, seq: Int64)
        /// `device.publish`: register the caller's device from its signed bundle.
        case publishDevice(bundle: Data)
        /// `device.remove`: remove one of the caller's devices (lost, stolen, retired).
        case removeDevice(DeviceID)
        /// `devices`: an encrypted conversation's key state and the devices its keys go to.
        case devices(ConversationID)
        /// `envelopes.upload`: store the key envelopes of an epoch.
        case uploadEnvelopes(EnvelopeUpload)
        /// `envelopes`: the envelopes addressed to one of the caller's devices after `after`.
        case envelopes(device: DeviceID, after: Int64, limit: Int)
        /// `feed.subscribe`: follow the user's own feed (`MessagingCore.UserFeedEvent`) on
        /// this connection, from after `after` (from now when `nil`).
        case feedSubscribe(after: Int64?)
        /// `feed.unsubscribe`: stop following the user's feed on this connection.
        case feedUnsubscribe
        /// `receipts`: the members' read and delivered positions, after a user id.
        case receipts(ConversationID, after: UserID?, limit: Int)
        /// `attachment.upload`: an upload slot in a conversation (the attachment record and
        /// the signed URL to upload the bytes to); see `MessagingCore.AttachmentService`.
        case attachmentUpload(ConversationID, AttachmentUploadRequest)
        /// `attachment.download`: a short-lived download URL of an attachment (members of the
        /// conversation of the message it belongs to).
        case attachmentDownload(AttachmentID)
        /// `ping`: the server answers `pong`.
        case ping
        /// `pong`: the answer to a server `ping`.
        case pong
    }

    /// What a `presence` request does to the status text.
    public enum StatusUpdate: Hashable, Sendable {
        /// The field was absent: keep the status.
        case keep
        /// `null`: clear it.
        case clear
        /// A string: set it.
        case set(String)
    }

    /// The request type's wire name.
    public var type: String { body.type }
}

extension ClientRequest.Body {
    /// The wire name of the request type.
    public var type: String {
        switch self {
        case .auth: "auth"
        case .subscribe: "subscribe"
        case .unsubscribe: "unsubscribe"
        case .send: "send"
        case .edit: "edit"
        case .delete: "delete"
        case .react: "react"
        case .unreact: "unreact"
        case .read: "read"
        case .typing: "typing"
        case .presence: "presence"
        case .watch: "watch"
        case .unwatch: "unwatch"
        case .history: "history"
        case .replies: "replies"
        case .ack: "ack"
        case .publishDevice: "device.publish"
        case .removeDevice: "device.remove"
        case .devices: "devices"
        case .uploadEnvelopes: "envelopes.upload"
        case .envelopes: "envelopes"
        case .feedSubscribe: "feed.subscribe"
        case .feedUnsubscribe: "feed.unsubscribe"
        case .receipts: "receipts"
        case .attachmentUpload: "attachment.upload"
        case .attachmentDownload: "attachment.download"
        case .ping: "ping"
        case .pong: "pong"
        }
    }
}
