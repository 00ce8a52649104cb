import Foundation
import MessagingDelivery

/// The Google service account ``FCMPushProvider`` authenticates as: the fields of the JSON
/// key file the Firebase console (Project settings, Service accounts) or Google Cloud IAM
/// hands out.
///
/// Load the file with ``init(json:)``; it reads `project_id`, `client_email`,
/// `private_key`, `private_key_id` and `token_uri` and ignores the rest. The provider's
/// initializer checks the values (the key must be an RSA private key of at least 2,048
/// bits). ``description`` never shows the private key.
///
/// Thread safety: a value type; safe to share across tasks.
public struct FCMServiceAccount: Sendable, CustomStringConvertible {
    /// Google's OAuth 2.0 token endpoint, the `token_uri` of every service-account file.
    public static let googleTokenURI = URL(string: "https://oauth2.googleapis.com/token")!

    /// The Firebase project that owns the device tokens (`project_id`).
    public var projectID: String
    /// The service account's address (`client_email`), the assertion's `iss`.
    public var clientEmail: String
    /// The service account's RSA private key in PEM form (`private_key`).
    public var privateKeyPEM: String
    /// The id of that key (`private_key_id`), the assertion header's `kid`.
    public var privateKeyID: String
    /// Where access tokens are requested (`token_uri`), the assertion's `aud`.
    public var tokenURI: URL

    /// Makes an account from its parts.
    public init(projectID: String, clientEmail: String, privateKeyPEM: String, privateKeyID: String, tokenURI: URL = FCMServiceAccount.googleTokenURI) {
        self.projectID = projectID
        self.clientEmail = clientEmail
        self.privateKeyPEM = privateKeyPEM
        self.privateKeyID = privateKeyID
        self.tokenURI = tokenURI
    }

    /// Reads a service-account JSON key file.
    ///
    /// A missing `token_uri` means ``googleTokenURI``. Throws
    /// `MessagingDelivery.DeliveryError.Code.invalidConfiguration` when the bytes are not a
    /// JSON object, a required field is missing or not a string, or `token_uri` is not a URL.
    public init(json: Data) throws(DeliveryError) {
        guard let object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw DeliveryError(
                code: .invalidConfiguration,
                message: "FCM: the service account is not a JSON object; pass the whole key file downloaded from the Firebase console.")
        }
        func field(_ name: String) throws(DeliveryError) -> String {
            guard let value = object[name] as? String, !value.isEmpty else {
                throw DeliveryError(
                    code: .invalidConfiguration,
                    message: "FCM: the service account JSON has no '\(name)'; download a new key file (Firebase console, Project settings, Service accounts).")
            }
            return value
        }
        if let type = object["type"] as? String, type != "service_account" {
            throw DeliveryError(
                code: .invalidConfiguration,
                message: "FCM: the JSON is a '\(PushHTTP.safeCode(type) ?? "?")' credential; a service-account key file (\"type\": \"service_account\") is needed.")
        }
        let tokenURI: URL
        if object["token_uri"] == nil {
            tokenURI = Self.googleTokenURI
        } else {
            guard let url = URL(string: try field("token_uri")) else {
                throw DeliveryError(code: .invalidConfiguration, message: "FCM: the service account's 'token_uri' is not a URL.")
            }
            tokenURI = url
        }
        self.init(
            projectID: try field("project_id"), clientEmail: try field("client_email"), privateKeyPEM: try field("private_key"),
            privateKeyID: try field("private_key_id"), tokenURI: tokenURI)
    }

    /// The account, with the private key left out.
    public var description: String {
        "FCMServiceAccount(projectID: \(projectID), clientEmail: \(clientEmail), privateKeyID: \(privateKeyID), "
            + "tokenURI: \(tokenURI.absoluteString), privateKey: <redacted>)"
    }
}

/// What ``FCMPushProvider`` needs to reach Firebase Cloud Messaging's HTTP v1 API.
///
/// Thread safety: a value type; safe to share across tasks.
public struct FCMConfiguration: Sendable, CustomStringConvertible {
    /// Google's FCM host.
    public static let fcmURL = URL(string: "https://fcm.googleapis.com")!

    /// The account that signs the OAuth assertion and owns the project.
    public var serviceAccount: FCMServiceAccount
    /// Where `v1/projects/<project>/messages:send` lives; ``fcmURL`` unless a test points it elsewhere.
    public var apiBaseURL: URL
    /// How long one request (token or send) may take before it fails with
    /// `MessagingDelivery.DeliveryError.Code.pushFailed`. Default 10 seconds.
    public var requestTimeout: Duration
    /// How long before an access token runs out (`expires_in`) a new one is fetched.
    /// Default 60 seconds, so no request leaves with a token about to expire.
    public var tokenRefreshMargin: Duration

    /// Makes a configuration; the provider's initializer validates it.
    public init(
        serviceAccount: FCMServiceAccount, apiBaseURL: URL = FCMConfiguration.fcmURL, requestTimeout: Duration = .seconds(10),
        tokenRefreshMargin: Duration = .seconds(60)
    ) {
        self.serviceAccount = serviceAccount
        self.apiBaseURL = apiBaseURL
        self.requestTimeout = requestTimeout
        self.tokenRefreshMargin = tokenRefreshMargin
    }

    /// The settings, with the private key left out.
    public var description: String {
        "FCMConfiguration(\(serviceAccount), apiBaseURL: \(apiBaseURL.absoluteString))"
    }
}
