import MessagingCore
@testable import MessagingTransport
@testable import MessagingWire
import Synchronization
import TestSupport
import Testing

/// A deployment-wide counter as a cluster adapter keeps it, in memory: what "other nodes"
/// counted is added by the test.
final class CountingWindows: SharedRateLimit {
    private let counts = Mutex<[String: Int]>([:])
    let wait: Duration = .seconds(7)

    func admit(_ key: String, limit: Int, at now: Timestamp) -> Duration? {
        counts.withLock { counts in
            guard counts[key, default: 0] < limit else { return wait }
            counts[key, default: 0] += 1
            return nil
        }
    }

    /// Requests of `key` that other nodes admitted in this window.
    func countElsewhere(_ key: String, _ requests: Int) { counts.withLock { $0[key, default: 0] += requests } }

    /// A new window.
    func reset() { counts.withLock { $0 = [:] } }

    func count(_ key: String) -> Int { counts.withLock { $0[key, default: 0] } }
}

@Suite("Gateway: per-user rate limits shared by several nodes")
struct SharedRateLimitTests {
    static var configuration: GatewayConfiguration {
        var configuration = GatewayConfiguration.testing
        // 5 sends in a burst and a slow refill (one per 100 s): the window's limit is 5 too.
        configuration.rateLimits = RateLimits(
            perUser: [.message: .init(burst: 5, perSecond: 0.01)], perAddress: [:], closeAfterConsecutiveRejections: 50)
        return configuration
    }

    static func send(_ client: TestClient, _ room: ConversationID, _ count: Int, prefix: String) async throws -> [JSONValue] {
        var answers: [JSONValue] = []
        for index in 0..<count {
            answers.append(try await client.request(.send("hi", key: "\(prefix)\(index)", to: room)))
        }
        return answers
    }

    @Test("sends another node counted use up the user's window here: refused with the window's wait, and the local bucket is not charged")
    func otherNodesCount() async throws {
        let windows = CountingWindows()
        try await Harness.with(configuration: Self.configuration, sharedRateLimit: windows) { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let room = try await h.group(alice, [bob])
            let key = "rt:u:\(alice.id):message"
            windows.countElsewhere(key, 3)
            let client = try await h.connect(as: alice)
            let first = try await Self.send(client, room, 4, prefix: "a")
            #expect(first.map { $0["type"]?.string } == ["ok", "ok", "error", "error"], "\(first)")
            #expect(first.dropFirst(2).allSatisfy { $0["code"]?.string == "rate_limited" && $0["retryAfterMs"]?.int == 7_000 })
            #expect(windows.count(key) == 5, "two counted here, three elsewhere")
            // A new window: this node's bucket still has the 3 tokens the refusals gave back.
            windows.reset()
            let second = try await Self.send(client, room, 4, prefix: "b")
            #expect(second.map { $0["type"]?.string } == ["ok", "ok", "ok", "error"], "\(second)")
            #expect(second.last?["code"]?.string == "rate_limited")
            #expect(windows.count(key) == 3, "a request this node's bucket refuses is not counted in the window")
        }
    }

    @Test("another user's count does not limit this one")
    func perUser() async throws {
        let windows = CountingWindows()
        try await Harness.with(configuration: Self.configuration, sharedRateLimit: windows) { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let room = try await h.group(alice, [bob])
            windows.countElsewhere("rt:u:\(bob.id):message", 100)
            let client = try await h.connect(as: alice)
            let answers = try await Self.send(client, room, 5, prefix: "c")
            #expect(answers.allSatisfy { $0["type"]?.string == "ok" }, "\(answers)")
        }
    }
}
