import Foundation
import MessagingCore
@testable import MessagingTransport
@testable import MessagingWire
import Testing

@Suite("Frame validation (codec)")
struct FrameDecoderTests {
    let decoder = FrameDecoder(limits: ProtocolLimits(maxFrameBytes: 4096, maxDepth: 8))
    let conversation = "0193a6c0-0000-7000-8000-000000000001"

    func code(_ frame: TransportFrame) -> WireErrorCode? {
        do {
            _ = try decoder.decode(frame)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("every malformed frame gets its typed code", arguments: [
        (#"{"type":"ping""#, "bad_frame"),
        (#"[1,2]"#, "bad_frame"),
        (#""ping""#, "bad_frame"),
        (#"{"id":"1"}"#, "missing_field"),
        (#"{"type":7}"#, "bad_frame"),
        (#"{"type":"launch","id":"1"}"#, "unknown_type"),
        (#"{"type":"ping","extra":1}"#, "unknown_field"),
        (#"{"type":"subscribe","id":"1"}"#, "missing_field"),
        (#"{"type":"subscribe","conversation":"x"}"#, "missing_field"),
        (#"{"type":"subscribe","id":"1","conversation":"not-a-uuid"}"#, "bad_frame"),
        (#"{"type":"subscribe","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","after":-1}"#, "invalid_input"),
        (#"{"type":"subscribe","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","after":"3"}"#, "bad_frame"),
        (#"{"type":"subscribe","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","after":1.5}"#, "bad_frame"),
        (#"{"type":"typing","conversation":"0193a6c0-0000-7000-8000-000000000001","typing":1}"#, "bad_frame"),
        (#"{"type":"send","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","clientMessageId":"c"}"#, "bad_frame"),
        (#"{"type":"send","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","clientMessageId":"","text":"hi"}"#, "invalid_input"),
        (#"{"type":"ping","id":""}"#, "bad_frame"),
        (#"{"type":"ping","id":5}"#, "bad_frame"),
        (#"{"type":"history","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","limit":0}"#, "invalid_input"),
        (#"{"type":"presence","activity":"asleep"}"#, "bad_frame"),
        (#"{"type":"auth","id":"1","token":""}"#, "bad_frame"),
        (#"{"a":[[[[[[[[[1]]]]]]]]]}"#, "too_deep"),
        (#"{"type":"device.publish","id":"1"}"#, "missing_field"),
        (#"{"type":"device.publish","id":"1","bundle":"AAAA="}"#, "bad_frame"),
        (#"{"type":"device.publish","id":"1","bundle":"AA+/"}"#, "bad_frame"),
        (#"{"type":"device.publish","id":"1","bundle":7}"#, "bad_frame"),
        (#"{"type":"device.remove","id":"1","device":"x"}"#, "bad_frame"),
        (#"{"type":"devices","conversation":"0193a6c0-0000-7000-8000-000000000001"}"#, "missing_field"),
        (#"{"type":"envelopes.upload","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","epoch":0,"senderDevice":"0193a6c0-0000-7000-8000-000000000001","envelopes":["AAAA"]}"#, "invalid_input"),
        (#"{"type":"envelopes.upload","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","epoch":1,"senderDevice":"0193a6c0-0000-7000-8000-000000000001","envelopes":[]}"#, "bad_frame"),
        (#"{"type":"envelopes.upload","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","epoch":1,"senderDevice":"0193a6c0-0000-7000-8000-000000000001","envelopes":"AAAA"}"#, "bad_frame"),
        (#"{"type":"envelopes.upload","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","epoch":1,"senderDevice":"0193a6c0-0000-7000-8000-000000000001","envelopes":[1]}"#, "bad_frame"),
        (#"{"type":"envelopes.upload","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","epoch":1,"envelopes":["AAAA"]}"#, "missing_field"),
        (#"{"type":"envelopes","id":"1","device":"0193a6c0-0000-7000-8000-000000000001","after":-1}"#, "invalid_input"),
        (#"{"type":"envelopes","id":"1","device":"0193a6c0-0000-7000-8000-000000000001","limit":201}"#, "invalid_input"),
        (#"{"type":"send","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","clientMessageId":"c","text":"hi","epoch":1,"senderDevice":"0193a6c0-0000-7000-8000-000000000001"}"#, "bad_frame"),
        (#"{"type":"send","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","clientMessageId":"c","ciphertext":"AAAA","senderDevice":"0193a6c0-0000-7000-8000-000000000001"}"#, "bad_frame"),
        (#"{"type":"send","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","clientMessageId":"c","ciphertext":"AAAA","epoch":0,"senderDevice":"0193a6c0-0000-7000-8000-000000000001"}"#, "invalid_input"),
        // Issue #13, item 13: only plain integers are seq values; repeated keys are refused.
        (#"{"type":"ack","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","seq":1e2}"#, "bad_frame"),
        (#"{"type":"ack","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","seq":-0}"#, "bad_frame"),
        (#"{"type":"ack","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","seq":5.0}"#, "bad_frame"),
        (#"{"type":"ack","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","seq":05}"#, "bad_frame"),
        (#"{"type":"read","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","seq":1E1}"#, "bad_frame"),
        (#"{"type":"ping","type":"ping"}"#, "bad_frame"),
        (#"{"type":"ping","t\u0079pe":"ping"}"#, "bad_frame"),
        (#"{"type":"ack","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","seq":1,"seq":2}"#, "bad_frame"),
    ])
    func rejects(_ text: String, _ expected: String) {
        #expect(code(.text(text))?.rawValue == expected, "\(text)")
    }

    @Test("valid requests decode")
    func accepts() throws {
        let send = try decoder.decode(.text(
            #"{"type":"send","id":"s1","conversation":"\#(conversation)","clientMessageId":"c-1","text":"hi \"there\" {"}"#))
        guard case .send(let fields) = send.body else { Issue.record("not a send"); return }
        #expect(fields.text == "hi \"there\" {")
        #expect(send.id == "s1")
        let ack = try decoder.decode(.text(#"{"type":"ack","conversation":"\#(conversation)","seq":4}"#))
        #expect(ack.id == nil)
        let presence = try decoder.decode(.text(#"{"type":"presence","status":null}"#))
        #expect(presence.body == .presence(.active, status: .clear))
        let sealed = try decoder.decode(.text(
            #"{"type":"send","id":"s2","conversation":"\#(conversation)","clientMessageId":"c-2","ciphertext":"AAEC","epoch":3,"senderDevice":"\#(conversation)"}"#))
        guard case .send(let encrypted) = sealed.body else { Issue.record("not a send"); return }
        #expect(encrypted.ciphertext == Data([0, 1, 2]) && encrypted.encryption?.epoch == 3)
        let upload = try decoder.decode(.text(
            #"{"type":"envelopes.upload","id":"u","conversation":"\#(conversation)","epoch":2,"senderDevice":"\#(conversation)","envelopes":["AAEC","_-8"]}"#))
        guard case .uploadEnvelopes(let envelopes) = upload.body else { Issue.record("not an upload"); return }
        #expect(envelopes.envelopes == [Data([0, 1, 2]), Data([0xFF, 0xEF])] && envelopes.epoch == 2)
        let inbox = try decoder.decode(.text(#"{"type":"envelopes","id":"e","device":"\#(conversation)"}"#))
        guard case .envelopes(_, let after, let limit) = inbox.body else { Issue.record("not an envelopes request"); return }
        #expect(after == 0 && limit == 100)
    }

    @Test("size, UTF-8 and binary frames")
    func sizeAndEncoding() {
        let big = #"{"type":"ping","pad":""# + String(repeating: "a", count: 5000) + #""}"#
        #expect(code(.text(big)) == .frameTooBig)
        #expect(code(.text([0x7B, 0x22, 0xC3, 0x28, 0x22, 0x7D])) == .invalidUTF8)
        #expect(code(.text([0xFF, 0xFE])) == .invalidUTF8)
        #expect(code(.binary(Array(#"{"type":"ping"}"#.utf8))) == .binaryFrame)
        // Brackets inside strings do not count towards the depth.
        #expect(code(.text(#"{"type":"ping","id":"[[[[[[[[[["}"#)) == nil)
        let deep = String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)
        #expect(FrameDecoder().decode(deepFrame: deep) == .tooDeep)
    }

    @Test("random and mutated inputs never trap")
    func fuzz() {
        var generator = SystemRandomNumberGenerator()
        let seeds = [
            #"{"type":"send","id":"1","conversation":"\#(conversation)","clientMessageId":"c","text":"x"}"#,
            #"{"type":"history","id":"1","conversation":"\#(conversation)","direction":"forward","cursor":3,"limit":5}"#,
            #"{"type":"presence","activity":"idle","status":"away"}"#,
        ]
        for round in 0..<3000 {
            var bytes: [UInt8]
            if round % 3 == 0 {
                bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            } else {
                bytes = Array(seeds[round % seeds.count].utf8)
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let index = Int.random(in: 0..<bytes.count, using: &generator)
                    bytes[index] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            _ = code(.text(bytes))
        }
    }

    @Test("plain integers and number-looking text inside strings still decode")
    func plainIntegersDecode() throws {
        let ack = try decoder.decode(.text(Array(#"{"type":"ack","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","seq":0}"#.utf8)))
        #expect(ack.body == .ack(ConversationID(conversation)!, seq: 0))
        let negative = code(.text(#"{"type":"ack","id":"1","conversation":"0193a6c0-0000-7000-8000-000000000001","seq":-7}"#))
        #expect(negative?.rawValue == "invalid_input")
        let status = #"{"type":"presence","status":"1e2 -0 5.0 {\"type\":1}"}"#
        #expect(code(.text(status)) == nil)
    }
}

extension FrameDecoder {
    func decode(deepFrame: String) -> WireErrorCode? {
        do {
            _ = try decode(.text(deepFrame))
            return nil
        } catch {
            return error.code
        }
    }
}
