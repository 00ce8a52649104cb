import Foundation
import MessagingCore
import MessagingPresence

/// The frames the server sends in protocol v1 (conversation events are encoded once by
/// `MessagingDelivery` as `{"event":{…},"type":"event"}` and shared by every recipient).
/// Messages in results use the same wire shape as in events (`WireMessage`).
///
/// Every frame is a JSON object with sorted keys and a `type`.
///
/// Thread safety: a value type; safe to share across tasks.
public enum ServerFrame: Sendable {
    /// `ready`: the handshake succeeded.
    case ready(requestID: String?, Ready)
    /// `ok`: a request succeeded; `result` depends on the request.
    case ok(requestID: String?, result: Result)
    /// `error`: a request (or a frame) was rejected.
    case error(requestID: String?, code: WireErrorCode, message: String, retryAfterMilliseconds: Int64?)
    /// `ping`: the server checks the connection is alive; answer `pong`.
    case ping
    /// `pong`: the answer to a client `ping`.
    case pong
    /// `typing`: a member of a subscribed conversation started or stopped typing.
    case typing(conversationID: ConversationID, userID: UserID, isTyping: Bool)
    /// `presence`: a watched user's (or a subscribed conversation member's) presence changed.
    case presence(UserPresence)
    /// `feed`: an entry of the user's own feed, on a connection that sent `feed.subscribe`.
    case feed(UserFeedEvent)
    /// `receipt`: a member of a subscribed conversation read up to `readSeq`.
    case receipt(conversationID: ConversationID, userID: UserID, readSeq: Int64)

    /// What `ready` tells the client.
    public struct Ready: Sendable, Encodable {
        /// The protocol version (1).
        public var `protocol`: Int = ProtocolLimits.version
        /// The authenticated user.
        public var user: UserID
        /// The login session.
        public var session: SessionID
        /// The device the server tracks acknowledgements and presence for.
        public var device: DeviceID
        /// How often the client should send `presence` heartbeats, in milliseconds.
        public var heartbeatMs: Int64
        /// The server's idle timeout, in milliseconds: send something (a `ping`) more often.
        public var idleTimeoutMs: Int64
        /// The largest frame accepted, in bytes.
        public var maxFrameBytes: Int

        /// A `ready` frame's fields.
        public init(
            user: UserID, session: SessionID, device: DeviceID, heartbeatMs: Int64, idleTimeoutMs: Int64,
            maxFrameBytes: Int
        ) {
            self.user = user
            self.session = session
            self.device = device
            self.heartbeatMs = heartbeatMs
            self.idleTimeoutMs = idleTimeoutMs
            self.maxFrameBytes = maxFrameBytes
        }
    }

    /// The result of a successful request.
    public enum Result: Sendable, Encodable {
        /// No result fields: `{}`.
        case empty
        /// `subscribe`: the conversation and the `seq` the backlog reached.
        case subscribed(conversation: ConversationID, seq: Int64)
        /// `send`: the stored message and whether it was a repeat of an earlier send.
        case sent(Message, duplicate: Bool)
        /// `edit`, `delete`: the message's current state.
        case message(Message)
        /// `read`: the new read position.
        case read(readSeq: Int64)
        /// `history`: one page.
        case history(MessagePage)
        /// `replies`: the thread root and one page of its replies.
        case replies(ThreadPage)
        /// `ack`: the acknowledged position.
        case acked(seq: Int64)
        /// `typing`: whether the notice was throttled (not forwarded).
        case typing(throttled: Bool)
        /// `presence`: the heartbeat lifetime granted.
        case presence(ttlMs: Int64)
        /// `watch`: the current presence of the watched users the caller may see.
        case watched([UserPresence])
        /// `device.publish`, `device.remove`: the device.
        case device(Device)
        /// `devices`: the key state and the devices keys go to.
        case devices(ConversationDevices)
        /// `envelopes.upload`: the key state after the upload and how many envelopes were stored.
        case envelopesStored(EnvelopeUploadReceipt)
        /// `envelopes`: one page of the device's envelope inbox.
        case envelopes(EnvelopePage)
        /// `feed.subscribe`: the feed's last `seq` and the unread counts, from one snapshot.
        case feedSubscribed(UserFeedState)
        /// `receipts`: members' read and delivered positions.
        case receipts([MemberReceipt])
        /// `{"expiresAt": ms}`: a fresh access token of the connection's session was accepted.
        case reauthenticated(expiresAt: Timestamp)
        /// `attachment.upload`: `{"attachment": Attachment, "upload": {"method", "url", "headers", "expiresAt"}}`.
        case uploadSlot(AttachmentUploadSlot)
        /// `attachment.download`: `{"attachment": Attachment, "url", "expiresAt"}`.
        case attachmentDownload(AttachmentDownload)

        private enum Keys: String, CodingKey {
            case conversation, seq, message, duplicate, readSeq, messages, hasMore, nextCursor, throttled, ttlMs, presence, unread
            case receipts
            case root, replies
            case device, keyEpoch, requiredEpoch, stored, envelopes, expiresAt
            case attachment, upload, url
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            switch self {
            case .empty: break
            case .subscribed(let conversation, let seq):
                try c.encode(conversation, forKey: .conversation)
                try c.encode(seq, forKey: .seq)
            case .sent(let message, let duplicate):
                try c.encode(WireMessage(message), forKey: .message)
                try c.encode(duplicate, forKey: .duplicate)
            case .message(let message): try c.encode(WireMessage(message), forKey: .message)
            case .read(let seq): try c.encode(seq, forKey: .readSeq)
            case .history(let page):
                try c.encode(page.details.map(WireMessage.init), forKey: .messages)
                try c.encode(page.hasMore, forKey: .hasMore)
                try c.encodeIfPresent(page.nextCursor, forKey: .nextCursor)
            case .replies(let thread):
                try c.encode(WireMessage(thread.root), forKey: .root)
                try c.encode(thread.replies.details.map(WireMessage.init), forKey: .replies)
                try c.encode(thread.replies.hasMore, forKey: .hasMore)
                try c.encodeIfPresent(thread.replies.nextCursor, forKey: .nextCursor)
            case .acked(let seq): try c.encode(seq, forKey: .seq)
            case .typing(let throttled): try c.encode(throttled, forKey: .throttled)
            case .presence(let ttl): try c.encode(ttl, forKey: .ttlMs)
            case .watched(let presence): try c.encode(presence, forKey: .presence)
            case .device(let device): try c.encode(WireDevice(device), forKey: .device)
            case .devices(let devices): try WireConversationDevices(devices).encode(to: encoder)
            case .envelopesStored(let receipt):
                try c.encode(receipt.keyState.keyEpoch, forKey: .keyEpoch)
                try c.encode(receipt.keyState.requiredEpoch, forKey: .requiredEpoch)
                try c.encode(receipt.stored, forKey: .stored)
            case .reauthenticated(let expiresAt): try c.encode(expiresAt.millisecondsSince1970, forKey: .expiresAt)
            case .envelopes(let page):
                try c.encode(page.envelopes.map(WireEnvelope.init), forKey: .envelopes)
                try c.encode(page.hasMore, forKey: .hasMore)
            case .feedSubscribed(let state):
                try c.encode(state.head, forKey: .seq)
                try c.encode(state.unread.map(WireUnreadCount.init), forKey: .unread)
            case .receipts(let receipts):
                try c.encode(receipts.map(WireMemberReceipt.init), forKey: .receipts)
            case .uploadSlot(let slot):
                try c.encode(WireAttachment(slot.attachment), forKey: .attachment)
                try c.encode(WireTransferTarget(slot.upload), forKey: .upload)
            case .attachmentDownload(let download):
                try c.encode(WireAttachment(download.attachment), forKey: .attachment)
                try c.encode(download.target.url.absoluteString, forKey: .url)
                try c.encode(download.target.expiresAt.millisecondsSince1970, forKey: .expiresAt)
            }
        }
    }

    private struct Envelope: Encodable {
        let frame: ServerFrame

        enum Keys: String, CodingKey {
            case type, id, result, code, message, retryAfterMs, conversation, user, typing, presence, entry, readSeq
            case `protocol`, session, device, heartbeatMs, idleTimeoutMs, maxFrameBytes
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            switch frame {
            case .ready(let id, let ready):
                try c.encode("ready", forKey: .type)
                try c.encodeIfPresent(id, forKey: .id)
                try c.encode(ready.`protocol`, forKey: .`protocol`)
                try c.encode(ready.user, forKey: .user)
                try c.encode(ready.session, forKey: .session)
                try c.encode(ready.device, forKey: .device)
                try c.encode(ready.heartbeatMs, forKey: .heartbeatMs)
                try c.encode(ready.idleTimeoutMs, forKey: .idleTimeoutMs)
                try c.encode(ready.maxFrameBytes, forKey: .maxFrameBytes)
            case .ok(let id, let result):
                try c.encode("ok", forKey: .type)
                try c.encodeIfPresent(id, forKey: .id)
                try c.encode(result, forKey: .result)
            case .error(let id, let code, let message, let retryAfter):
                try c.encode("error", forKey: .type)
                try c.encodeIfPresent(id, forKey: .id)
                try c.encode(code.rawValue, forKey: .code)
                try c.encode(message, forKey: .message)
                try c.encodeIfPresent(retryAfter, forKey: .retryAfterMs)
            case .ping: try c.encode("ping", forKey: .type)
            case .pong: try c.encode("pong", forKey: .type)
            case .typing(let conversation, let user, let isTyping):
                try c.encode("typing", forKey: .type)
                try c.encode(conversation, forKey: .conversation)
                try c.encode(user, forKey: .user)
                try c.encode(isTyping, forKey: .typing)
            case .presence(let presence):
                try c.encode("presence", forKey: .type)
                try c.encode(presence, forKey: .presence)
            case .feed(let entry):
                try c.encode("feed", forKey: .type)
                try c.encode(WireFeedEntry(entry), forKey: .entry)
            case .receipt(let conversation, let user, let readSeq):
                try c.encode("receipt", forKey: .type)
                try c.encode(conversation, forKey: .conversation)
                try c.encode(user, forKey: .user)
                try c.encode(readSeq, forKey: .readSeq)
            }
        }
    }

    /// The frame's JSON bytes (sorted keys).
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(Envelope(frame: self)) { return Array(data) }
        return Array(#"{"code":"internal","message":"The server could not encode a frame.","type":"error"}"#.utf8)
    }

    /// The frame as a transport text frame.
    public var transportFrame: TransportFrame { .text(encoded()) }

    /// An error frame for `error` (a ``ProtocolError``, a domain error or anything else).
    public static func error(_ error: any Error, requestID: String?) -> ServerFrame {
        .error(
            requestID: requestID, code: WireErrorCode.of(error), message: WireErrorCode.message(of: error),
            retryAfterMilliseconds: (error as? MessagingError)?.retryAfterMilliseconds)
    }
}
