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
