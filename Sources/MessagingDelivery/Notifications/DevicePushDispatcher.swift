import Logging
import MessagingCore

/// A ``PushProvider`` that sends each notification to every device push token of its user,
/// through the ``DevicePushProvider`` of the token's platform (APNs, FCM; `MessagingPush` has
/// both), and deletes the tokens the service says are dead.
///
/// A user without tokens gets nothing pushed (the record is still listed). When some devices
/// could not be reached, the push throws ``DeliveryError/Code/pushFailed`` after trying all
/// of them, and the job runner retries the job: devices that got it the first time get it
/// again, and show it once, because every adapter sends the notification's
/// ``PushNotification/collapseKey``. A token whose platform has no provider here is skipped
/// (logged once per push).
///
/// Thread safety: immutable; safe to share across tasks.
public struct DevicePushDispatcher: PushProvider {
    private let messaging: Messaging
    private let providers: [PushPlatform: any DevicePushProvider]
    private let logger: Logger

    /// A dispatcher reading tokens through `messaging` and sending through `providers` (one per platform).
    public init(messaging: Messaging, providers: [any DevicePushProvider], logger: Logger) throws {
        var byPlatform: [PushPlatform: any DevicePushProvider] = [:]
        for provider in providers {
            guard byPlatform[provider.platform] == nil else {
                throw DeliveryError(
                    code: .invalidConfiguration, message: "Two push providers serve \(provider.platform.rawValue); pass one per platform.")
            }
            byPlatform[provider.platform] = provider
        }
        self.messaging = messaging
        self.providers = byPlatform
        self.logger = logger
    }

    public func push(_ notification: PushNotification) async throws {
        let tokens = try await messaging.notifications.pushTokens(of: notification.userID)
        var failed: [any Error] = []
        var unserved: Set<PushPlatform> = []
        for token in tokens {
            guard let provider = providers[token.platform] else {
                unserved.insert(token.platform)
                continue
            }
            do {
                switch try await provider.send(notification, to: token) {
                case .delivered:
                    break
                case .tokenInvalid(let reason):
                    try await messaging.notifications.removeInvalidPushToken(token.token, platform: token.platform)
                    logger.info("push token removed: the service no longer accepts it", metadata: [
                        "user": "\(token.userID)", "device": "\(token.deviceID)", "platform": "\(token.platform.rawValue)",
                        "reason": "\(reason)",
                    ])
                }
            } catch {
                failed.append(error)
            }
        }
        if !unserved.isEmpty {
            logger.debug("tokens of platforms without a configured provider skipped", metadata: [
                "user": "\(notification.userID)", "platforms": "\(unserved.map(\.rawValue).sorted())",
            ])
        }
        if let first = failed.first {
            throw DeliveryError(
                code: .pushFailed,
                message: "\(failed.count) of \(tokens.count) devices could not be reached (first: \(first)); the job is retried.",
                cause: first)
        }
    }
}
