import Foundation
import MessagingCore
import MessagingPresence
import Testing

@Suite("Status text")
struct StatusTextTests {
    @Test(
        "Invalid status texts are refused with invalidInput",
        arguments: [
            "", "   ", "\n", "two\nlines", "tab\there", "nul\u{0}", "bell\u{7}", "del\u{7F}", "next\u{85}line",
            "flip\u{202E}txt", "isolate\u{2066}x\u{2069}", String(repeating: "a", count: 101),
            String(repeating: "👍🏽", count: 101), String(repeating: "x", count: 5_000),
        ])
    func invalid(_ text: String) {
        #expect(throws: PresenceError.self) { try StatusText(text) }
        do {
            _ = try StatusText(text)
        } catch {
            #expect(error.code == .invalidInput)
            #expect(!error.message.contains(text) || text.isEmpty, "the message must not echo the text")
        }
    }

    @Test("Valid status texts are trimmed and kept", arguments: [
        ("In a meeting", "In a meeting"), ("  Lunch 🍜  ", "Lunch 🍜"), ("Café – back at 3", "Café – back at 3"),
        ("👩‍👩‍👧‍👦 family time", "👩‍👩‍👧‍👦 family time"), (String(repeating: "a", count: 100), String(repeating: "a", count: 100)),
    ])
    func valid(_ input: String, _ expected: String) throws {
        #expect(try StatusText(input).rawValue == expected)
    }

    @Test("A custom shorter limit applies")
    func customLimit() throws {
        #expect(try StatusText("12345", maximumCharacters: 5).rawValue == "12345")
        #expect(throws: PresenceError.self) { try StatusText("123456", maximumCharacters: 5) }
    }

    @Test("Observers see status changes; the status clears when the user goes offline")
    func broadcast() async throws {
        let harness = try Harness(PresenceConfiguration(offlineGracePeriod: .zero))
        let (alice, bob) = (harness.user(), harness.user())
        _ = harness.fixed.makeConversation([alice, bob])
        await expectPresenceError(.invalidInput) { try harness.tracker.setStatus(StatusText("hi"), for: alice) }
        let phone = harness.device()
        try harness.tracker.heartbeat(user: alice, device: phone)
        let view = harness.tracker.subscribe(as: bob)
        _ = try await view.watch(users: [alice])
        try harness.tracker.setStatus(StatusText("Focusing"), for: alice)
        #expect(presences(view.takePendingChanges())[alice]?.statusText == (try StatusText("Focusing")))
        try harness.tracker.setStatus(nil, for: alice)
        #expect(presences(view.takePendingChanges())[alice]?.statusText == nil)
        try harness.tracker.setStatus(StatusText("Back soon"), for: alice)
        harness.tracker.disconnect(device: phone, of: alice)
        let offline = try #require(presences(view.takePendingChanges())[alice])
        #expect(offline.state == .offline && offline.statusText == nil)
        try harness.tracker.heartbeat(user: alice, device: phone)
        #expect(presences(view.takePendingChanges())[alice]?.statusText == nil)
    }

    @Test("Status text round-trips through Codable and refuses invalid JSON values")
    func codable() throws {
        let encoded = try JSONEncoder().encode(try StatusText("ok"))
        #expect(try JSONDecoder().decode(StatusText.self, from: encoded).rawValue == "ok")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(StatusText.self, from: Data(#""a\nb""#.utf8)) }
    }
}
