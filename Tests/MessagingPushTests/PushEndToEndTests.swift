import Foundation
import Logging
import MessagingCore
import MessagingDelivery
import MessagingPersistence
import MessagingPush
import Testing

/// The whole notification path on a real store and job runner: sends → the conversation's
/// scan → one record per member who received nothing → the push job → `DevicePushDispatcher`
/// → the APNs and FCM adapters → mock APNs and mock Google.
@Suite("Notifications end to end: store, job runner, APNs and FCM mocks", .timeLimit(.minutes(2)))
struct PushEndToEndTests {
    @Test("a burst of 50 messages to an offline user is one push per device; a token APNs calls dead is removed and not used again")
    func burstToDevices() async throws {
        let apns = try await APNsHarness()
        let fcm = try await FCMHarness()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-messaging-push-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await withCleanup({
            await apns.shutdown()
            await fcm.shutdown()
            try? FileManager.default.removeItem(at: directory)
        }) {
            var logger = Logger(label: "push-e2e")
            logger.logLevel = .critical
            let store = try SQLiteMessagingStore(path: directory.appendingPathComponent("chat.sqlite").path, logger: logger)
            let clock = TestClock()
            let messaging = Messaging(
                store: store, clock: clock, configuration: MessagingConfiguration(notificationWindowMilliseconds: 2_000))
            let jobs = SQLiteJobQueue(store: store)
            let dispatcher = try DevicePushDispatcher(messaging: messaging, providers: [apns.provider, fcm.provider], logger: logger)
            let runner = JobRunner(
                queue: jobs,
                handlers: [
                    NotificationScan.queue: NotificationScanner(messaging: messaging).handler,
                    NotificationRequest.queue: NotificationDispatcher(provider: dispatcher, messaging: messaging).handler,
                ],
                configuration: JobRunnerConfiguration(workerName: "e2e"), wallClock: clock, logger: logger)
            func runDue() async throws {
                while try await runner.runOnce() > 0 {}
            }

            let alice = try await messaging.users.register(handle: "alice", displayName: "Alice")
            let bob = try await messaging.users.register(handle: "bob", displayName: "Bob")
            let room = try await messaging.conversations.create(.group(title: "Team", members: [bob.id]), by: alice.id)
            let phone = String(repeating: "0a", count: 32)
            let oldPhone = String(repeating: "de", count: 32)
            let ids = UUIDv7Generator()
            _ = try await messaging.notifications.registerPushToken(phone, platform: .apns, device: DeviceID(ids.next()), by: bob.id)
            _ = try await messaging.notifications.registerPushToken(oldPhone, platform: .apns, device: DeviceID(ids.next()), by: bob.id)
            _ = try await messaging.notifications.registerPushToken(Fixture.fcmToken, platform: .fcm, device: DeviceID(ids.next()), by: bob.id)
            apns.production.enqueue(.apns(410, "Unregistered"), forPath: "/3/device/" + oldPhone)

            var last: Message?
            for index in 1...50 {
                let draft = try MessageDraft(text: "message \(index)", clientMessageID: ClientMessageID("b-\(index)"))
                last = try await messaging.messages.send(draft, to: room.id, by: alice.id).message
            }
            try await runDue()
            #expect(apns.production.requests.isEmpty && fcm.sendRequests.isEmpty, "nothing before the batch window closes")
            clock.advance(seconds: 2)
            try await runDue()

            let record = try #require(try await messaging.notifications.notifications(of: bob.id).notifications.first)
            #expect(record.count == 50 && record.latestSeq == last?.seq)
            let pushed = apns.production.requests
            #expect(pushed.map(\.path).sorted() == ["/3/device/" + phone, "/3/device/" + oldPhone].sorted(), "one request per APNs device")
            for request in pushed {
                #expect(request.header("apns-collapse-id") == room.id.description)
                let body = try #require(request.json)
                #expect(body["count"] as? String == "50")
                #expect(body["notificationId"] as? String == record.id.description)
                #expect(((body["aps"] as? [String: Any])?["alert"] as? [String: Any])?["body"] as? String == "50 new messages")
                #expect(!String(decoding: request.body, as: UTF8.self).contains("message 1"), "no message content in a push")
            }
            #expect(fcm.sendRequests.count == 1, "one FCM send")
            #expect(try await messaging.notifications.pushTokens(of: bob.id).map(\.token).sorted() == [phone, Fixture.fcmToken].sorted(),
                    "the token APNs answered 410 is gone")
            #expect(try await messaging.notifications.notifications(of: alice.id).notifications.isEmpty, "not the sender")

            // A second burst: one notification again, and the dead token is not tried.
            for index in 1...3 {
                let draft = try MessageDraft(text: "later \(index)", clientMessageID: ClientMessageID("c-\(index)"))
                _ = try await messaging.messages.send(draft, to: room.id, by: alice.id)
            }
            clock.advance(seconds: 2)
            try await runDue()
            #expect(apns.production.requests.filter { $0.path == "/3/device/" + oldPhone }.count == 1)
            #expect(apns.production.requests.filter { $0.path == "/3/device/" + phone }.count == 2)
            #expect(fcm.sendRequests.count == 2)
            #expect(try await messaging.notifications.notifications(of: bob.id).notifications.map(\.count) == [3, 50])
        }
    }
}
