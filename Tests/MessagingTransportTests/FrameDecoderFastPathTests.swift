import Foundation
import MessagingCore
@testable import MessagingTransport
@testable import MessagingWire
import TestSupport
import Testing

/// The flat-object fast path of `FrameDecoder` answers exactly what the general JSON path
/// answers, for every frame: the same request, or the same error code, message and id.
@Suite("FrameDecoder: the fast path agrees with the general path")
struct FrameDecoderFastPathTests {
    static func outcome(_ decoder: FrameDecoder, _ text: String, fast: Bool) -> Result<ClientRequest, ProtocolError> {
        do throws(ProtocolError) {
            return .success(try decoder.decode(.text(text), fastPath: fast))
        } catch {
            return .failure(error)
        }
    }

    static let conversation = "01a24d9c-d705-75c0-8719-91a974ba3e41"

    /// Frames clients send, and their near misses.
    static let frames: [String] = [
        #"{"type":"ack","conversation":"\#(conversation)","seq":12}"#,
        #"{ "type" : "ack" , "conversation" : "\#(conversation)" , "seq" : 0 }"#,
        "{\n\t\"type\":\"ping\"\r\n}",
        #"{"type":"ping","id":"p-1"}"#,
        #"{"type":"pong"}"#,
        #"{"type":"read","id":"r","conversation":"\#(conversation)","seq":9223372036854775807}"#,
        #"{"type":"read","id":"r","conversation":"\#(conversation)","seq":9223372036854775808}"#,
        #"{"type":"read","id":"r","conversation":"\#(conversation)","seq":-9223372036854775808}"#,
        #"{"type":"read","id":"r","conversation":"\#(conversation)","seq":-1}"#,
        #"{"type":"read","id":"r","conversation":"\#(conversation)","seq":-0}"#,
        #"{"type":"read","id":"r","conversation":"\#(conversation)","seq":07}"#,
        #"{"type":"read","id":"r","conversation":"\#(conversation)","seq":1.0}"#,
        #"{"type":"read","id":"r","conversation":"\#(conversation)","seq":1e2}"#,
        #"{"type":"read","id":"r","conversation":"\#(conversation)","seq":"3"}"#,
        #"{"type":"typing","conversation":"\#(conversation)","isTyping":true}"#,
        #"{"type":"typing","conversation":"\#(conversation)","isTyping":false}"#,
        #"{"type":"typing","conversation":"\#(conversation)","isTyping":null}"#,
        #"{"type":"typing","conversation":"\#(conversation)","isTyping":tru}"#,
        #"{"type":"subscribe","id":"s","conversation":"\#(conversation)","after":0}"#,
        #"{"type":"subscribe","id":"s","conversation":"\#(conversation)","after":null}"#,
        #"{"type":"send","id":"1","conversation":"\#(conversation)","clientMessageId":"c","text":"héllo 👋"}"#,
        #"{"type":"send","id":"1","conversation":"\#(conversation)","clientMessageId":"c","text":"a \"quoted\" word\n"}"#,
        #"{"type":"send","id":"1","conversation":"\#(conversation)","clientMessageId":"c","text":"x","mentions":[]}"#,
        #"{"type":"ack","type":"ack","conversation":"\#(conversation)","seq":1}"#,
        #"{"type":"ack","conversation":"\#(conversation)","seq":1,}"#,
        #"{"type":"ack","conversation":"\#(conversation)","seq":1} x"#,
        #"{"type":"ack","conversation":"\#(conversation)","seq":1"#,
        #"{"type":"ack","conversation":"\#(conversation)" "seq":1}"#,
        #"{"type":"unknown"}"#,
        #"{"type":"ack","extra":1,"conversation":"\#(conversation)","seq":1}"#,
        #"{"id":"","type":"ping"}"#,
        #"{"id":"has space","type":"ping"}"#,
        #"{"type":5}"#,
        #"{}"#,
        #"[]"#,
        #""ping""#,
        "",
        " ",
        #"{"type":"ack","conversation":"not-a-uuid","seq":1}"#,
    ]

    @Test("listed frames: the same answer on both paths")
    func listed() {
        let decoder = FrameDecoder()
        for frame in Self.frames {
            #expect(Self.outcome(decoder, frame, fast: true) == Self.outcome(decoder, frame, fast: false), "\(frame)")
        }
    }

    /// Whenever the acknowledgement scanner answers, the general decoder answers the same
    /// `ack` (no id, same conversation and seq); the plain form is always taken.
    static func checkScanner(_ decoder: FrameDecoder, _ bytes: [UInt8]) {
        guard let scanned = decoder.decodeAcknowledgement(bytes) else { return }
        let general = try? decoder.decode(.text(bytes), fastPath: false)
        #expect(general?.id == nil, "\(String(decoding: bytes, as: UTF8.self))")
        #expect(general?.body == .ack(scanned.conversation, seq: scanned.seq), "\(String(decoding: bytes, as: UTF8.self))")
    }

    @Test("the acknowledgement scanner takes the plain ack in any key order, and answers nothing the general path would not")
    func acknowledgementScanner() throws {
        let decoder = FrameDecoder()
        let id = try #require(ConversationID(Self.conversation))
        for plain in [
            #"{"type":"ack","conversation":"\#(Self.conversation)","seq":12}"#,
            #"{"seq":0,"conversation":"\#(Self.conversation)","type":"ack"}"#,
            #"{"conversation":"\#(Self.conversation)","type":"ack","seq":999999999999999999}"#,
        ] {
            let scanned = try #require(decoder.decodeAcknowledgement(Array(plain.utf8)), "\(plain)")
            #expect(scanned.conversation == id)
            Self.checkScanner(decoder, Array(plain.utf8))
        }
        for other in [
            #"{"type":"ack","id":"a","conversation":"\#(Self.conversation)","seq":1}"#,
            #"{"type":"ack","conversation":"\#(Self.conversation)","seq":01}"#,
            #"{"type":"ack","conversation":"\#(Self.conversation)","seq":-1}"#,
            #"{"type":"ack","conversation":"\#(Self.conversation)","seq":1000000000000000000}"#,
            #"{"type":"ack","conversation":"\#(Self.conversation)"}"#,
            #"{"type":"ack","type":"ack","conversation":"\#(Self.conversation)","seq":1}"#,
            #"{"type":"send","conversation":"\#(Self.conversation)","seq":1}"#,
        ] {
            #expect(decoder.decodeAcknowledgement(Array(other.utf8)) == nil, "\(other)")
        }
        for frame in Self.frames { Self.checkScanner(decoder, Array(frame.utf8)) }
        var random = SeededGenerator(seed: 11)
        let alphabet = Array(#"{}[]":,\ -0123456789.eEtrufalsnack"#.utf8)
        let ack = Array(#"{"type":"ack","conversation":"\#(Self.conversation)","seq":12}"#.utf8)
        for _ in 0..<20_000 {
            var bytes = ack
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let position = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes.remove(at: position)
                case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: position)
                default: bytes[position] = alphabet.randomElement(using: &random)!
                }
            }
            Self.checkScanner(decoder, bytes)
        }
    }

    @Test("20,000 random mutations of client frames: the same answer on both paths")
    func mutated() {
        let decoder = FrameDecoder()
        var random = SeededGenerator(seed: 9)
        let alphabet = Array(#"{}[]":,\ -0123456789.eEtrufalsn"ab"#.utf8)
        for _ in 0..<20_000 {
            var bytes = Array(Self.frames.randomElement(using: &random)!.utf8)
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0 where !bytes.isEmpty: bytes.remove(at: position)
                case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: position)
                default: if !bytes.isEmpty { bytes[position] = alphabet.randomElement(using: &random)! }
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(Self.outcome(decoder, text, fast: true) == Self.outcome(decoder, text, fast: false), "\(text)")
        }
    }
}
