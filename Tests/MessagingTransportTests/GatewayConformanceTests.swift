import Foundation
import MessagingCore
@testable import MessagingTransport
import TestSupport
import Testing

/// Smaller protocol conformance defects (issue #13, item 13).
@Suite("Gateway: conformance details")
struct GatewayConformanceTests {
    @Test("a single binary frame closes 1008 with a reason about binary frames, after its binary_frame error")
    func binaryFrameReason() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let client = try await h.connect(as: alice)
            try await client.sendRaw(.binary([1, 2, 3]))
            let (close, frames) = try await client.closed()
            #expect(frames.first?["code"]?.string == "binary_frame")
            #expect(close?.code == .policyViolation)
            #expect(close?.reason.contains("binary") == true, "\(String(describing: close))")
        }
    }

    @Test("a ready connection counts as online before it sends presence")
    func readyIsOnline() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            _ = try await h.group(alice, [bob])
            let watcher = try await h.connect(as: bob)
            let before = try await watcher.request(.watch([alice.id]))
            #expect(before["result"]?["presence"]?.array?.first?["state"]?.string == "offline", "\(before)")
            _ = try await h.connect(as: alice)
            let after = try await watcher.request(.watch([alice.id]))
            #expect(after["result"]?["presence"]?.array?.first?["state"]?.string == "online", "\(after)")
        }
    }
}
