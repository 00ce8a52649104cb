import Foundation
import MessagingCore
import MessagingPresence

/// Validates and decodes inbound frames of protocol v1: size, UTF-8, nesting depth, JSON
/// shape, the request type, unknown and missing fields, and each field's type and value.
///
/// Every rejection is a ``ProtocolError`` with a stable ``WireErrorCode``; no input traps.
/// Error messages name the offending field but never echo frame content.
///
/// Thread safety: immutable; safe to share across tasks.
public struct FrameDecoder: Sendable {
    /// The limits enforced.
    public let limits: ProtocolLimits
    /// The message limits checked while decoding (history page size; the gateway checks
    /// drafts against the same values).
    public let messagingLimits: MessagingLimits

    /// Makes a decoder.
    public init(limits: ProtocolLimits = .init(), messagingLimits: MessagingLimits = .default) {
        self.limits = limits
        self.messagingLimits = messagingLimits
    }

    struct Schema {
        let required: Set<String>
        let optional: Set<String>
        let idRequired: Bool
    }

    static let schemas: [String: Schema] = [
        "auth": Schema(required: ["token"], optional: ["device", "protocol"], idRequired: true),
        "subscribe": Schema(required: ["conversation"], optional: ["after"], idRequired: true),
        "unsubscribe": Schema(required: ["conversation"], optional: [], idRequired: true),
        "send": Schema(
            required: ["conversation", "clientMessageId"],
            optional: ["text", "ciphertext", "replyTo", "threadRoot", "mentions", "epoch", "senderDevice", "attachments"],
            idRequired: true),
        "edit": Schema(required: ["message"], optional: ["text", "ciphertext", "mentions"], idRequired: true),
        "delete": Schema(required: ["message"], optional: [], idRequired: true),
        "react": Schema(required: ["message", "emoji"], optional: ["conversation"], idRequired: true),
        "unreact": Schema(required: ["message", "emoji"], optional: ["conversation"], idRequired: true),
        "read": Schema(required: ["conversation", "seq"], optional: [], idRequired: true),
        "typing": Schema(required: ["conversation", "typing"], optional: [], idRequired: false),
        "presence": Schema(required: [], optional: ["activity", "status"], idRequired: false),
        "watch": Schema(required: ["users"], optional: [], idRequired: true),
        "unwatch": Schema(required: ["users"], optional: [], idRequired: true),
        "history": Schema(required: ["conversation"], optional: ["direction", "cursor", "limit"], idRequired: true),
        "replies": Schema(required: ["conversation", "message"], optional: ["direction", "cursor", "limit"], idRequired: true),
        "ack": Schema(required: ["conversation", "seq"], optional: [], idRequired: false),
        "device.publish": Schema(required: ["bundle"], optional: [], idRequired: true),
        "device.remove": Schema(required: ["device"], optional: [], idRequired: true),
        "devices": Schema(required: ["conversation"], optional: [], idRequired: true),
        "envelopes.upload": Schema(
            required: ["conversation", "epoch", "senderDevice", "envelopes"], optional: [], idRequired: true),
        "envelopes": Schema(required: ["device"], optional: ["after", "limit"], idRequired: true),
        "feed.subscribe": Schema(required: [], optional: ["after"], idRequired: true),
        "feed.unsubscribe": Schema(required: [], optional: [], idRequired: true),
        "receipts": Schema(required: ["conversation"], optional: ["after", "limit"], idRequired: true),
        "attachment.upload": Schema(required: ["conversation", "fileName", "contentType", "size"], optional: [], idRequired: true),
        "attachment.download": Schema(required: ["attachment"], optional: [], idRequired: true),
        "ping": Schema(required: [], optional: [], idRequired: false),
        "pong": Schema(required: [], optional: [], idRequired: false),
    ]

    /// The top-level object of any JSON text, with the depth, number and repeated-key rules.
    private func generalFields(_ bytes: [UInt8]) throws(ProtocolError) -> [String: JSONValue] {
        guard let scan = JSONScan.scan(bytes, depthLimit: limits.maxDepth) else {
            throw ProtocolError(.tooDeep, "JSON may nest at most \(limits.maxDepth) levels.")
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw ProtocolError(.badFrame, "The frame is not valid JSON.")
        }
        guard !scan.hasNonIntegerNumber else {
            throw ProtocolError(
                .badFrame, "Numbers in protocol v1 are integers written plainly: no fraction, exponent or -0 (1e2, 5.0 and -0 are refused).")
        }
        guard scan.members == value.memberCount else {
            throw ProtocolError(.badFrame, "A JSON object in the frame repeats a key; each key may appear once.")
        }
        guard case .object(let fields) = value else {
            throw ProtocolError(.badFrame, "A frame is a JSON object with a \"type\" field.")
        }
        return fields
    }

    /// The request types of protocol v1.
    public static var requestTypes: [String] { schemas.keys.sorted() }

    /// An `ack` without `id` in its plain form — `{"type":"ack","conversation":"…","seq":n}`,
    /// keys in any order, no whitespace, no escapes — read in one pass without building the
    /// field table; `nil` for anything else (decode it with ``decode(_:)``, which answers
    /// exactly as for any frame). Whatever this returns, ``decode(_:)`` returns too, as
    /// `.ack` with the same values.
    public func decodeAcknowledgement(_ bytes: [UInt8]) -> (conversation: ConversationID, seq: Int64)? {
        guard bytes.count <= limits.maxFrameBytes, bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else {
            return nil
        }
        var index = 1
        var sawType = false
        var conversation: ConversationID?
        var seq: Int64?
        let quote = UInt8(ascii: "\"")
        /// The bytes of a plain string (no escapes, printable ASCII) starting at `index`.
        func string() -> ArraySlice<UInt8>? {
            guard index < bytes.count, bytes[index] == quote else { return nil }
            let start = index + 1
            var end = start
            while end < bytes.count, bytes[end] != quote {
                guard (0x20...0x7E).contains(bytes[end]), bytes[end] != UInt8(ascii: "\\") else { return nil }
                end += 1
            }
            guard end < bytes.count else { return nil }
            index = end + 1
            return bytes[start..<end]
        }
        while true {
            guard let key = string(), index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            if key.elementsEqual("type".utf8) {
                guard !sawType, let value = string(), value.elementsEqual("ack".utf8) else { return nil }
                sawType = true
            } else if key.elementsEqual("conversation".utf8) {
                guard conversation == nil, let value = string(), value.count == 36,
                    let id = ConversationID(String(decoding: value, as: UTF8.self))
                else { return nil }
                conversation = id
            } else if key.elementsEqual("seq".utf8) {
                guard seq == nil else { return nil }
                let start = index
                var value: Int64 = 0
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                    // At most 18 digits: no overflow; a leading zero only as "0" (JSON).
                    guard index - start < 18 else { return nil }
                    value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
                    index += 1
                }
                guard index > start, bytes[start] != UInt8(ascii: "0") || index - start == 1 else { return nil }
                seq = value
            } else {
                return nil  // "id" or any other field: the general path
            }
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "}"), index == bytes.count - 1 else { return nil }
            break
        }
        guard sawType, let conversation, let seq else { return nil }
        return (conversation, seq)
    }

    /// Decodes one frame, or throws a ``ProtocolError``.
    public func decode(_ frame: TransportFrame) throws(ProtocolError) -> ClientRequest {
        try decode(frame, fastPath: true)
    }

    /// Decodes one frame; `fastPath: false` forces the general JSON path (tests compare
    /// the two).
    func decode(_ frame: TransportFrame, fastPath: Bool) throws(ProtocolError) -> ClientRequest {
        guard case .text(let bytes) = frame else {
            throw ProtocolError(.binaryFrame, "Protocol v1 uses text frames only; send JSON as a text frame.")
        }
        guard bytes.count <= limits.maxFrameBytes else {
            throw ProtocolError(.frameTooBig, "A frame holds at most \(limits.maxFrameBytes) bytes.")
        }
        guard (try? UTF8Span(validating: bytes.span)) != nil else {
            throw ProtocolError(.invalidUTF8, "A text frame must be valid UTF-8.")
        }
        let fields: [String: JSONValue]
        if fastPath, limits.maxDepth >= 1, let flat = FlatJSON.object(bytes) {
            fields = flat
        } else {
            fields = try generalFields(bytes)
        }
        var requestID: String?
        if let idValue = fields["id"] {
            guard case .string(let id) = idValue, (1...limits.maxRequestIDLength).contains(id.utf8.count),
                id.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
            else {
                throw ProtocolError(
                    .badFrame, "\"id\" is a string of 1–\(limits.maxRequestIDLength) printable ASCII characters.")
            }
            requestID = id
        }
        guard let typeValue = fields["type"] else {
            throw ProtocolError(.missingField, "Every frame needs a \"type\".", requestID: requestID)
        }
        guard case .string(let type) = typeValue else {
            throw ProtocolError(.badFrame, "\"type\" is a string.", requestID: requestID)
        }
        guard let schema = Self.schemas[type] else {
            throw ProtocolError(
                .unknownType, "Unknown request type; protocol v1 defines \(Self.requestTypes.joined(separator: ", ")).",
                requestID: requestID)
        }
        // Sorted, so that a frame with several unknown fields always names the same one.
        for key in fields.keys.sorted() where key != "type" && key != "id" && !schema.required.contains(key) && !schema.optional.contains(key) {
            throw ProtocolError(.unknownField, "\"\(type)\" has no field \"\(Self.shown(key))\".", requestID: requestID)
        }
        for key in schema.required.sorted() where fields[key] == nil {
            throw ProtocolError(.missingField, "\"\(type)\" needs the field \"\(key)\".", requestID: requestID)
        }
        if schema.idRequired, requestID == nil {
            throw ProtocolError(.missingField, "\"\(type)\" needs an \"id\" to correlate its answer.")
        }
        let reader = FieldReader(fields: fields, type: type, requestID: requestID, limits: messagingLimits)
        return ClientRequest(id: requestID, body: try body(of: type, reader))
    }

    private func body(of type: String, _ r: FieldReader) throws(ProtocolError) -> ClientRequest.Body {
        switch type {
        case "auth":
            let token = try r.string("token")
            guard !token.isEmpty, token.utf8.count <= 8192 else {
                throw r.error(.badFrame, "\"token\" is a non-empty string of at most 8,192 bytes.")
            }
            let version = try r.optionalInt("protocol")
            return .auth(token: token, device: try r.optionalID("device"), protocolVersion: version.map { Int($0) })
        case "subscribe":
            let after = try r.optionalInt("after")
            if let after, after < 0 { throw r.error(.invalidInput, "\"after\" is a seq, 0 or more.") }
            return .subscribe(try r.id("conversation"), after: after)
        case "unsubscribe":
            return .unsubscribe(try r.id("conversation"))
        case "send":
            let text = try r.optionalString("text")
            let ciphertext = try r.optionalBase64("ciphertext")
            guard (text == nil) != (ciphertext == nil) else {
                throw r.error(.badFrame, "\"send\" needs exactly one of \"text\" and \"ciphertext\".")
            }
            let clientMessageID: ClientMessageID
            do {
                clientMessageID = try ClientMessageID(try r.string("clientMessageId"))
            } catch let error as ProtocolError {
                throw error
            } catch {
                throw r.error(.invalidInput, "\"clientMessageId\" is 1–64 printable ASCII characters.")
            }
            let epoch = try r.optionalInt("epoch")
            let senderDevice: DeviceID? = try r.optionalID("senderDevice")
            var encryption: EncryptionHeader?
            switch (epoch, senderDevice) {
            case (nil, nil): break
            case (let epoch?, let device?):
                guard ciphertext != nil else {
                    throw r.error(.badFrame, "\"epoch\" and \"senderDevice\" go with a \"ciphertext\", not with \"text\".")
                }
                guard epoch >= 1 else { throw r.error(.invalidInput, "\"epoch\" is 1 or more.") }
                encryption = EncryptionHeader(epoch: UInt64(epoch), senderDeviceID: device)
            default:
                throw r.error(.badFrame, "\"send\" needs both \"epoch\" and \"senderDevice\", or neither.")
            }
            return .send(ClientRequest.Send(
                conversationID: try r.id("conversation"), clientMessageID: clientMessageID, text: text,
                ciphertext: ciphertext, replyTo: try r.optionalID("replyTo"), threadRoot: try r.optionalID("threadRoot"),
                mentions: try r.optionalIDs("mentions") ?? [], encryption: encryption,
                attachments: try r.optionalIDs("attachments") ?? []))
        case "edit":
            let text = try r.optionalString("text")
            let ciphertext = try r.optionalBase64("ciphertext")
            guard (text == nil) != (ciphertext == nil) else {
                throw r.error(.badFrame, "\"edit\" needs exactly one of \"text\" and \"ciphertext\".")
            }
            return .edit(try r.id("message"), text: text, ciphertext: ciphertext, mentions: try r.optionalIDs("mentions"))
        case "delete":
            return .delete(try r.id("message"))
        case "react", "unreact":
            let emoji: Emoji
            do {
                emoji = try Emoji(try r.string("emoji"))
            } catch let error as ProtocolError {
                throw error
            } catch {
                throw r.error(.invalidInput, "\"emoji\" is one short emoji string.")
            }
            let message: MessageID = try r.id("message")
            let conversation: ConversationID? = try r.optionalID("conversation")
            return type == "react"
                ? .react(message, emoji, conversation: conversation) : .unreact(message, emoji, conversation: conversation)
        case "read":
            let seq = try r.int("seq")
            guard seq >= 0 else { throw r.error(.invalidInput, "\"seq\" is 0 or more.") }
            return .read(try r.id("conversation"), seq: seq)
        case "typing":
            return .typing(try r.id("conversation"), isTyping: try r.bool("typing"))
        case "presence":
            let activity: DeviceActivity
            switch try r.optionalString("activity") {
            case .none, .some("active"): activity = .active
            case .some("idle"): activity = .idle
            default: throw r.error(.badFrame, "\"activity\" is \"active\" or \"idle\".")
            }
            let status: ClientRequest.StatusUpdate
            switch r.fields["status"] {
            case .none: status = .keep
            case .some(.null): status = .clear
            case .some(.string(let text)):
                // The presence tracker's own rules (StatusText), so both layers agree.
                do {
                    status = .set(try StatusText(text, maximumCharacters: limits.maxStatusCharacters).rawValue)
                } catch {
                    throw r.error(.invalidInput, error.message)
                }
            default: throw r.error(.badFrame, "\"status\" is a string or null.")
            }
            return .presence(activity, status: status)
        case "watch", "unwatch":
            let users: [UserID] = try r.optionalIDs("users") ?? []
            guard !users.isEmpty else { throw r.error(.invalidInput, "\"users\" names at least one user.") }
            return type == "watch" ? .watch(users) : .unwatch(users)
        case "history", "replies":
            var request = HistoryRequest()
            switch try r.optionalString("direction") {
            case .none, .some("backward"): request.direction = .backward
            case .some("forward"): request.direction = .forward
            default: throw r.error(.badFrame, "\"direction\" is \"backward\" or \"forward\".")
            }
            request.cursor = try r.optionalInt("cursor")
            if let limit = try r.optionalInt("limit") {
                guard (1...Int64(messagingLimits.maxHistoryPage)).contains(limit) else {
                    throw r.error(.invalidInput, "\"limit\" is 1–\(messagingLimits.maxHistoryPage).")
                }
                request.limit = Int(limit)
            }
            if type == "replies" { return .replies(try r.id("conversation"), root: try r.id("message"), request) }
            return .history(try r.id("conversation"), request)
        case "ack":
            let seq = try r.int("seq")
            guard seq >= 0 else { throw r.error(.invalidInput, "\"seq\" is 0 or more.") }
            return .ack(try r.id("conversation"), seq: seq)
        case "device.publish":
            return .publishDevice(bundle: try r.e2eeObject("bundle"))
        case "device.remove":
            return .removeDevice(try r.id("device"))
        case "devices":
            return .devices(try r.id("conversation"))
        case "envelopes.upload":
            let epoch = try r.int("epoch")
            guard epoch >= 1 else { throw r.error(.invalidInput, "\"epoch\" is 1 or more.") }
            guard case .array(let items) = r.fields["envelopes"], (1...DeviceService.maxEnvelopesPerUpload).contains(items.count)
            else {
                throw r.error(.badFrame, "\"envelopes\" is an array of 1–\(DeviceService.maxEnvelopesPerUpload) envelopes (text form).")
            }
            var envelopes: [Data] = []
            for item in items {
                guard case .string(let text) = item, let data = E2EEText.decode(text) else {
                    throw r.error(.badFrame, "\"envelopes\" holds envelopes in the E2EE text form (base64url without padding).")
                }
                envelopes.append(data)
            }
            return .uploadEnvelopes(ClientRequest.EnvelopeUpload(
                conversationID: try r.id("conversation"), epoch: UInt64(epoch), senderDeviceID: try r.id("senderDevice"),
                envelopes: envelopes))
        case "envelopes":
            let after = try r.optionalInt("after") ?? 0
            guard after >= 0 else { throw r.error(.invalidInput, "\"after\" is a seq, 0 or more.") }
            let limit = try r.optionalInt("limit") ?? 100
            guard (1...200).contains(limit) else { throw r.error(.invalidInput, "\"limit\" is 1–200.") }
            return .envelopes(device: try r.id("device"), after: after, limit: Int(limit))
        case "feed.subscribe":
            let after = try r.optionalInt("after")
            if let after, after < 0 { throw r.error(.invalidInput, "\"after\" is a feed seq, 0 or more.") }
            return .feedSubscribe(after: after)
        case "feed.unsubscribe":
            return .feedUnsubscribe
        case "receipts":
            let limit = try r.optionalInt("limit") ?? 200
            guard (1...1000).contains(limit) else { throw r.error(.invalidInput, "\"limit\" is 1–1000.") }
            return .receipts(try r.id("conversation"), after: try r.optionalID("after"), limit: Int(limit))
        case "attachment.upload":
            // Bounds first, so nothing after this (the service, the signer) meets an absurd value.
            let fileName = try r.string("fileName")
            guard (1...AttachmentUploadRequest.maximumFileNameByteCount).contains(fileName.utf8.count) else {
                throw r.error(
                    .invalidInput, "\"fileName\" is 1 to \(AttachmentUploadRequest.maximumFileNameByteCount) bytes of UTF-8.")
            }
            let contentType = try r.string("contentType")
            guard (1...127).contains(contentType.utf8.count) else {
                throw r.error(.invalidInput, "\"contentType\" is a media type of 1 to 127 bytes, such as \"image/png\".")
            }
            let size = try r.int("size")
            guard (0...AttachmentUploadRequest.maximumByteCount).contains(size) else {
                throw r.error(
                    .invalidInput, "\"size\" is the file's exact size in bytes, 0 to \(AttachmentUploadRequest.maximumByteCount).")
            }
            return .attachmentUpload(
                try r.id("conversation"), AttachmentUploadRequest(fileName: fileName, contentType: contentType, byteCount: size))
        case "attachment.download":
            return .attachmentDownload(try r.id("attachment"))
        case "ping":
            return .ping
        default:
            return .pong
        }
    }

    /// A field name fit for an error message: at most 32 printable ASCII characters.
    static func shown(_ key: String) -> String {
        var shown = ""
        for scalar in key.unicodeScalars where scalar.value >= 0x20 && scalar.value < 0x7F && scalar != "\"" && scalar != "\\" {
            shown.unicodeScalars.append(scalar)
            if shown.unicodeScalars.count >= 32 { break }
        }
        return shown
    }
}

/// Typed access to a frame's fields, throwing `bad_frame` for a wrong JSON type.
private struct FieldReader {
    let fields: [String: JSONValue]
    let type: String
    let requestID: String?
    let limits: MessagingLimits

    func error(_ code: WireErrorCode, _ message: String) -> ProtocolError {
        ProtocolError(code, message, requestID: requestID)
    }

    private func wrongType(_ key: String, _ expected: String) -> ProtocolError {
        error(.badFrame, "\"\(type).\(key)\" must be \(expected).")
    }

    func string(_ key: String) throws(ProtocolError) -> String {
        guard case .string(let value) = fields[key] else { throw wrongType(key, "a string") }
        return value
    }

    func optionalString(_ key: String) throws(ProtocolError) -> String? {
        guard let value = fields[key] else { return nil }
        guard case .string(let string) = value else { throw wrongType(key, "a string") }
        return string
    }

    func int(_ key: String) throws(ProtocolError) -> Int64 {
        guard case .integer(let value) = fields[key] else { throw wrongType(key, "an integer") }
        return value
    }

    func optionalInt(_ key: String) throws(ProtocolError) -> Int64? {
        guard let value = fields[key] else { return nil }
        guard case .integer(let int) = value else { throw wrongType(key, "an integer") }
        return int
    }

    func bool(_ key: String) throws(ProtocolError) -> Bool {
        guard case .bool(let value) = fields[key] else { throw wrongType(key, "a boolean") }
        return value
    }

    func id<Kind>(_ key: String) throws(ProtocolError) -> Identifier<Kind> {
        guard case .string(let value) = fields[key], let id = Identifier<Kind>(value) else {
            throw wrongType(key, "an id (a UUIDv7 string, RFC 9562 version 7)")
        }
        return id
    }

    func optionalID<Kind>(_ key: String) throws(ProtocolError) -> Identifier<Kind>? {
        guard fields[key] != nil else { return nil }
        return try id(key)
    }

    func optionalIDs<Kind>(_ key: String) throws(ProtocolError) -> [Identifier<Kind>]? {
        guard let value = fields[key] else { return nil }
        guard case .array(let items) = value, items.count <= limits.maxMentions else {
            throw wrongType(key, "an array of at most \(limits.maxMentions) ids")
        }
        var ids: [Identifier<Kind>] = []
        for item in items {
            guard case .string(let string) = item, let id = Identifier<Kind>(string) else {
                throw wrongType(key, "an array of ids (UUID strings)")
            }
            ids.append(id)
        }
        return ids
    }

    /// An end-to-end encryption object in its text form (base64url without padding).
    func e2eeObject(_ key: String) throws(ProtocolError) -> Data {
        guard let data = E2EEText.decode(try string(key)) else {
            throw wrongType(key, "an E2EE object in its text form (base64url without padding)")
        }
        return data
    }

    func optionalBase64(_ key: String) throws(ProtocolError) -> Data? {
        guard let string = try optionalString(key) else { return nil }
        guard let data = Data(base64Encoded: string) else { throw wrongType(key, "standard base64") }
        return data
    }
}
