import Foundation

/// What ``APNsPushProvider`` needs to reach Apple Push Notification service with
/// token-based authentication.
///
/// The credentials come from the Apple Developer account: a push key (the `.p8` file, a
/// P-256 private key in PEM form), its 10-character Key ID, and the 10-character Team ID.
/// ``topic`` is the app's bundle id. ``APNsPushProvider/init(configuration:httpClient:clock:logger:)``
/// checks every value and throws `MessagingDelivery.DeliveryError.Code.invalidConfiguration`
/// naming the one to fix.
///
/// ``description`` never shows the private key.
///
/// Thread safety: a value type; safe to share across tasks.
public struct APNsConfiguration: Sendable, CustomStringConvertible {
    /// Apple's production host, for tokens of apps signed for distribution.
    public static let productionURL = URL(string: "https://api.push.apple.com")!
    /// Apple's development host, for tokens registered with `sandbox == true`.
    public static let sandboxURL = URL(string: "https://api.sandbox.push.apple.com")!

    /// The Team ID of the Apple Developer account (the JWT's `iss`).
    public var teamID: String
    /// The Key ID of the push key (the JWT header's `kid`).
    public var keyID: String
    /// The push key: the contents of the `.p8` file, a P-256 private key in PEM form
    /// (`-----BEGIN PRIVATE KEY-----`).
    public var privateKeyPEM: String
    /// The app's bundle id, sent as `apns-topic`.
    public var topic: String
    /// Where production tokens go; ``productionURL`` unless a test points it elsewhere.
    public var productionBaseURL: URL
    /// Where sandbox tokens go; ``sandboxURL`` unless a test points it elsewhere.
    public var sandboxBaseURL: URL
    /// How long APNs keeps trying to reach an offline device: `apns-expiration` is the send
    /// time plus this. Default 24 hours: a notice of unread messages is still worth showing
    /// the next morning, while a week-old one is not (the app fetches the backlog when it
    /// opens anyway). `.zero` sends `apns-expiration: 0`, "now or never".
    public var expiration: Duration
    /// How long one request may take, connection included, before it fails with
    /// `MessagingDelivery.DeliveryError.Code.pushFailed`. Default 10 seconds.
    public var requestTimeout: Duration

    /// Makes a configuration; the provider's initializer validates it.
    public init(
        teamID: String, keyID: String, privateKeyPEM: String, topic: String,
        productionBaseURL: URL = APNsConfiguration.productionURL, sandboxBaseURL: URL = APNsConfiguration.sandboxURL,
        expiration: Duration = .seconds(86_400), requestTimeout: Duration = .seconds(10)
    ) {
        self.teamID = teamID
        self.keyID = keyID
        self.privateKeyPEM = privateKeyPEM
        self.topic = topic
        self.productionBaseURL = productionBaseURL
        self.sandboxBaseURL = sandboxBaseURL
        self.expiration = expiration
        self.requestTimeout = requestTimeout
    }

    /// The settings, with the private key left out.
    public var description: String {
        "APNsConfiguration(teamID: \(teamID), keyID: \(keyID), topic: \(topic), production: \(productionBaseURL.absoluteString), "
            + "sandbox: \(sandboxBaseURL.absoluteString), privateKey: <redacted>)"
    }
}
