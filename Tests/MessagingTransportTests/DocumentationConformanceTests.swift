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
}
