import Foundation
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Synchronization
import Testing

@testable import MessagingWebSocket

/// The handler that lets the gateway take `ack` frames on the event loop.
@Suite("WebSocket inbound filter")
struct InboundFilterTests {
    static func frame(_ text: String, fin: Bool = true, opcode: WebSocketOpcode = .text) -> WebSocketFrame {
        let key: WebSocketMaskingKey = [0x11, 0x22, 0x33, 0x44]
        var data = ByteBuffer(string: text)
        data.webSocketMask(key)
        return WebSocketFrame(fin: fin, opcode: opcode, maskKey: key, data: data)
    }

    @Test("the filter sees each message unmasked, and its call depth does not grow with the messages before it")
    func depthStaysConstant() throws {
        let state = InboundFilterState()
        let seen = Mutex<(texts: Set<String>, depths: [Int])>(([], []))
        state.set { bytes in
            let depth = Thread.callStackReturnAddresses.count
            seen.withLock {
                $0.texts.insert(String(decoding: bytes, as: UTF8.self))
                $0.depths.append(depth)
            }
            return true
        }
        let channel = EmbeddedChannel(handler: InboundFilterHandler(state: state))
        for index in 0..<2_000 { try channel.writeInbound(Self.frame("{\"n\":\(index % 3)}")) }
        #expect(try channel.readInbound(as: WebSocketFrame.self) == nil, "every message was taken by the filter")
        let (texts, depths) = seen.withLock { ($0.texts, $0.depths) }
        #expect(texts == ["{\"n\":0}", "{\"n\":1}", "{\"n\":2}"])
        #expect(depths.count == 2_000)
        #expect((depths.max() ?? 0) - (depths.min() ?? 0) <= 2, "depth from \(depths.first ?? 0) to \(depths.last ?? 0)")
    }

    @Test("a message the filter declines, and every message after it until the reader catches up, goes to the reader in order")
    func declinedMessagesKeepTheirOrder() throws {
        let state = InboundFilterState()
        state.set { bytes in String(decoding: bytes, as: UTF8.self) == "take" }
        let channel = EmbeddedChannel(handler: InboundFilterHandler(state: state))
        try channel.writeInbound(Self.frame("take"))
        try channel.writeInbound(Self.frame("keep"))
        // The reader has not handled "keep" yet: "take" must wait behind it.
        try channel.writeInbound(Self.frame("take"))
        var passed: [String] = []
        while let frame = try channel.readInbound(as: WebSocketFrame.self) {
            passed.append(String(buffer: frame.unmaskedData))
        }
        #expect(passed == ["keep", "take"])
        // Once the reader handled both, the filter takes messages again.
        state.markHandled(2)
        try channel.writeInbound(Self.frame("take"))
        #expect(try channel.readInbound(as: WebSocketFrame.self) == nil)
        // Fragmented and binary messages always go to the reader.
        try channel.writeInbound(Self.frame("ta", fin: false))
        try channel.writeInbound(Self.frame("ke", fin: true, opcode: .continuation))
        try channel.writeInbound(Self.frame("take", opcode: .binary))
        var rest = 0
        while try channel.readInbound(as: WebSocketFrame.self) != nil { rest += 1 }
        #expect(rest == 3)
    }
}
