import Foundation
@testable import MessagingTransport
import MessagingWire
import TestSupport
import Testing

/// The reconnect rule of Protocol.md §10 (issue #13, item 11).
@Suite("Reconnect backoff: the §10 rule")
struct ReconnectBackoffTests {
    @Test("bounds double from 250 ms to a 15 s cap, draws stay within them, and reset starts over")
    func bounds() {
        var backoff = ReconnectBackoff(random: SeededGenerator(seed: 1))
        var bounds: [Duration] = []
        for _ in 0..<10 {
            bounds.append(backoff.currentBound)
            let delay = backoff.nextDelay()
            #expect(delay >= .zero && delay <= bounds.last!)
        }
        #expect(bounds.prefix(7) == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(15)])
        #expect(bounds.last == .seconds(15))
        backoff.reset()
        #expect(backoff.currentBound == .milliseconds(250))
        #expect(backoff.nextDelay(closeCode: .resyncRequired) == .zero, "the first 4410 after a good connection: at once")
        #expect(backoff.nextDelay(retryAfterMilliseconds: 40_000) >= .seconds(40), "4429: at least retry-after-ms")
    }

    @Test("Protocol.md §10 states the bounds the type uses")
    func documented() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Documentation/Protocol.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let section = try #require(text.range(of: "## 10. The client reconnect rule"))
        let rule = text[section.upperBound...].prefix(1200)
        #expect(ReconnectBackoff.defaultBase == .milliseconds(250) && rule.contains("`base` = 250 ms"))
        #expect(ReconnectBackoff.defaultCap == .seconds(15) && rule.contains("`cap` = 15 s"))
        #expect(rule.contains("ready and caught up"))
        #expect(!rule.contains("60 s"), "the old rule reset only after a connection stayed up 60 s")
    }

    /// A server restarting every `up + down` seconds; a client following the rule
    /// reconnects in the down phase until one attempt lands in an up phase. Returns the
    /// share of time the client is offline, and the mean time to return after the server is up.
    static func simulate(
        up: Double, down: Double, restarts: Int, resetOnCaughtUp: Bool, seed: UInt64
    ) -> (offline: Double, meanReturn: Double) {
        var backoff = ReconnectBackoff(random: SeededGenerator(seed: seed))
        var now = 0.0
        var offline = 0.0
        var returns: [Double] = []
        var connectedSince: Double?
        let period = up + down
        let end = Double(restarts) * period
        while now < end {
            let phase = now.truncatingRemainder(dividingBy: period)
            if phase < down {
                // Server down: the attempt fails.
                let wait = Double(backoff.nextDelay() / .milliseconds(1)) / 1000
                offline += wait
                now += wait
                continue
            }
            // Connected (ready and caught up) until the next restart.
            let restartAt = now - phase + period
            returns.append(phase - down)
            if resetOnCaughtUp { backoff.reset() }
            connectedSince = connectedSince ?? now
            now = restartAt
            // The connection drops at the restart; the old rule resets only after 60 s up.
            if !resetOnCaughtUp, let since = connectedSince, now - since >= 60 { backoff.reset() }
            connectedSince = nil
        }
        return (offline / end, returns.reduce(0, +) / Double(max(1, returns.count)))
    }

    @Test("in a restart loop (down 2 s every 12 s) a client following the rule is back within seconds and rarely offline")
    func restartLoop() {
        for seed in UInt64(1)...5 {
            let rule = Self.simulate(up: 10, down: 2, restarts: 30, resetOnCaughtUp: true, seed: seed)
            let old = Self.simulate(up: 10, down: 2, restarts: 30, resetOnCaughtUp: false, seed: seed)
            #expect(rule.offline < 0.35, "offline share \(rule.offline) with the §10 rule")
            #expect(rule.meanReturn < 1.5, "mean return after a restart \(rule.meanReturn) s")
            #expect(old.meanReturn > rule.meanReturn, "old rule: back after \(old.meanReturn) s on average")
            #expect(old.offline > rule.offline, "the old 60 s rule kept clients offline longer (\(old.offline) vs \(rule.offline))")
        }
    }
}
