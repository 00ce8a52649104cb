import Foundation
import MessagingCore

/// A conversation event encoded once; every recipient shares the same bytes.
///
/// Copying an `EncodedEvent` copies a reference to the byte buffer (a retain), never the
/// bytes, so handing one event to 100,000 sessions allocates nothing per session.
///
/// Thread safety: a value type over immutable storage; safe to share across tasks.
public struct EncodedEvent: Sendable {
    /// The conversation.
    public let conversationID: ConversationID
    /// The event's `seq` in its conversation.
    public let seq: Int64
    /// The encoded frame, shared by every recipient.
    public let bytes: [UInt8]
    /// `true` when the hub skipped missing `seq`s before this event (their publisher never
    /// published them); a session receiving such an event is closed with
    /// ``CloseReason/resync`` so its client fills the gap from the store.
    public internal(set) var followsGap: Bool = false
    /// The user whose membership this event ends (`member.left`, whether they left or were
    /// removed), or `nil`. The hub delivers the event to that user's sessions (so they learn
    /// of it) and then drops them from the room: nothing later in the conversation reaches
    /// them.
    public let endsMembershipOf: UserID?

    /// Wraps bytes that already encode the event at `seq`; `endsMembershipOf` names the
    /// user whose membership the event ends (a `member.left` event), if any.
    public init(conversationID: ConversationID, seq: Int64, bytes: [UInt8], endsMembershipOf: UserID? = nil) {
        self.conversationID = conversationID
        self.seq = seq
        self.bytes = bytes
        self.endsMembershipOf = endsMembershipOf
    }

    /// Encodes `event` once as a JSON frame `{"type":"event","event":{…}}`.
    public init(_ event: ConversationEvent) throws {
        var leaving: UserID?
        if case .memberLeft(let userID, _) = event.payload { leaving = userID }
        self.init(
            conversationID: event.conversationID, seq: event.seq, bytes: try EventFrameEncoder.encode(event),
            endsMembershipOf: leaving)
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
