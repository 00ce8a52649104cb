import Foundation
import MessagingCore
@testable import MessagingWire
import Testing

/// The client direction of protocol v1: every request `ClientRequest.encoded()` writes is
/// read back by the server's `FrameDecoder` into the same request, on both decoding paths.
@Suite("ClientRequest encoding: what a client writes, the server reads back unchanged")
struct ClientRequestEncodingTests {
    static let conversation = ConversationID("01a24d9c-d705-75c0-8719-91a974ba3e41")!
    static let message = MessageID("01a24d9c-d705-75c0-8719-91a974ba3e42")!
    static let user = UserID("01a24d9c-d705-75c0-8719-91a974ba3e43")!
    static let device = DeviceID("01a24d9c-d705-75c0-8719-91a974ba3e44")!
    static let attachment = AttachmentID("01a24d9c-d705-75c0-8719-91a974ba3e45")!

    /// One request of every body kind, several for the kinds with optional fields.
    static let samples: [ClientRequest.Body] = {
        let key = try! ClientMessageID("k-1")
        let heart = try! Emoji("❤️")
        return [
            .auth(token: "eyJ.a.b", device: nil, protocolVersion: nil),
            .auth(token: "eyJ.a.b", device: device, protocolVersion: 1),
            .subscribe(conversation, after: nil), .subscribe(conversation, after: 41),
            .unsubscribe(conversation),
            .send(.init(conversationID: conversation, clientMessageID: key, text: "héllo \"quoted\" / \\ \n", ciphertext: nil,
                replyTo: nil, threadRoot: nil, mentions: [])),
            .send(.init(conversationID: conversation, clientMessageID: key, text: "reply", ciphertext: nil,
                replyTo: message, threadRoot: message, mentions: [user], attachments: [attachment])),
            .send(.init(conversationID: conversation, clientMessageID: key, text: nil, ciphertext: Data([0, 1, 2, 250, 251]),
                replyTo: nil, threadRoot: nil, mentions: [], encryption: EncryptionHeader(epoch: 3, senderDeviceID: device))),
            .edit(message, text: "fixed", ciphertext: nil, mentions: nil),
            .edit(message, text: nil, ciphertext: Data([9, 8, 7]), mentions: [user]),
            .delete(message),
            .react(message, heart, conversation: nil), .react(message, heart, conversation: conversation),
            .unreact(message, heart, conversation: conversation),
            .read(conversation, seq: 0), .read(conversation, seq: Int64.max),
            .typing(conversation, isTyping: true), .typing(conversation, isTyping: false),
            .presence(.active, status: .keep), .presence(.idle, status: .clear), .presence(.active, status: .set("at lunch")),
            .watch([user]), .unwatch([user, user]),
            .history(conversation, HistoryRequest()),
            .history(conversation, HistoryRequest(direction: .forward, cursor: 17, limit: 3)),
            .replies(conversation, root: message, HistoryRequest(direction: .backward, cursor: 9, limit: 100)),
            .ack(conversation, seq: 42),
            .publishDevice(bundle: Data(repeating: 7, count: 70)),
            .removeDevice(device),
            .devices(conversation),
            .uploadEnvelopes(.init(conversationID: conversation, epoch: 2, senderDeviceID: device, envelopes: [Data([1, 2, 3]), Data([4])])),
            .envelopes(device: device, after: 0, limit: 100), .envelopes(device: device, after: 5, limit: 1),
            .feedSubscribe(after: nil), .feedSubscribe(after: 12),
            .feedUnsubscribe,
            .receipts(conversation, after: nil, limit: 200), .receipts(conversation, after: user, limit: 1),
            .attachmentUpload(conversation, AttachmentUploadRequest(fileName: "photo é.png", contentType: "image/png", byteCount: 1234)),
            .attachmentDownload(attachment),
            .ping, .pong,
        ]
    }()

    /// The request types `samples` covers, by wire name; the switch makes a new request kind
    /// a compile error here until it has a sample.
    static func covered(_ body: ClientRequest.Body) -> String {
        switch body {
        case .auth, .subscribe, .unsubscribe, .send, .edit, .delete, .react, .unreact, .read, .typing, .presence, .watch,
            .unwatch, .history, .replies, .ack, .publishDevice, .removeDevice, .devices, .uploadEnvelopes, .envelopes,
            .feedSubscribe, .feedUnsubscribe, .receipts, .attachmentUpload, .attachmentDownload, .ping, .pong:
            body.type
        }
    }

    @Test("every request type of protocol v1 has a sample")
    func everyTypeSampled() {
        #expect(Set(Self.samples.map(Self.covered)) == Set(FrameDecoder.requestTypes))
    }

    @Test("each request decodes back to itself, with and without an id, on the fast and the general path")
    func roundTrip() throws {
        let decoder = FrameDecoder()
        for body in Self.samples {
            for id in ["r1", nil] as [String?] {
                let request = ClientRequest(id: id, body: body)
                let bytes = request.encoded()
                for fast in [true, false] {
                    do throws(ProtocolError) {
                        let decoded = try decoder.decode(.text(bytes), fastPath: fast)
                        #expect(decoded == request, "\(String(decoding: bytes, as: UTF8.self))")
                    } catch {
                        // Only a request that must carry an id may be refused, and only without one.
                        let needsID = FrameDecoder.schemas[body.type]?.idRequired == true
                        #expect(id == nil && needsID && error.code == .missingField, "\(String(decoding: bytes, as: UTF8.self)): \(error)")
                    }
                }
            }
        }
    }

    @Test("the bytes are compact JSON with sorted keys, as Protocol.md writes frames")
    func canonicalForm() {
        let ack = ClientRequest(id: nil, body: .ack(Self.conversation, seq: 42))
        #expect(String(decoding: ack.encoded(), as: UTF8.self) == #"{"conversation":"\#(Self.conversation)","seq":42,"type":"ack"}"#)
        let typing = ClientRequest(id: "t", body: .presence(.idle, status: .clear))
        #expect(String(decoding: typing.encoded(), as: UTF8.self) == #"{"activity":"idle","id":"t","status":null,"type":"presence"}"#)
        #expect(ack.transportFrame == .text(ack.encoded()))
    }
}
