import AsyncHTTPClient
import Foundation
import Logging
import MessagingCore
import MessagingDelivery

/// Builds the push providers a server was configured with from the files the services
/// hand out: the APNs `.p8` key and the FCM service-account JSON (what ChatServer's and
/// DeliveryWorker's command lines read).
///
/// Thread safety: stateless; safe to call from any task.
public enum PushProviderFiles {
    /// The APNs settings of a server: all four or none.
    public struct APNs: Sendable {
        /// The `.p8` key file (`AuthKey_<KEYID>.p8`).
        public var keyFile: URL
        /// The key's id (10 characters).
        public var keyID: String
        /// The Apple Developer team id (10 characters).
        public var teamID: String
        /// The app's bundle id (`apns-topic`).
        public var topic: String

        /// Makes the settings.
        public init(keyFile: URL, keyID: String, teamID: String, topic: String) {
            self.keyFile = keyFile
            self.keyID = keyID
            self.teamID = teamID
            self.topic = topic
        }
    }

    /// The providers for `apns` and an FCM service-account file `fcmServiceAccount`, each
    /// when given; an empty list when neither is.
    ///
    /// Throws `MessagingDelivery.DeliveryError.Code.invalidConfiguration` naming the file that
    /// cannot be read or the value to fix.
    public static func providers(
        apns: APNs?, fcmServiceAccount: URL?, httpClient: HTTPClient = .shared, logger: Logger
    ) throws(DeliveryError) -> [any DevicePushProvider] {
        var providers: [any DevicePushProvider] = []
        if let apns {
            let pem = try read(apns.keyFile, what: "the APNs key (.p8)")
            let configuration = APNsConfiguration(
                teamID: apns.teamID, keyID: apns.keyID, privateKeyPEM: String(decoding: pem, as: UTF8.self), topic: apns.topic)
            providers.append(try APNsPushProvider(configuration: configuration, httpClient: httpClient, logger: logger))
        }
        if let fcmServiceAccount {
            let account = try FCMServiceAccount(json: try read(fcmServiceAccount, what: "the FCM service-account key (JSON)"))
            providers.append(
                try FCMPushProvider(configuration: FCMConfiguration(serviceAccount: account), httpClient: httpClient, logger: logger))
        }
        return providers
    }

    private static func read(_ file: URL, what: String) throws(DeliveryError) -> Data {
        do {
            return try Data(contentsOf: file)
        } catch {
            throw DeliveryError(
                code: .invalidConfiguration, message: "\(what) cannot be read from \(file.path): check the path and its permissions.")
        }
    }
}
