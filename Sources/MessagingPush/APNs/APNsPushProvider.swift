import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import MessagingCore
import MessagingDelivery
import NIOCore
import NIOHTTP1

/// A `MessagingDelivery.DevicePushProvider` for Apple Push Notification service: HTTP/2
/// with token-based authentication (a provider JWT signed with the team's push key).
///
/// Each ``send(_:to:)`` is one `POST /3/device/<token>` to the production host, or to the
/// sandbox host when the token was registered with `sandbox == true`, with the headers
/// `authorization: bearer <provider token>`, `apns-topic`, `apns-push-type: alert`,
/// `apns-priority: 10`, `apns-expiration` (send time plus
/// ``APNsConfiguration/expiration``), `apns-collapse-id` (the conversation) and
/// `content-type: application/json`. The body is the content-free alert of
/// `MessagingDelivery.PushNotification` (title, body, `sound`, `thread-id`,
/// `mutable-content: 1`) with `MessagingDelivery.PushNotification.data` beside `aps`
/// at the top level; never message content.
///
/// The provider token (`{"alg":"ES256","kid":…}`, `{"iss":<team>,"iat":…}`) is reused for
/// 50 minutes, then replaced; a `403 ExpiredProviderToken` drops it at once so the retry
/// carries a new one.
///
/// Answers: `200` is `MessagingDelivery.PushDeliveryResult.delivered`; `410` and `400`
/// with reason `BadDeviceToken` or `DeviceTokenNotForTopic` are
/// `MessagingDelivery.PushDeliveryResult.tokenInvalid(reason:)` (the reason is APNs'
/// own); everything else, and any transport failure, throws
/// `MessagingDelivery.DeliveryError.Code.pushFailed` naming the status and APNs' reason
/// (never the device token, the provider token or the key), so the job is retried.
///
/// The injected `HTTPClient` must be allowed to speak HTTP/2 (`httpVersion: .automatic`,
/// the default); APNs accepts nothing else.
///
/// Thread safety: immutable apart from the provider-token cache, an actor; safe to share
/// across tasks.
public struct APNsPushProvider: DevicePushProvider {
    /// The settings, validated.
    public let configuration: APNsConfiguration
    private let httpClient: HTTPClient
    private let clock: any WallClock
    private let logger: Logger
    private let tokens: APNsProviderTokens

    /// A provider for `configuration`, sending through `httpClient` (the process-wide shared
    /// client unless a host or a test brings its own), with token times from `clock`.
    ///
    /// Throws `MessagingDelivery.DeliveryError.Code.invalidConfiguration` when a value is
    /// unusable: an empty or malformed Team ID, Key ID or topic, a key that is not a P-256
    /// private key in PEM form, a base URL that is not `https://host[:port]`, a negative
    /// expiration or a timeout that is not positive. (An `HTTPClient` configured
    /// `httpVersion: .http1Only` cannot be detected here; APNs refuses its requests.)
    public init(
        configuration: APNsConfiguration, httpClient: HTTPClient = .shared, clock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "messaging.push.apns")
    ) throws(DeliveryError) {
        func invalid(_ message: String) -> DeliveryError {
            DeliveryError(code: .invalidConfiguration, message: "APNs: " + message)
        }
        guard Self.isAppleIdentifier(configuration.teamID) else {
            throw invalid("the Team ID must be the 10-character id of the Apple Developer account (letters and digits); got \(configuration.teamID.isEmpty ? "an empty one" : "'\(configuration.teamID)'").")
        }
        guard Self.isAppleIdentifier(configuration.keyID) else {
            throw invalid("the Key ID must be the 10-character id of the push key (letters and digits, shown beside the key in the developer account); got \(configuration.keyID.isEmpty ? "an empty one" : "'\(configuration.keyID)'").")
        }
        let topic = configuration.topic
        guard !topic.isEmpty, topic.utf8.count <= 255, topic.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7f }) else {
            throw invalid("the topic must be the app's bundle id (for example com.example.chat), without spaces.")
        }
        let key: ES256PrivateKey
        do {
            key = try ES256PrivateKey(pem: configuration.privateKeyPEM)
        } catch {
            throw invalid("the private key does not parse as a P-256 (ES256) private key in PEM form; pass the whole contents of the AuthKey_<KeyID>.p8 file, BEGIN and END lines included.")
        }
        guard PushHTTP.isHTTPSBase(configuration.productionBaseURL) else {
            throw invalid("the production base URL must be https://host[:port] without a path; the default is \(APNsConfiguration.productionURL.absoluteString).")
        }
        guard PushHTTP.isHTTPSBase(configuration.sandboxBaseURL) else {
            throw invalid("the sandbox base URL must be https://host[:port] without a path; the default is \(APNsConfiguration.sandboxURL.absoluteString).")
        }
        guard configuration.expiration >= .zero else {
            throw invalid("the expiration must be zero (deliver now or never) or positive.")
        }
        guard configuration.requestTimeout > .zero else {
            throw invalid("the request timeout must be positive.")
        }
        self.configuration = configuration
        self.httpClient = httpClient
        self.clock = clock
        self.logger = logger
        self.tokens = APNsProviderTokens(teamID: configuration.teamID, keyID: configuration.keyID, key: key)
    }

    /// `MessagingCore.PushPlatform.apns`.
    public var platform: PushPlatform { .apns }

    /// Sends `notification` to the device of `token` and reports what APNs answered.
    ///
    /// A token that is not 64–200 hexadecimal digits is never sent: the result is
    /// `MessagingDelivery.PushDeliveryResult.tokenInvalid(reason:)` with reason
    /// `MalformedDeviceToken`. Throws `MessagingDelivery.DeliveryError.Code.pushFailed`
    /// for a token of another platform and for every answer that may succeed later.
    public func send(_ notification: PushNotification, to token: PushToken) async throws -> PushDeliveryResult {
        guard token.platform == .apns else {
            throw DeliveryError(code: .pushFailed, message: "APNs was handed a \(token.platform.rawValue) token; it serves apns tokens only.")
        }
        guard Self.isDeviceToken(token.token) else {
            logger.notice("APNs device token is malformed; not sent", metadata: ["device": "\(token.deviceID)"])
            return .tokenInvalid(reason: "MalformedDeviceToken")
        }
        let now = clock.now()
        let providerToken: String
        do {
            providerToken = try await tokens.token(now: now)
        } catch {
            throw DeliveryError(code: .pushFailed, message: "APNs: signing the provider token failed; check the push key.")
        }
        let request = try makeRequest(notification, to: token, providerToken: providerToken, now: now)
        let answer = try await PushHTTP.execute(
            request, on: httpClient, timeout: configuration.requestTimeout, service: token.sandbox ? "APNs (sandbox)" : "APNs",
            secrets: [token.token, providerToken])
        let reason = PushHTTP.safeCode(PushHTTP.jsonObject(answer.body)?["reason"] as? String)
        switch (answer.status, reason) {
        case (200, _):
            return .delivered
        case (410, _):
            logger.info("APNs says the device token is no longer registered", metadata: ["device": "\(token.deviceID)"])
            return .tokenInvalid(reason: reason ?? "Unregistered")
        case (400, let reason?) where reason == "BadDeviceToken" || reason == "DeviceTokenNotForTopic":
            logger.info("APNs rejected the device token", metadata: ["device": "\(token.deviceID)", "reason": "\(reason)"])
            return .tokenInvalid(reason: reason)
        case (403, "ExpiredProviderToken"?):
            await tokens.discard(providerToken)
            throw DeliveryError(
                code: .pushFailed,
                message: "APNs answered 403 ExpiredProviderToken; a new provider token is signed for the retry (check the server clock).")
        default:
            var message = "APNs answered \(answer.status) \(reason ?? "(no reason)")"
            if answer.status == 429, let retryAfter = PushHTTP.safeCode(answer.header("retry-after")) {
                message += ", retry after \(retryAfter) s"
            }
            throw DeliveryError(code: .pushFailed, message: message + "; the job is retried.")
        }
    }

    /// The request for one device: path, headers and JSON body.
    func makeRequest(_ notification: PushNotification, to token: PushToken, providerToken: String, now: Timestamp) throws
        -> HTTPClientRequest
    {
        let base = token.sandbox ? configuration.sandboxBaseURL : configuration.productionBaseURL
        var request = HTTPClientRequest(url: PushHTTP.origin(base) + "/3/device/" + token.token)
        request.method = .POST
        let expiration: Int64 =
            configuration.expiration == .zero ? 0 : now.millisecondsSince1970 / 1000 + configuration.expiration.components.seconds
        request.headers.add(name: "authorization", value: "bearer " + providerToken)
        request.headers.add(name: "apns-topic", value: configuration.topic)
        request.headers.add(name: "apns-push-type", value: "alert")
        request.headers.add(name: "apns-priority", value: "10")
        request.headers.add(name: "apns-expiration", value: String(expiration))
        request.headers.add(name: "apns-collapse-id", value: notification.collapseKey)
        request.headers.add(name: "content-type", value: "application/json")
        let body: Data
        do {
            body = try Self.encoder.encode(APNsPayload(notification))
        } catch {
            throw DeliveryError(code: .pushFailed, message: "APNs: the notification payload could not be encoded.")
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Apple's Team and Key IDs: 10 letters and digits (any length up to 32 is accepted).
    static func isAppleIdentifier(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.count <= 32
            && value.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    /// An APNs device token: 64–200 hexadecimal digits (as `MessagingCore.PushToken` documents).
    static func isDeviceToken(_ value: String) -> Bool {
        (64...200).contains(value.utf8.count) && value.utf8.allSatisfy { $0.isHexDigit }
    }
}

/// The JSON body: `aps` and the app data keys beside it.
struct APNsPayload: Encodable {
    struct Aps: Encodable {
        struct Alert: Encodable {
            let title: String
            let body: String
        }

        let alert: Alert
        let sound = "default"
        let threadID: String
        let mutableContent = 1

        enum CodingKeys: String, CodingKey {
            case alert, sound
            case threadID = "thread-id"
            case mutableContent = "mutable-content"
        }
    }

    let aps: Aps
    let data: [String: String]

    init(_ notification: PushNotification) {
        aps = Aps(alert: .init(title: notification.alertTitle, body: notification.alertBody), threadID: notification.conversationID.description)
        data = notification.data
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicCodingKey.self)
        try container.encode(aps, forKey: DynamicCodingKey("aps"))
        for (key, value) in data where key != "aps" {
            try container.encode(value, forKey: DynamicCodingKey(key))
        }
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}
