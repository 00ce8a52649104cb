import Foundation
import MessagingCore

extension ClientRequest {
    /// The request as a JSON object (see ``encoded()``): ``Body/fields`` and the `id`.
    public var json: JSONValue {
        var fields = body.fields
        if let id { fields["id"] = .string(id) }
        return .object(fields)
    }

    /// The request as protocol v1 writes it (Protocol.md §3), compact UTF-8 JSON with sorted
    /// keys: the bytes of a text frame, which ``FrameDecoder/decode(_:)`` reads back into an
    /// equal request.
    ///
    /// What a client sends, built from the same model the server decodes, so a client (or a
    /// test) never spells a field name. Defaults are written out (`history`'s `direction` and
    /// `limit`, `envelopes`' `after` and `limit`, `receipts`' `limit`, `presence`'s
    /// `activity`), so the frame means the same to a server with other defaults. Two things
    /// have no wire form and are not sent: `HistoryRequest.includesSummaries` (the server
    /// always includes them) and an empty `mentions` or `attachments` list of a `send` (the
    /// same as none).
    public func encoded() -> [UInt8] {
        Array(json.text.utf8)
    }

    /// The request as a text frame.
    public var transportFrame: TransportFrame { .text(encoded()) }
}

extension ClientRequest.Body {
    /// The request's frame without an `id`: `type` and the request's own fields, as
    /// ``ClientRequest/encoded()`` writes them. A client that adds its own correlation id
    /// (`MessagingClient`'s `ProtocolConnection`) sends these.
    public var fields: [String: JSONValue] {
        var fields = ownFields
        fields["type"] = .string(type)
        return fields
    }

    /// The fields of the request besides `type` and `id`.
    private var ownFields: [String: JSONValue] {
        switch self {
        case .auth(let token, let device, let version):
            var fields: [String: JSONValue] = ["token": .string(token)]
            if let device { fields["device"] = .id(device) }
            if let version { fields["protocol"] = .integer(Int64(version)) }
            return fields
        case .subscribe(let conversation, let after):
            var fields: [String: JSONValue] = ["conversation": .id(conversation)]
            if let after { fields["after"] = .integer(after) }
            return fields
        case .unsubscribe(let conversation):
            return ["conversation": .id(conversation)]
        case .send(let send):
            var fields: [String: JSONValue] = [
                "conversation": .id(send.conversationID), "clientMessageId": .string(send.clientMessageID.rawValue),
            ]
            if let text = send.text { fields["text"] = .string(text) }
            if let ciphertext = send.ciphertext { fields["ciphertext"] = .string(ciphertext.base64EncodedString()) }
            if let replyTo = send.replyTo { fields["replyTo"] = .id(replyTo) }
            if let threadRoot = send.threadRoot { fields["threadRoot"] = .id(threadRoot) }
            if !send.mentions.isEmpty { fields["mentions"] = .ids(send.mentions) }
            if let encryption = send.encryption {
                fields["epoch"] = .integer(Int64(clamping: encryption.epoch))
                fields["senderDevice"] = .id(encryption.senderDeviceID)
            }
            if !send.attachments.isEmpty { fields["attachments"] = .ids(send.attachments) }
            return fields
        case .edit(let message, let text, let ciphertext, let mentions):
            var fields: [String: JSONValue] = ["message": .id(message)]
            if let text { fields["text"] = .string(text) }
            if let ciphertext { fields["ciphertext"] = .string(ciphertext.base64EncodedString()) }
            if let mentions { fields["mentions"] = .ids(mentions) }
            return fields
        case .delete(let message):
            return ["message": .id(message)]
        case .react(let message, let emoji, let conversation), .unreact(let message, let emoji, let conversation):
            var fields: [String: JSONValue] = ["message": .id(message), "emoji": .string(emoji.rawValue)]
            if let conversation { fields["conversation"] = .id(conversation) }
            return fields
        case .read(let conversation, let seq), .ack(let conversation, let seq):
            return ["conversation": .id(conversation), "seq": .integer(seq)]
        case .typing(let conversation, let isTyping):
            return ["conversation": .id(conversation), "typing": .bool(isTyping)]
        case .presence(let activity, let status):
            var fields: [String: JSONValue] = ["activity": .string(activity.rawValue)]
            switch status {
            case .keep: break
            case .clear: fields["status"] = .null
            case .set(let text): fields["status"] = .string(text)
            }
            return fields
        case .watch(let users), .unwatch(let users):
            return ["users": .ids(users)]
        case .history(let conversation, let request):
            return Self.page(request).merging(["conversation": .id(conversation)]) { $1 }
        case .replies(let conversation, let root, let request):
            return Self.page(request).merging(["conversation": .id(conversation), "message": .id(root)]) { $1 }
        case .publishDevice(let bundle):
            return ["bundle": .string(E2EEText.encode(bundle))]
        case .removeDevice(let device):
            return ["device": .id(device)]
        case .devices(let conversation):
            return ["conversation": .id(conversation)]
        case .uploadEnvelopes(let upload):
            return [
                "conversation": .id(upload.conversationID), "epoch": .integer(Int64(clamping: upload.epoch)),
                "senderDevice": .id(upload.senderDeviceID), "envelopes": .array(upload.envelopes.map { .string(E2EEText.encode($0)) }),
            ]
        case .envelopes(let device, let after, let limit):
            return ["device": .id(device), "after": .integer(after), "limit": .integer(Int64(limit))]
        case .feedSubscribe(let after):
            return after.map { ["after": .integer($0)] } ?? [:]
        case .feedUnsubscribe, .ping, .pong:
            return [:]
        case .receipts(let conversation, let after, let limit):
            var fields: [String: JSONValue] = ["conversation": .id(conversation), "limit": .integer(Int64(limit))]
            if let after { fields["after"] = .id(after) }
            return fields
        case .attachmentUpload(let conversation, let request):
            return [
                "conversation": .id(conversation), "fileName": .string(request.fileName),
                "contentType": .string(request.contentType), "size": .integer(request.byteCount),
            ]
        case .attachmentDownload(let attachment):
            return ["attachment": .id(attachment)]
        }
    }

    private static func page(_ request: HistoryRequest) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "direction": .string(request.direction == .forward ? "forward" : "backward"), "limit": .integer(Int64(request.limit)),
        ]
        if let cursor = request.cursor { fields["cursor"] = .integer(cursor) }
        return fields
    }
}

extension JSONValue {
    fileprivate static func id<Kind>(_ id: Identifier<Kind>) -> JSONValue { .string("\(id)") }
    fileprivate static func ids<Kind>(_ ids: [Identifier<Kind>]) -> JSONValue { .array(ids.map { .string("\($0)") }) }
}
