import Foundation
import MessagingCore
import MessagingDelivery
import MessagingPersistence
import Synchronization
import Testing

/// A device push provider that records what it was asked to send and answers from a script.
final class ScriptedDevicePush: DevicePushProvider {
    struct Sent: Sendable {
        let notification: PushNotification
        let token: String
    }

    let platform: PushPlatform
    private let state = Mutex<(sent: [Sent], answers: [String: PushDeliveryResult], failing: Set<String>)>(([], [:], []))

    init(platform: PushPlatform) { self.platform = platform }

    var sent: [Sent] { state.withLock { $0.sent } }
    func answer(_ token: String, with result: PushDeliveryResult) { state.withLock { $0.answers[token] = result } }
    func fail(_ token: String, _ failing: Bool) { state.withLock { if failing { $0.failing.insert(token) } else { $0.failing.remove(token) } } }

    func send(_ notification: PushNotification, to token: PushToken) async throws -> PushDeliveryResult {
        #expect(token.platform == platform, "only tokens of its own platform reach a provider")
        return try state.withLock { state in
            state.sent.append(Sent(notification: notification, token: token.token))
            if state.failing.contains(token.token) { throw DeliveryError(code: .pushFailed, message: "scripted failure (HTTP 503)") }
            return state.answers[token.token] ?? .delivered
        }
    }
}

@Suite("Notifications: scans, records and device pushes through the job runner")
struct PushDispatchTests {
    let fixture: DeliveryFixture
    init() throws { fixture = try DeliveryFixture(configuration: MessagingConfiguration(notificationWindowMilliseconds: 1_000)) }

    func runner(provider: any PushProvider) -> JobRunner {
        JobRunner(
            queue: fixture.jobs,
            handlers: [
                NotificationScan.queue: NotificationScanner(messaging: fixture.messaging).handler,
                NotificationRequest.queue: NotificationDispatcher(provider: provider, messaging: fixture.messaging).handler,
            ],
            configuration: JobRunnerConfiguration(workerName: "t", backoff: Backoff(baseMilliseconds: 1, capMilliseconds: 1)),
            wallClock: fixture.clock, logger: .quiet)
    }

    @Test("a burst of 50 to an offline user is one push per device, with the record's id and count; dead tokens are deleted")
    func burstToDevices() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let bob = users[1].id
        let (phone, tablet, old) = (DeviceID(UUIDv7Generator().next()), DeviceID(UUIDv7Generator().next()), DeviceID(UUIDv7Generator().next()))
        let apnsToken = String(repeating: "a1", count: 32)
        let deadToken = String(repeating: "d2", count: 32)
        _ = try await fixture.messaging.notifications.registerPushToken(apnsToken, platform: .apns, device: phone, by: bob)
        _ = try await fixture.messaging.notifications.registerPushToken("fcm:tablet", platform: .fcm, device: tablet, by: bob)
        _ = try await fixture.messaging.notifications.registerPushToken(deadToken, platform: .apns, device: old, by: bob)
        let apns = ScriptedDevicePush(platform: .apns)
        let fcm = ScriptedDevicePush(platform: .fcm)
        apns.answer(deadToken, with: .tokenInvalid(reason: "Unregistered"))
        let dispatcher = try DevicePushDispatcher(messaging: fixture.messaging, providers: [apns, fcm], logger: .quiet)
        let runner = runner(provider: dispatcher)

        for index in 1...50 { try await fixture.send("m\(index)", to: room, by: users[0].id) }
        #expect(try await runner.runOnce() == 0, "nothing is due before the window closes")
        fixture.clock.advance(milliseconds: 1_000)
        #expect(try await runner.runOnce() == 1, "one scan for the burst")
        #expect(try await runner.runOnce() == 1, "one push job for bob")
        #expect(try await runner.runOnce() == 0)

        let record = try #require(try await fixture.messaging.notifications.notifications(of: bob).notifications.first)
        #expect(record.count == 50)
        #expect(apns.sent.map(\.token).sorted() == [apnsToken, deadToken].sorted() && fcm.sent.map(\.token) == ["fcm:tablet"])
        for sent in apns.sent + fcm.sent {
            #expect(sent.notification.notificationID == record.id && sent.notification.count == 50)
            #expect(sent.notification.userID == bob && sent.notification.conversationID == room && sent.notification.reason == .offline)
            #expect(sent.notification.data["notificationId"] == record.id.description)
            #expect(sent.notification.alertBody == "50 new messages")
        }
        #expect(try await fixture.messaging.notifications.pushTokens(of: bob).map(\.deviceID).sorted() == [phone, tablet].sorted(),
                "the token APNs called dead is gone")
        #expect(try await fixture.messaging.notifications.notifications(of: users[0].id).notifications.isEmpty, "not the sender")
    }

    @Test("a device that fails makes the push job retry; the retry sends again under the same record")
    func failureRetries() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let bob = users[1].id
        _ = try await fixture.messaging.notifications.registerPushToken("fcm:1", platform: .fcm, device: DeviceID(UUIDv7Generator().next()), by: bob)
        let fcm = ScriptedDevicePush(platform: .fcm)
        fcm.fail("fcm:1", true)
        let runner = runner(provider: try DevicePushDispatcher(messaging: fixture.messaging, providers: [fcm], logger: .quiet))
        try await fixture.send("hello", to: room, by: users[0].id)
        fixture.clock.advance(milliseconds: 1_000)
        _ = try await runner.runOnce()  // the scan
        _ = try await runner.runOnce()  // the push: fails
        #expect(fcm.sent.count == 1)
        fcm.fail("fcm:1", false)
        fixture.clock.advance(milliseconds: 10)
        #expect(try await runner.runOnce() == 1, "retried")
        #expect(fcm.sent.count == 2)
        #expect(Set(fcm.sent.compactMap(\.notification.notificationID)).count == 1, "one record, pushed twice")
        #expect(try await fixture.messaging.notifications.notifications(of: bob).notifications.count == 1)
    }

    @Test("a mention is recorded once by its job; its push carries the record")
    func mentionRecorded() async throws {
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        let room = try await fixture.group(users)
        let bob = users[1].id
        _ = try await fixture.messaging.notifications.registerPushToken("fcm:1", platform: .fcm, device: DeviceID(UUIDv7Generator().next()), by: bob)
        let fcm = ScriptedDevicePush(platform: .fcm)
        let runner = runner(provider: try DevicePushDispatcher(messaging: fixture.messaging, providers: [fcm], logger: .quiet))
        let message = try await fixture.send("@bob", to: room, by: users[0].id, mentions: [bob])
        fixture.clock.advance(milliseconds: 1_000)
        while try await runner.runOnce() > 0 {}
        let records = try await fixture.messaging.notifications.notifications(of: bob).notifications
        #expect(records.map(\.reason) == [.mention], "the mention only: the scan leaves the mentioning message to it")
        #expect(records.first?.messageID == message.id)
        #expect(fcm.sent.map(\.notification.reason) == [.mention])
        #expect(fcm.sent.first?.notification.notificationID == records.first?.id)
        #expect(fcm.sent.first?.notification.alertTitle == "You were mentioned")
    }

    @Test("two providers for one platform are a configuration error")
    func duplicatePlatforms() throws {
        defer { fixture.remove() }
        #expect(throws: DeliveryError.self) {
            try DevicePushDispatcher(
                messaging: fixture.messaging, providers: [ScriptedDevicePush(platform: .apns), ScriptedDevicePush(platform: .apns)],
                logger: .quiet)
        }
    }
}
