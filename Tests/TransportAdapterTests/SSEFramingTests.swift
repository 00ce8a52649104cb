import Foundation
import MessagingCore
@testable import MessagingSSE
import Testing

@Suite("SSE framing: the parser, the encoder and the resume token")
struct SSEFramingTests {
    @Test("the parser joins data lines, keeps the id, skips comments, and accepts LF, CRLF and CR")
    func parserFields() throws {
        for newline in ["\n", "\r\n", "\r"] {
            var parser = SSEParser()
            let text = [": keepalive", "event: connection", "data: {\"a\":1}", "", "id: c:5", "data: one", "data:two", "", "retry: 10", "unknown: x", "data: three", "", ""]
                .joined(separator: newline)
            let messages = try parser.parse(Array(text.utf8))
            #expect(messages.map(\.event) == ["connection", "message", "message"])
            #expect(messages.map { String(decoding: $0.data, as: UTF8.self) } == ["{\"a\":1}", "one\ntwo", "three"])
            #expect(messages.map(\.lastEventID) == [nil, "c:5", "c:5"])
        }
    }

    @Test("byte-at-a-time input gives the same messages as one chunk")
    func parserChunking() throws {
        let text = Array("event: close\r\ndata: {\"code\":4410}\r\n\r\nid: x\ndata: é👋\n\n".utf8)
        var whole = SSEParser()
        let expected = try whole.parse(text)
        var split = SSEParser()
        var messages: [SSEParser.Message] = []
        for byte in text { messages += try split.parse([byte]) }
        #expect(messages == expected)
        #expect(expected.count == 2)
    }

    @Test("a line longer than the limit fails instead of growing without bound")
    func parserLineLimit() {
        var parser = SSEParser(maxLineBytes: 64)
        #expect(throws: SSEParser.LineTooLong.self) { try parser.parse(Array(repeating: UInt8(ascii: "x"), count: 65)) }
    }

    @Test("a frame with line breaks becomes several data lines and parses back (LF and CR as LF)")
    func encoderSplitsLines() throws {
        let frame = Array("{\"a\":\n1,\r\n\"b\":\r2}".utf8)
        var parser = SSEParser()
        let messages = try parser.parse(SSEEncoding.message(frame, id: "c:1"))
        #expect(messages.count == 1)
        #expect(String(decoding: messages[0].data, as: UTF8.self) == "{\"a\":\n1,\n\"b\":\n2}")
        #expect(messages[0].lastEventID == "c:1")
    }

    @Test("the close message escapes its reason as JSON")
    func closeEscapes() throws {
        var parser = SSEParser()
        let reason = "quote \" backslash \\ newline \n tab \t done"
        let messages = try parser.parse(SSEEncoding.closing(.init(code: .resyncRequired, reason: reason)))
        #expect(messages.count == 1 && messages[0].event == "close")
        let object = try JSONSerialization.jsonObject(with: Data(messages[0].data)) as? [String: Any]
        #expect(object?["code"] as? Int == 4410)
        #expect(object?["reason"] as? String == reason)
    }

    @Test("resume tokens round-trip and keep the most recent conversations")
    func resumeTokens() throws {
        let a = ConversationID(UUIDv7Generator().next()), b = ConversationID(UUIDv7Generator().next()), c = ConversationID(UUIDv7Generator().next())
        var positions = ResumePositions(capacity: 2)
        positions.record(a, 5)
        positions.record(b, 7)
        positions.record(a, 9)
        #expect(positions.token == "\(b):7,\(a):9")
        positions.record(c, 1)
        #expect(positions.token == "\(a):9,\(c):1")
        let parsed = try #require(ResumePositions(token: positions.token, capacity: 2))
        #expect(parsed == positions)
    }

    @Test("hostile Last-Event-ID values are refused, never trapped on", arguments: [
        "not-a-uuid:1", "{c}:-1", "{c}:+1", "{c}:99999999999999999999", "{c}:9223372036854775808", "{c}", "{c}:1:2",
        "{c}:1,{c}:2,{c}:3", "{c}: 1", ":5",
    ])
    func hostileResumeTokens(_ template: String) {
        let token = template.replacingOccurrences(of: "{c}", with: "\(ConversationID(UUIDv7Generator().next()))")
        #expect(ResumePositions(token: token, capacity: 2) == nil)
    }

    @Test("the largest seq is accepted")
    func largestSeq() throws {
        let a = ConversationID(UUIDv7Generator().next())
        let parsed = try #require(ResumePositions(token: "\(a):\(Int64.max)", capacity: 2))
        #expect(parsed.entries.first?.seq == Int64.max)
    }
}
