import Foundation
import MessagingCore
@testable import MessagingTransport
@testable import MessagingWire
import TestSupport
import Testing

/// A grammar-based fuzzer of protocol v1 (issue #13, item 5): members of a conversation send
/// random and mutated request frames (extreme integers, non-integer numbers, unknown and
/// duplicate fields, wrong types, random request orders, byte mutations) to the gateway on the
/// in-memory transport, while the hub's and the tracker's housekeeping run between rounds.
///
/// Invariants checked: the process lives; every frame a fuzzing session receives is a
/// documented server frame (Protocol.md §4) and every error code one of §7's table; no event
/// of a conversation the user is not a member of reaches them; and a bystander member who
/// only subscribed receives the conversation gapless and in order and is never closed.
@Suite("Protocol fuzzer: hostile frames from members")
struct ProtocolFuzzTests {
    /// The server frame types of Protocol.md §4's table, read from the document.
    static let frameTypes: Set<String> = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Documentation/Protocol.md")
        guard let text = try? String(contentsOf: url, encoding: .utf8),
            let start = text.range(of: "## 4. Server frames")?.upperBound,
            let end = text.range(of: "### Events", range: start..<text.endIndex)?.lowerBound
        else { return [] }
        var types: Set<String> = []
        for line in text[start..<end].split(separator: "\n") where line.hasPrefix("| `") {
            types.insert(String(line.dropFirst(3).prefix { $0 != "`" }))
        }
        return types
    }()

    /// The error codes of Protocol.md §7, read from the document.
    static func documentedErrorCodes() throws -> Set<String> {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Documentation/Protocol.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let section = try #require(text.range(of: "## 7. Error codes")).upperBound
        let end = try #require(text.range(of: "## 8.", range: section..<text.endIndex)).lowerBound
        var codes: Set<String> = []
        for line in text[section..<end].split(separator: "\n") where line.hasPrefix("| `") {
            let code = line.dropFirst(3).prefix { $0 != "`" }
            codes.insert(String(code))
        }
        return codes
    }

    @Test("random and mutated frames from three members: documented answers only, the bystander unaffected", arguments: [1, 2, 3, 4])
    func fuzz(seed: UInt64) async throws {
        let documentedCodes = try Self.documentedErrorCodes()
        #expect(documentedCodes.contains("invalid_input") && documentedCodes.count > 15)
        #expect(Self.frameTypes.isSuperset(of: ["ready", "ok", "error", "event", "typing", "presence", "ping", "pong", "feed", "receipt"]))
        try await Harness.with(media: FakeMedia()) { h in
            let alice = try await h.user("alice")
            let carol = try await h.user("carol")
            var fuzzers: [TestUser] = []
            for index in 0..<3 { fuzzers.append(try await h.user("mallory\(index)")) }
            let room = try await h.group(alice, [carol] + fuzzers)
            let other = try await h.group(alice, [carol])  // the fuzzers are not members
            var seqs: [Int64] = []
            for index in 0..<5 { seqs.append(try await h.sendDirect("seed \(index)", to: room, by: alice).seq) }
            let secret = try await h.sendDirect("not for mallory", to: other, by: alice)
            let bystander = try await h.connect(as: carol)
            #expect(try await bystander.request(.subscribe(room, after: 0))["type"]?.string == "ok")

            var generator = FrameGenerator(
                seed: seed, conversations: [room, other], messages: [secret.id.description],
                users: [alice.id, carol.id] + fuzzers.map(\.id))
            var clients: [TestClient] = []
            for fuzzer in fuzzers { clients.append(try await h.connect(as: fuzzer)) }
            var received = 0
            for round in 0..<25 {
                for (index, fuzzer) in fuzzers.enumerated() {
                    if clients[index].connection.closeStatus != nil { clients[index] = try await h.connect(as: fuzzer) }
                    let client = clients[index]
                    var sent: [String] = []
                    for _ in 0..<8 {
                        let frame = generator.frame()
                        sent.append(frame)
                        try? await client.sendRaw(.text(Array(frame.utf8)))
                    }
                    // A marker request; everything answered before it is checked.
                    let marker = "sync-\(round)-\(index)"
                    try? await client.send(["type": "ping", "id": marker])
                    try? await client.send(["type": "history", "id": marker, "conversation": "\(room)", "limit": 1])
                    while true {
                        let next: JSONValue?
                        do {
                            next = try await client.next(timeout: .seconds(5))
                        } catch {
                            Issue.record("no answer to the marker after: \(sent)")
                            throw error
                        }
                        guard let frame = next else { break }
                        received += 1
                        try Self.check(frame, documentedCodes: documentedCodes, forbidden: other)
                        if frame["id"]?.string == marker { break }
                    }
                    // The hub's and the tracker's housekeeping after every batch (two sweeps: a
                    // gap must stay open across two before the hub acts on it).
                    h.hub.sweep()
                    h.hub.sweep()
                    await h.acks.tick()
                }
            }
            #expect(received > 100)

            // The bystander: everything of the room, in order, no gap, still connected.
            let last = try await h.sendDirect("the end", to: room, by: alice).seq
            var expected: Int64 = 1
            while expected <= last {
                guard let frame = try await bystander.next(timeout: .seconds(5)) else {
                    Issue.record("the bystander was closed: \(String(describing: bystander.connection.closeStatus))")
                    return
                }
                guard frame["type"]?.string == "event", let seq = frame["event"]?["seq"]?.int else { continue }
                #expect(frame["event"]?["conversation"]?.string == "\(room)")
                if seq < expected { continue }  // at least once: a redelivery
                #expect(seq == expected, "the bystander saw seq \(seq) where \(expected) was due")
                expected = seq + 1
            }
            #expect(bystander.connection.closeStatus == nil)
            _ = try await bystander.roundTrip()
        }
    }

    static func check(_ frame: JSONValue, documentedCodes: Set<String>, forbidden: ConversationID) throws {
        let type = try #require(frame["type"]?.string, "a frame without a type: \(frame)")
        #expect(frameTypes.contains(type), "undocumented frame type \(type)")
        if type == "error" {
            let code = frame["code"]?.string ?? "<none>"
            #expect(documentedCodes.contains(code), "undocumented error code \(code): \(frame)")
            #expect(code != "internal", "an internal error: \(frame)")
        }
        if type == "event" {
            #expect(frame["event"]?["conversation"]?.string != "\(forbidden)", "an event of a conversation the user is not in")
        }
        if type == "ok", case .object(let result)? = frame["result"], case .array(let messages)? = result["messages"] {
            for message in messages {
                #expect(message["conversation"]?.string != "\(forbidden)", "history of a conversation the user is not in")
            }
        }
    }
}

/// Builds request frames as raw JSON text, so number literals (`1e2`, `-0`, 2^63) and
/// duplicate keys reach the decoder as a hostile client would send them.
struct FrameGenerator {
    private var random: SeededGenerator
    let conversations: [ConversationID]
    let messages: [String]
    let users: [UserID]

    init(seed: UInt64, conversations: [ConversationID], messages: [String], users: [UserID]) {
        random = SeededGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15)
        self.conversations = conversations
        self.messages = messages
        self.users = users
    }

    mutating func next() -> UInt64 { random.next() }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }

    static let fields: [String: [String]] = [
        "auth": ["token", "device", "protocol"],
        "subscribe": ["conversation", "after"],
        "unsubscribe": ["conversation"],
        "send": [
            "conversation", "clientMessageId", "text", "ciphertext", "epoch", "senderDevice", "replyTo", "threadRoot", "mentions",
            "attachments",
        ],
        "edit": ["message", "text", "ciphertext", "mentions"],
        "delete": ["message"],
        "react": ["message", "emoji", "conversation"],
        "unreact": ["message", "emoji", "conversation"],
        "read": ["conversation", "seq"],
        "typing": ["conversation", "typing"],
        "presence": ["activity", "status"],
        "watch": ["users"],
        "unwatch": ["users"],
        "history": ["conversation", "direction", "cursor", "limit"],
        "replies": ["conversation", "message", "direction", "cursor", "limit"],
        "ack": ["conversation", "seq"],
        "device.publish": ["bundle"],
        "device.remove": ["device"],
        "devices": ["conversation"],
        "envelopes.upload": ["conversation", "epoch", "senderDevice", "envelopes"],
        "envelopes": ["device", "after", "limit"],
        "feed.subscribe": ["after"],
        "feed.unsubscribe": [],
        "receipts": ["conversation", "after", "limit"],
        "attachment.upload": ["conversation", "fileName", "contentType", "size"],
        "attachment.download": ["attachment"],
        "ping": [],
        "pong": [],
    ]

    static let integers = [
        "0", "1", "2", "3", "5", "-1", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
        "18446744073709551615", "1e2", "-0", "1.5", "2e400", "-1e400", "0.0", "4294967296", "200", "201", "1000",
    ]

    mutating func value(for field: String) -> String {
        if chance(15) { return wildValue() }
        switch field {
        case "conversation": return quoted((chance(80) ? conversations[0] : pick(conversations)).description)
        case "after", "seq", "cursor", "limit", "epoch", "protocol", "size": return pick(Self.integers + ["104857601", "9007199254740991", "9007199254740992"])
        case "fileName": return quoted(pick(["a.png", "", "../../etc/passwd", "\\u202Egnp.exe", String(repeating: "é", count: 513), "%00;\\\""]))
        case "contentType": return quoted(pick(["image/png", "text/html", "", "nonsense", "IMAGE/PNG", String(repeating: "a", count: 200)]))
        case "attachment", "attachments":
            let id = quoted(chance(50) ? pick(messages) : UUID().uuidString.lowercased())
            return field == "attachment" ? id : "[" + id + "]"
        case "message", "replyTo", "threadRoot": return quoted(chance(50) ? pick(messages) : UUID().uuidString.lowercased())
        case "users", "mentions": return "[" + (0..<below(4)).map { _ in quoted(pick(users).description) }.joined(separator: ",") + "]"
        case "typing": return pick(["true", "false", "1", "null"])
        case "direction": return quoted(pick(["forward", "backward", "sideways", ""]))
        case "activity": return quoted(pick(["active", "idle", "away"]))
        case "emoji": return quoted(pick(["👍", "", "a", String(repeating: "😀", count: 40)]))
        case "text", "status": return quoted(pick(["hi", "", String(repeating: "x", count: 300), "line\nbreak", "\\u0000"]))
        default: return wildValue()
        }
    }

    mutating func wildValue() -> String {
        switch below(8) {
        case 0: pick(Self.integers)
        case 1: "null"
        case 2: pick(["true", "false"])
        case 3: quoted(pick(["", "x", UUID().uuidString, "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6a", "AAAA", "%%%"]))
        case 4: "[" + pick(["", "1", "\"a\"", "null", "[]"]) + "]"
        case 5: "{" + pick(["", "\"a\":1", "\"type\":\"ping\""]) + "}"
        case 6: quoted(pick(conversations).description)
        default: quoted(String(repeating: "A", count: below(600)))
        }
    }

    func quoted(_ text: String) -> String { "\"" + text + "\"" }

    /// One frame: usually a request of a known type with random fields; sometimes an
    /// unknown type, an unknown or duplicated field, or a byte-mutated frame.
    mutating func frame() -> String {
        // The requests that carry client numbers about the shared log come up more often.
        let types = Array(Self.fields.keys).sorted() + ["subscribe", "subscribe", "subscribe", "ack", "ack", "history", "read", "send"]
        let type = chance(5) ? pick(["fly", "", "SUBSCRIBE", "event"]) : pick(types)
        var members: [String] = ["\"type\":" + quoted(type)]
        if chance(85) { members.append("\"id\":" + quoted("f\(below(1000))")) }
        for field in Self.fields[type] ?? [] where chance(70) {
            members.append(quoted(field) + ":" + value(for: field))
            if chance(5) { members.append(quoted(field) + ":" + value(for: field)) }  // a duplicate key
        }
        if chance(5) { members.append("\"unexpected\":1") }
        members.shuffle(using: &self)
        var text = "{" + members.joined(separator: ",") + "}"
        if chance(10) {
            var bytes = Array(text.utf8)
            for _ in 0...below(3) where !bytes.isEmpty {
                switch below(3) {
                case 0: bytes[below(bytes.count)] ^= UInt8(1 << below(8))
                case 1: bytes.removeLast(below(bytes.count))
                default: bytes.insert(UInt8(below(256)), at: below(bytes.count))
                }
            }
            text = String(decoding: bytes, as: UTF8.self)
        }
        return text
    }
}

extension FrameGenerator: RandomNumberGenerator {}
