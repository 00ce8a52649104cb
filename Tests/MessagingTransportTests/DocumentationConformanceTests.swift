import Foundation
import MessagingCore
import MessagingDelivery
import MessagingPresence
@testable import MessagingTransport
@testable import MessagingWire
import Testing

/// Documentation/Protocol.md (and Presence.md) against the constants and the behaviour of
/// the gateway: each test reads the documented value from the page and checks that the
/// code enforces exactly that.
@Suite("Protocol.md agrees with the gateway")
struct DocumentationConformanceTests {
    @Test("requests: the types and fields Protocol.md §3 lists are exactly the codec's, required ones in bold")
    func requestTable() throws {
        let section = try DocumentationText("Protocol.md").section(3)
        var documented: [String: (required: Set<String>, optional: Set<String>)] = [:]
        // The request table: from its header to the first line that is not a row.
        let lines = section.components(separatedBy: "\n")
        let header = try #require(lines.firstIndex { $0.hasPrefix("| `type` | fields") }, "§3 has no request table")
        let rows = lines[(header + 2)...].prefix { $0.hasPrefix("|") }
        for line in rows {
            let cells = line.components(separatedBy: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4 else { continue }
            let type = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            // Fields are written `name` (optional) or **`name`** (required), before any "(" remark.
            let required = try DocumentationText.strings(#"\*\*`([A-Za-z]+)`\*\*"#, in: cells[2])
            let fields = cells[2].replacingOccurrences(of: #"\([^()]*\)"#, with: "", options: .regularExpression)
            let all = try DocumentationText.strings(#"`([A-Za-z]+)`"#, in: fields)
            documented[type] = (Set(required), Set(all).subtracting(required))
        }
        let schemas = FrameDecoder.schemas
        #expect(Set(documented.keys) == Set(schemas.keys), "request types: Protocol.md §3 vs the codec")
        for (type, schema) in schemas {
            guard let doc = documented[type] else { continue }
            #expect(doc.required == schema.required, "\(type): required fields")
            #expect(doc.optional == schema.optional, "\(type): optional fields")
        }
    }

    @Test("status text: Protocol.md §3/§6 and Presence.md name the limit the codec and the presence tracker enforce")
    func statusLength() async throws {
        let limit = StatusText.maximumCharacters
        #expect(ProtocolLimits().maxStatusCharacters == limit, "the codec's default must not accept what the tracker refuses")
        #expect(ProtocolLimits(maxStatusCharacters: 500).maxStatusCharacters == limit)
        let page = try DocumentationText("Protocol.md")
        let request = try DocumentationText.integers(#"`status` \(string of 1–(\d+) characters"#, in: page.section(3))
        let limits = try DocumentationText.integers(#"status ≤ (\d+) characters"#, in: page.section(6))
        #expect(request == [limit] && limits == [limit], "Protocol.md says \(request) and \(limits); the server \(limit)")
        let presence = try DocumentationText("Presence.md")
        #expect(try DocumentationText.integers(#"\| status text \|[^|]*?1–(\d+) characters"#, in: presence.text) == [limit])

        try await Harness.with { h in
            let alice = try await h.user("alice")
            let client = try await h.connect(as: alice)
            // Counted after trimming, in characters (not bytes).
            let fits = try await client.request(["type": "presence", "status": "  " + String(repeating: "é", count: limit) + " "])
            #expect(fits["type"]?.string == "ok", "\(fits)")
            for length in [limit + 1, 140] {
                let over = try await client.request(["type": "presence", "status": String(repeating: "a", count: length)])
                #expect(over["code"]?.string == "invalid_input", "\(length): \(over)")
                #expect(over["message"]?.string?.contains("at most \(limit)") == true, "\(length): \(over)")
            }
        }
    }

    @Test("message size: the limits and the code Protocol.md §3 names are what a send answers")
    func messageSize() async throws {
        let page = try DocumentationText("Protocol.md")
        let notes = try page.section(3)
        let text = try DocumentationText.integers(#"Text: 1 byte to 16 KiB \(([0-9,]+) bytes\)"#, in: notes)
        let textCode = try DocumentationText.strings(#"a longer text is `([a-z_]+)`"#, in: notes)
        let ciphertext = try DocumentationText.integers(#"Ciphertext: 1 byte to 64 KiB \(([0-9,]+) bytes\) decoded"#, in: notes)
        let ciphertextCode = try DocumentationText.strings(#"a longer one is `([a-z_]+)`"#, in: notes)
        #expect(text == [MessagingLimits.default.maxBodyBytes] && ciphertext == [MessagingLimits.default.maxEncryptedBodyBytes])
        #expect(textCode.count == 1 && ciphertextCode.count == 1)
        // §7 defines the code: size rules of one value are invalid_input, limit_exceeded is accumulated state.
        let codes = try page.section(7)
        #expect(try DocumentationText.strings(#"\| `invalid_input` \| ([^|]*)\|"#, in: codes).first?.contains("text over 16 KiB") == true)

        try await Harness.with { h in
            let alice = try await h.user("alice")
            let room = try await h.group(alice, [])
            let client = try await h.connect(as: alice)
            let largest = try await client.request([
                "type": "send", "conversation": "\(room)", "clientMessageId": "fits",
                "text": String(repeating: "é", count: MessagingLimits.default.maxBodyBytes / 2),
            ])
            #expect(largest["type"]?.string == "ok", "\(largest)")
            let tooLong = try await client.request([
                "type": "send", "conversation": "\(room)", "clientMessageId": "too-long",
                "text": String(repeating: "é", count: MessagingLimits.default.maxBodyBytes / 2) + "a",
            ])
            #expect(tooLong["code"]?.string == textCode.first, "Protocol.md: \(textCode); the gateway: \(tooLong)")
            let tooBig = try await client.request([
                "type": "send", "conversation": "\(room)", "clientMessageId": "too-big",
                "ciphertext": Data(count: MessagingLimits.default.maxEncryptedBodyBytes + 1).base64EncodedString(),
            ])
            #expect(tooBig["code"]?.string == ciphertextCode.first, "Protocol.md: \(ciphertextCode); the gateway: \(tooBig)")
        }
    }

    @Test("a backlog longer than the outbound queue is streamed to a subscriber with after, never closed with 4410 (§5)")
    func longBacklogIsStreamed() async throws {
        let page = try DocumentationText("Protocol.md")
        let guarantees = try page.section(5)
        let queue = try DocumentationText.integers(#"outbound queue for live events \(default ([0-9,]+) events"#, in: guarantees)
        #expect(queue == [SessionQueueLimits().maxEvents], "§5 names the default queue: \(queue)")
        #expect(DocumentationText.flattened(guarantees).contains("A backlog longer than that queue is **not** a reason for 4410"))

        var configuration = GatewayConfiguration.testing
        configuration.outboundQueue = .init(maxEvents: 16, maxBytes: 1 << 20)
        try await Harness.with(configuration: configuration, transport: .init(bufferCapacity: 4)) { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let room = try await h.group(alice, [bob])
            for index in 0..<120 { try await h.sendDirect("backlog \(index)", to: room, by: alice) }
            let last = try #require(try await h.messaging.sync.events(in: room, after: 0, limit: 500, for: bob.id).events.last?.seq)
            #expect(last > 7 * 16, "the backlog is several queues long")

            let client = try await h.connect(as: bob)
            try await client.send(["type": "subscribe", "id": "s", "conversation": "\(room)", "after": 0])
            var seqs: [Int64] = []
            var answer: JSONValue?
            while seqs.last != last || answer == nil {
                let frame = try #require(try await client.next(), "closed after \(seqs.count) events: \(String(describing: client.connection.closeStatus))")
                if frame["type"]?.string == "event", let seq = frame["event"]?["seq"]?.int { seqs.append(seq) }
                if frame["id"]?.string == "s" { answer = frame }
            }
            #expect(seqs == Array(1...last), "gapless and in order")
            #expect(answer?["type"]?.string == "ok", "\(String(describing: answer))")
            #expect(client.connection.closeStatus == nil, "not closed: \(String(describing: client.connection.closeStatus))")
            // Still live afterwards.
            let next = try await h.sendDirect("live", to: room, by: alice)
            #expect(try await client.events(1).first?["seq"]?.int == next.seq)
        }
    }

    @Test("ids are UUIDv7: a version 4 id is refused and the message says UUIDv7 (Protocol.md §2)")
    func idsAreUUIDv7() async throws {
        let page = try DocumentationText("Protocol.md")
        #expect(DocumentationText.flattened(try page.section(2)).contains("UUID strings (UUIDv7"))
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let client = try await h.connect(as: alice)
            let v4 = UUID().uuidString.lowercased()
            let answer = try await client.request(["type": "subscribe", "conversation": v4, "after": 0])
            #expect(answer["code"]?.string == "bad_frame", "\(answer)")
            #expect(answer["message"]?.string?.contains("UUIDv7") == true, "\(answer)")
        }
    }

    /// One valid frame of every request type.
    static let sampleFrames: [String: String] = {
        let id = "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6a"
        return [
            "auth": #"{"type":"auth","id":"1","token":"t"}"#,
            "subscribe": #"{"type":"subscribe","id":"1","conversation":"\#(id)"}"#,
            "unsubscribe": #"{"type":"unsubscribe","id":"1","conversation":"\#(id)"}"#,
            "send": #"{"type":"send","id":"1","conversation":"\#(id)","clientMessageId":"c","text":"x"}"#,
            "edit": #"{"type":"edit","id":"1","message":"\#(id)","text":"x"}"#,
            "delete": #"{"type":"delete","id":"1","message":"\#(id)"}"#,
            "react": #"{"type":"react","id":"1","message":"\#(id)","emoji":"👍"}"#,
            "unreact": #"{"type":"unreact","id":"1","message":"\#(id)","emoji":"👍"}"#,
            "read": #"{"type":"read","id":"1","conversation":"\#(id)","seq":1}"#,
            "typing": #"{"type":"typing","conversation":"\#(id)","typing":true}"#,
            "presence": #"{"type":"presence"}"#,
            "watch": #"{"type":"watch","id":"1","users":["\#(id)"]}"#,
            "unwatch": #"{"type":"unwatch","id":"1","users":["\#(id)"]}"#,
            "history": #"{"type":"history","id":"1","conversation":"\#(id)"}"#,
            "replies": #"{"type":"replies","id":"1","conversation":"\#(id)","message":"\#(id)"}"#,
            "ack": #"{"type":"ack","conversation":"\#(id)","seq":1}"#,
            "device.publish": #"{"type":"device.publish","id":"1","bundle":"AAEC"}"#,
            "device.remove": #"{"type":"device.remove","id":"1","device":"\#(id)"}"#,
            "devices": #"{"type":"devices","id":"1","conversation":"\#(id)"}"#,
            "envelopes.upload": #"{"type":"envelopes.upload","id":"1","conversation":"\#(id)","epoch":1,"senderDevice":"\#(id)","envelopes":["AAEC"]}"#,
            "envelopes": #"{"type":"envelopes","id":"1","device":"\#(id)"}"#,
            "feed.subscribe": #"{"type":"feed.subscribe","id":"1"}"#,
            "feed.unsubscribe": #"{"type":"feed.unsubscribe","id":"1"}"#,
            "receipts": #"{"type":"receipts","id":"1","conversation":"\#(id)"}"#,
            "attachment.upload": #"{"type":"attachment.upload","id":"1","conversation":"\#(id)","fileName":"a.png","contentType":"image/png","size":1}"#,
            "attachment.download": #"{"type":"attachment.download","id":"1","attachment":"\#(id)"}"#,
            "ping": #"{"type":"ping"}"#,
            "pong": #"{"type":"pong"}"#,
        ]
    }()

    @Test("rate limits: §6's table puts every request type in the bucket the gateway charges it to, and only ack in none")
    func rateLimitTable() throws {
        let section = try DocumentationText("Protocol.md").section(6)
        let lines = section.components(separatedBy: "\n")
        let header = try #require(lines.firstIndex { $0.hasPrefix("| action | requests") }, "§6 has no rate-limit table")
        var documented: [String: String] = [:]
        for line in lines[(header + 2)...].prefix(while: { $0.hasPrefix("|") }) {
            let cells = line.components(separatedBy: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            for type in cells[2].components(separatedBy: ",") {
                documented[type.trimmingCharacters(in: .whitespaces)] = cells[1]
            }
        }
        #expect(Set(Self.sampleFrames.keys) == Set(FrameDecoder.requestTypes), "a sample frame per request type")
        let decoder = FrameDecoder()
        for (type, frame) in Self.sampleFrames.sorted(by: { $0.key < $1.key }) {
            let request = try decoder.decode(.text(frame))
            #expect(request.type == type)
            let action = Gateway<ContinuousClock>.action(of: request.body)?.rawValue
            #expect(documented[type] == action, "\(type): Protocol.md §6 says \(documented[type] ?? "no bucket"), the gateway \(action ?? "none")")
        }
        #expect(DocumentationText.flattened(section).contains("`ack` is in no bucket"))
    }

    @Test("attachments: §3's example frames decode, and its example answers are exactly what the encoder writes")
    func attachmentExamples() throws {
        let section = try DocumentationText("Protocol.md").section(3)
        let start = try #require(section.range(of: "### Attachments"), "§3 has no Attachments part")
        let part = section[start.upperBound...]
        let end = part.range(of: "\n### ")?.lowerBound ?? part.endIndex
        let lines = part[..<end].components(separatedBy: "\n")
        let requests = lines.filter { $0.hasPrefix(#"{"type":"#) }
        let answers = lines.filter { $0.hasPrefix(#"{"id":"#) }
        #expect(requests.count == 3 && answers.count == 2, "\(requests) \(answers)")
        let decoder = FrameDecoder()
        var types: [String] = []
        for line in requests { types.append(try decoder.decode(.text(line)).type) }
        #expect(types == ["attachment.upload", "send", "attachment.download"])

        struct Unreadable: Error { let what: String }
        func object(_ value: Any?) throws -> [String: Any] {
            guard let object = value as? [String: Any] else { throw Unreadable(what: "\(String(describing: value))") }
            return object
        }
        func string(_ json: [String: Any], _ key: String) throws -> String {
            guard let value = json[key] as? String else { throw Unreadable(what: key) }
            return value
        }
        func integer(_ json: [String: Any], _ key: String) throws -> Int64 {
            guard let value = (json[key] as? NSNumber)?.int64Value else { throw Unreadable(what: key) }
            return value
        }
        func url(_ json: [String: Any]) throws -> URL {
            guard let url = URL(string: try string(json, "url")) else { throw Unreadable(what: "url") }
            return url
        }
        func attachment(_ json: [String: Any], owner: UserID) throws -> MessagingCore.Attachment {
            guard let id = AttachmentID(try string(json, "id")) else { throw Unreadable(what: "id") }
            return MessagingCore.Attachment(
                id: id, ownerID: owner, conversationID: ConversationID(owner.description)!,
                objectKey: MessagingCore.Attachment.objectKey(for: id), fileName: try string(json, "fileName"),
                contentType: try string(json, "contentType"), byteCount: try integer(json, "size"),
                createdAt: Timestamp(millisecondsSince1970: try integer(json, "createdAt")),
                expiresAt: Timestamp(millisecondsSince1970: try integer(json, "expiresAt")),
                messageID: (json["messageId"] as? String).flatMap(MessageID.init))
        }
        let owner = UserID("0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6a")!
        for line in answers {
            let json = try object(try JSONSerialization.jsonObject(with: Data(line.utf8)))
            let result = try object(json["result"])
            let record = try attachment(try object(result["attachment"]), owner: owner)
            let frame: ServerFrame
            if let upload = result["upload"] as? [String: Any] {
                guard let headers = upload["headers"] as? [String: String] else { throw Unreadable(what: "headers") }
                let target = AttachmentTransferTarget(
                    method: try string(upload, "method"), url: try url(upload), headers: headers,
                    expiresAt: Timestamp(millisecondsSince1970: try integer(upload, "expiresAt")))
                frame = .ok(requestID: json["id"] as? String, result: .uploadSlot(AttachmentUploadSlot(attachment: record, upload: target)))
            } else {
                let target = AttachmentTransferTarget(
                    method: "GET", url: try url(result), expiresAt: Timestamp(millisecondsSince1970: try integer(result, "expiresAt")))
                frame = .ok(requestID: json["id"] as? String, result: .attachmentDownload(AttachmentDownload(attachment: record, target: target)))
            }
            #expect(String(decoding: frame.encoded(), as: UTF8.self) == line)
        }
    }
}
