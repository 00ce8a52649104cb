import Foundation
import MessagingCore
import MessagingWire
import NIOCore

/// A conversation event encoded once, into its final WebSocket frame; every recipient
/// shares the same bytes.
///
/// ``frame`` holds the complete server-to-client WebSocket text frame (RFC 6455 §5.2: FIN,
/// text opcode, unmasked length, then the JSON payload of protocol v1). Server frames are
/// never masked, so these are the bytes every recipient's socket gets: a WebSocket writer
/// writes ``frame`` as it is, other transports take ``payload``. Copying an `EncodedEvent`
/// retains the one buffer, never the bytes, so handing one event to 100,000 sessions
/// allocates nothing per session.
///
/// Thread safety: a value type over immutable storage; safe to share across tasks.
public struct EncodedEvent: Sendable {
    /// The conversation.
    public let conversationID: ConversationID
    /// The event's `seq` in its conversation.
    public let seq: Int64
    /// The whole WebSocket frame: the header (``headerLength`` bytes), then the payload.
    public let frame: ByteBuffer
    /// Bytes of WebSocket header at the start of ``frame``.
    public let headerLength: Int
    /// `true` when the hub skipped missing `seq`s before this event (their publisher never
    /// published them); a session receiving such an event is closed with
    /// ``CloseReason/resync`` so its client fills the gap from the store.
    public internal(set) var followsGap: Bool = false
    /// The user whose membership this event ends (`member.left`, whether they left or were
    /// removed), or `nil`. The hub delivers the event to that user's sessions (so they learn
    /// of it) and then drops them from the room: nothing later in the conversation reaches
    /// them.
    public let endsMembershipOf: UserID?
    /// The sender of the message a `message.created` or `message.edited` event carries (with
    /// its content), or `nil`: a session whose user blocks that sender gets ``withheld()``
    /// instead (``OutboundSession/setBlockedUsers(_:version:)``).
    public let messageSender: UserID?
    /// `true` when the event ends every membership (`conversation.deleted`): the hub delivers
    /// it to every session of the room, then closes the room; nothing of the conversation follows.
    public let endsConversation: Bool

    /// Frames a payload that already encodes the event at `seq`; `endsMembershipOf` names
    /// the user whose membership the event ends (a `member.left` or `member.banned` event), if
    /// any; `messageSender` the sender of the message a `message.created` or `message.edited`
    /// event carries; `endsConversation` says it ends everyone's (a `conversation.deleted` event).
    public init(
        conversationID: ConversationID, seq: Int64, bytes: [UInt8], endsMembershipOf: UserID? = nil,
        messageSender: UserID? = nil, endsConversation: Bool = false
    ) {
        self.conversationID = conversationID
        self.seq = seq
        (self.frame, self.headerLength) = WebSocketTextFrame.make(payload: bytes)
        self.endsMembershipOf = endsMembershipOf
        self.messageSender = messageSender
        self.endsConversation = endsConversation
    }

    /// Whether the event ends the membership of `user` (its own `member.left` or
    /// `member.banned`, or `conversation.deleted`).
    public func endsMembership(of user: UserID) -> Bool {
        endsConversation || endsMembershipOf == user
    }

    /// A frame that is not an event of the log (a read receipt): delivered to the sessions of
    /// the conversation's room as they are, outside `seq` order; ``seq`` is 0.
    public init(ephemeralIn conversationID: ConversationID, bytes: [UInt8]) {
        self.init(conversationID: conversationID, seq: 0, bytes: bytes)
    }

    /// Whether this is a frame outside the log (``init(ephemeralIn:bytes:)``).
    public var isEphemeral: Bool { seq == 0 }

    /// Encodes `event` once as a JSON frame `{"type":"event","event":{…}}`.
    public init(_ event: ConversationEvent) throws {
        var ending = false
        if case .conversationDeleted = event.payload { ending = true }
        self.init(
            conversationID: event.conversationID, seq: event.seq, bytes: try EventFrameEncoder.encode(event),
            endsMembershipOf: event.endsMembershipOf, messageSender: Self.sender(of: event), endsConversation: ending)
    }

    /// The sender of the message whose content `event` carries (see ``messageSender``).
    public static func sender(of event: ConversationEvent) -> UserID? {
        switch event.payload {
        case .messageCreated(let message), .messageEdited(let message): message.isHidden ? nil : message.senderID
        default: nil
        }
    }

    /// This event for a reader who blocks its ``messageSender``: the same `seq` and kind, the
    /// message without `text`, `ciphertext`, mentions and attachments, with `"hidden":true`
    /// (the form history pages give that reader). Encoded per call: only sessions of users
    /// who block the sender ask for it. `self` when the frame cannot be read (never for
    /// frames this library encoded).
    public func withheld() -> EncodedEvent {
        guard messageSender != nil,
              var frame = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
              var event = frame["event"] as? [String: Any], var message = event["message"] as? [String: Any]
        else { return self }
        for key in ["text", "ciphertext", "epoch", "senderDevice"] { message[key] = nil }
        message["mentions"] = [Any]()
        message["attachments"] = [Any]()
        message["hidden"] = true
        event["message"] = message
        frame["event"] = event
        guard let bytes = try? JSONSerialization.data(withJSONObject: frame, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return self }
        var hidden = EncodedEvent(
            conversationID: conversationID, seq: seq, bytes: Array(bytes), endsMembershipOf: endsMembershipOf,
            endsConversation: endsConversation)
        hidden.followsGap = followsGap
        return hidden
    }

    /// The payload's size in bytes (what outbound queue limits count).
    public var payloadCount: Int { frame.readableBytes - headerLength }

    /// The payload (the protocol v1 JSON frame), sharing the frame's storage.
    public var payload: ByteBuffer { frame.getSlice(at: frame.readerIndex + headerLength, length: payloadCount)! }

    /// The payload bytes, copied (for transports other than WebSocket, and tests).
    public var bytes: [UInt8] { frame.getBytes(at: frame.readerIndex + headerLength, length: payloadCount) ?? [] }
}

/// Server-to-client WebSocket text frames (RFC 6455 §5.2): FIN set, opcode 1, no mask.
public enum WebSocketTextFrame {
    /// The header length for a payload of `count` bytes: 2, 4 (16-bit length) or 10 (64-bit).
    public static func headerLength(payloadCount count: Int) -> Int {
        count < 126 ? 2 : count <= 0xFFFF ? 4 : 10
    }

    /// One buffer holding the header and `payload`, and the header's length.
    public static func make(payload: some Collection<UInt8>) -> (ByteBuffer, Int) {
        let count = payload.count
        let header = headerLength(payloadCount: count)
        var buffer = ByteBufferAllocator().buffer(capacity: header + count)
        writeHeader(payloadCount: count, opcode: 0x1, into: &buffer)
        buffer.writeBytes(payload)
        return (buffer, header)
    }

    /// Writes a final frame's header (`opcode` 0x1 text, 0x2 binary, 0x0 continuation;
    /// `fin` false for every fragment but the last).
    public static func writeHeader(payloadCount count: Int, opcode: UInt8, fin: Bool = true, into buffer: inout ByteBuffer) {
        buffer.writeInteger((fin ? 0x80 : 0) | (opcode & 0x0F), as: UInt8.self)
        if count < 126 {
            buffer.writeInteger(UInt8(count))
        } else if count <= 0xFFFF {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(count))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(count))
        }
    }
}

/// The JSON frame of an event in protocol v1: `{"event":{…},"type":"event"}` with the
/// event in its documented wire shape (``WireEvent``; Documentation/Protocol.md §4), sorted
/// keys and unescaped slashes like every other server frame.
enum EventFrameEncoder {
    private struct Frame: Encodable {
        let type = "event"
        let event: WireEvent
    }

    static func encode(_ event: ConversationEvent) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(Frame(event: WireEvent(event))))
    }
}
