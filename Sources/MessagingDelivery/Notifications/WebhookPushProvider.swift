import Foundation
import MessagingCore
import MessagingSodium
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A ``PushProvider`` that POSTs each notification as JSON to a webhook, signed with
/// HMAC-SHA256.
///
/// Headers: `X-Messaging-Timestamp` (milliseconds since 1970) and
/// `X-Messaging-Signature: sha256=<hex>`, the HMAC-SHA256 under the shared secret of
/// `"<timestamp>." + body`. A receiver recomputes it, compares in constant time, and
/// rejects stale timestamps. A non-2xx answer, a transport error or the timeout throws
/// ``DeliveryError/Code/pushFailed`` (the job runner retries, then dead-letters).
///
/// Thread safety: immutable; safe to share across tasks.
public struct WebhookPushProvider: PushProvider {
    private let url: URL
    private let secret: [UInt8]
    private let timeout: Duration
    private let wallClock: any WallClock

    /// A provider posting to `url`, signing with `secret`, giving up after `timeout`.
    public init(url: URL, secret: [UInt8], timeout: Duration = .seconds(5), wallClock: any WallClock = SystemWallClock()) throws {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw DeliveryError(code: .invalidConfiguration, message: "The webhook URL must be http or https.")
        }
        guard !secret.isEmpty else {
            throw DeliveryError(code: .invalidConfiguration, message: "The webhook secret must not be empty.")
        }
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.wallClock = wallClock
    }

    /// The signature header value for a body sent at `timestamp`.
    public static func signature(body: [UInt8], timestamp: Int64, secret: [UInt8]) -> String {
        "sha256=" + Sodium.hex(Sodium.hmacSHA256(Array("\(timestamp).".utf8) + body, key: secret))
    }

    public func push(_ notification: PushNotification) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = Array(try encoder.encode(notification))
        let timestamp = wallClock.now().millisecondsSince1970
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: seconds)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(String(timestamp), forHTTPHeaderField: "X-Messaging-Timestamp")
        request.setValue(Self.signature(body: body, timestamp: timestamp, secret: secret), forHTTPHeaderField: "X-Messaging-Signature")
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = seconds
        configuration.timeoutIntervalForResource = seconds
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let response: URLResponse
        do {
            (_, response) = try await session.data(for: request)
        } catch {
            throw DeliveryError(
                code: .pushFailed, message: "The webhook at \(url.host ?? "?") could not be reached or timed out.", cause: error)
        }
        guard let status = (response as? HTTPURLResponse)?.statusCode, (200..<300).contains(status) else {
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            throw DeliveryError(code: .pushFailed, message: "The webhook answered HTTP \(status); expected 2xx.")
        }
    }
}
