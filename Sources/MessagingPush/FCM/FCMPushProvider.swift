import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import MessagingCore
import MessagingDelivery
import NIOCore

/// A `MessagingDelivery.DevicePushProvider` for Firebase Cloud Messaging, HTTP v1 API,
/// authenticated as a Google service account.
///
/// Authentication: an OAuth 2.0 access token, obtained by POSTing a service-account
/// assertion to `token_uri` (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`,
/// `assertion=<JWT>`; the JWT is signed RS256 with header `kid` = `private_key_id` and
/// claims `iss` = `client_email`, `scope` = `https://www.googleapis.com/auth/firebase.messaging`,
/// `aud` = `token_uri`, `iat`, `exp` = `iat` + 3600). The token is reused until
/// ``FCMConfiguration/tokenRefreshMargin`` before its `expires_in` runs out; a `401` from
/// the send drops it, and the retry fetches a new one.
///
/// Each ``send(_:to:)`` is one `POST <base>/v1/projects/<project_id>/messages:send` with
/// `authorization: Bearer <access token>` and the body
/// `{"message":{"token":…,"notification":{"title":…,"body":…},"data":{…},"android":{"collapse_key":…,"priority":"high"},"apns":{"headers":{"apns-collapse-id":…}}}}`:
/// the content-free alert of `MessagingDelivery.PushNotification`, its
/// `MessagingDelivery.PushNotification.data` and its collapse key; never message content.
///
/// Answers: `200` is `MessagingDelivery.PushDeliveryResult.delivered`; an error whose
/// `details` carry `"errorCode": "UNREGISTERED"` (FCM sends it with `404 NOT_FOUND`) is
/// `MessagingDelivery.PushDeliveryResult.tokenInvalid(reason:)`; everything else, and any
/// failure to get an access token, throws `MessagingDelivery.DeliveryError.Code.pushFailed`
/// naming the status and FCM's error code (never a token or the key), so the job is retried.
///
/// Thread safety: immutable apart from the access-token cache, an actor; safe to share
/// across tasks.
public struct FCMPushProvider: DevicePushProvider {
    /// The settings, validated.
    public let configuration: FCMConfiguration
    private let httpClient: HTTPClient
    private let clock: any WallClock
    private let logger: Logger
    private let tokens: FCMAccessTokens

    /// A provider for `configuration`, sending through `httpClient` (the process-wide shared
    /// client unless a host or a test brings its own), with token times from `clock`.
    ///
    /// Throws `MessagingDelivery.DeliveryError.Code.invalidConfiguration` when a value is
    /// unusable: an empty or malformed project id, client email or key id, a key that is not
    /// an RSA private key (at least 2,048 bits) in PEM form, a `token_uri` or API base URL
    /// that is not `https`, or a timeout that is not positive.
    public init(
        configuration: FCMConfiguration, httpClient: HTTPClient = .shared, clock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "messaging.push.fcm")
    ) throws(DeliveryError) {
        func invalid(_ message: String) -> DeliveryError {
            DeliveryError(code: .invalidConfiguration, message: "FCM: " + message)
        }
        let account = configuration.serviceAccount
        let projectCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:")
        guard !account.projectID.isEmpty, account.projectID.unicodeScalars.allSatisfy({ projectCharacters.contains($0) }) else {
            throw invalid("the project id must be the Firebase project id (project_id in the key file: lowercase letters, digits and hyphens).")
        }
        guard account.clientEmail.contains("@"), !account.clientEmail.contains(where: \.isWhitespace) else {
            throw invalid("client_email must be the service account's address (name@project.iam.gserviceaccount.com).")
        }
        guard !account.privateKeyID.isEmpty, !account.privateKeyID.contains(where: \.isWhitespace) else {
            throw invalid("private_key_id must be the id of the service account's key, as in the key file.")
        }
        let key: Insecure.RSA.PrivateKey
        do {
            key = try Insecure.RSA.PrivateKey(pem: account.privateKeyPEM)
        } catch {
            throw invalid("private_key does not parse as an RSA private key of at least 2048 bits in PEM form; pass the key file's private_key unchanged (BEGIN and END lines included).")
        }
        guard account.tokenURI.scheme?.lowercased() == "https", account.tokenURI.host?.isEmpty == false else {
            throw invalid("token_uri must be an https URL; Google's is \(FCMServiceAccount.googleTokenURI.absoluteString).")
        }
        guard PushHTTP.isHTTPSBase(configuration.apiBaseURL) else {
            throw invalid("the API base URL must be https://host[:port] without a path; the default is \(FCMConfiguration.fcmURL.absoluteString).")
        }
        guard configuration.requestTimeout > .zero else {
            throw invalid("the request timeout must be positive.")
        }
        guard configuration.tokenRefreshMargin >= .zero else {
            throw invalid("the token refresh margin must be zero or positive.")
        }
        self.configuration = configuration
        self.httpClient = httpClient
        self.clock = clock
        self.logger = logger
        tokens = FCMAccessTokens(
            account: account, key: key, httpClient: httpClient, timeout: configuration.requestTimeout,
            refreshMargin: configuration.tokenRefreshMargin)
    }

    /// `MessagingCore.PushPlatform.fcm`.
    public var platform: PushPlatform { .fcm }

    /// Sends `notification` to the device of `token` and reports what FCM answered.
    ///
    /// Throws `MessagingDelivery.DeliveryError.Code.pushFailed` for a token of another
    /// platform, when no access token can be had, and for every answer that may succeed later.
    public func send(_ notification: PushNotification, to token: PushToken) async throws -> PushDeliveryResult {
        guard token.platform == .fcm else {
            throw DeliveryError(code: .pushFailed, message: "FCM was handed a \(token.platform.rawValue) token; it serves fcm tokens only.")
        }
        guard !token.token.isEmpty else {
            return .tokenInvalid(reason: "MalformedRegistrationToken")
        }
        let accessToken = try await tokens.token(now: clock.now())
        var request = HTTPClientRequest(
            url: PushHTTP.origin(configuration.apiBaseURL) + "/v1/projects/" + configuration.serviceAccount.projectID + "/messages:send")
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer " + accessToken)
        request.headers.add(name: "content-type", value: "application/json; charset=UTF-8")
        do {
            request.body = .bytes(ByteBuffer(bytes: try Self.encoder.encode(FCMSendRequest(notification, token: token.token))))
        } catch {
            throw DeliveryError(code: .pushFailed, message: "FCM: the message could not be encoded.")
        }
        let answer = try await PushHTTP.execute(
            request, on: httpClient, timeout: configuration.requestTimeout, service: "FCM", secrets: [token.token, accessToken])
        if answer.status == 200 { return .delivered }
        let error = PushHTTP.jsonObject(answer.body)?["error"] as? [String: Any]
        let status = PushHTTP.safeCode(error?["status"] as? String)
        let errorCodes = ((error?["details"] as? [Any]) ?? []).compactMap { ($0 as? [String: Any])?["errorCode"] as? String }
        if errorCodes.contains("UNREGISTERED") {
            logger.info("FCM says the registration token is no longer registered", metadata: ["device": "\(token.deviceID)"])
            return .tokenInvalid(reason: "UNREGISTERED")
        }
        var message = "FCM answered \(answer.status) \(status ?? "(no status)")"
        if let code = PushHTTP.safeCode(errorCodes.first) { message += " (errorCode \(code))" }
        if answer.status == 401 {
            await tokens.discard(accessToken)
            throw DeliveryError(code: .pushFailed, message: message + "; the access token is dropped and the retry fetches a new one.")
        }
        if answer.status == 429, let retryAfter = PushHTTP.safeCode(answer.header("retry-after")) {
            message += ", retry after \(retryAfter) s"
        }
        throw DeliveryError(code: .pushFailed, message: message + "; the job is retried.")
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

/// The body of `messages:send`.
struct FCMSendRequest: Encodable {
    struct Message: Encodable {
        struct Notification: Encodable {
            let title: String
            let body: String
        }

        struct Android: Encodable {
            let collapseKey: String
            let priority = "high"

            enum CodingKeys: String, CodingKey {
                case collapseKey = "collapse_key"
                case priority
            }
        }

        struct APNs: Encodable {
            let headers: [String: String]
        }

        let token: String
        let notification: Notification
        let data: [String: String]
        let android: Android
        let apns: APNs
    }

    let message: Message

    init(_ notification: PushNotification, token: String) {
        message = Message(
            token: token, notification: .init(title: notification.alertTitle, body: notification.alertBody), data: notification.data,
            android: .init(collapseKey: notification.collapseKey), apns: .init(headers: ["apns-collapse-id": notification.collapseKey]))
    }
}
