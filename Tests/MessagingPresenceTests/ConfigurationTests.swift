import MessagingPresence
import Testing

@Suite("Configuration and heartbeat schedule")
struct ConfigurationTests {
    @Test("The defaults are valid and match the documentation")
    func defaults() throws {
        let configuration = PresenceConfiguration()
        try configuration.validate()
        #expect(configuration.deviceTTL == .seconds(60))
        #expect(configuration.heartbeatInterval == .seconds(25))
        #expect(configuration.heartbeatSchedule.delayRange == .seconds(20)...(.seconds(25)))
    }

    @Test(
        "Broken relations are refused with invalidConfiguration",
        arguments: [
            PresenceConfiguration(deviceTTL: .seconds(20)),  // not longer than the interval
            PresenceConfiguration(maximumDeviceTTL: .seconds(30)),  // below the default TTL
            PresenceConfiguration(heartbeatJitter: .seconds(25)),
            PresenceConfiguration(expiryStep: .zero),
            PresenceConfiguration(typingTimeout: .seconds(1), typingMinimumInterval: .seconds(2)),
            PresenceConfiguration(largeRoomThreshold: 0),
            PresenceConfiguration(maximumDevicesPerUser: 0),
            PresenceConfiguration(leaseRenewalInterval: .seconds(500)),
            PresenceConfiguration(nodeID: PresenceNodeID("")),
        ])
    func invalid(_ configuration: PresenceConfiguration) {
        #expect {
            try configuration.validate()
        } throws: { error in
            (error as? PresenceError)?.code == .invalidConfiguration
        }
        #expect(throws: PresenceError.self) { try PresenceTracker(configuration: configuration, audience: FixedAudience()) }
    }

    @Test("Jittered delays stay within the range and vary")
    func jitter() {
        let schedule = PresenceConfiguration().heartbeatSchedule
        var generator = SystemRandomNumberGenerator()
        let delays = (0..<200).map { _ in schedule.nextDelay(using: &generator) }
        #expect(delays.allSatisfy { schedule.delayRange.contains($0) })
        #expect(Set(delays).count > 10)
        #expect(HeartbeatSchedule(interval: .seconds(5), jitter: .zero, deviceTTL: .seconds(12)).nextDelay() == .seconds(5))
    }
}
