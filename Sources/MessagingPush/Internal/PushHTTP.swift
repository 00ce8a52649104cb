import AsyncHTTPClient
import Foundation
import MessagingDelivery
import NIOCore

/// The HTTP plumbing both adapters share: one request with a deadline, the answer's body
/// read up to a bound, and errors that never repeat a secret.
enum PushHTTP {
    /// The most bytes of an answer body read (APNs and FCM answer a few hundred).
    static let maxResponseBytes = 64 * 1024

    /// A status and the body read so far.
    struct Answer: Sendable {
        let status: Int
        let headers: [(String, String)]
        let body: [UInt8]

        /// The first value of header `name` (case-insensitive).
        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name }?.1
        }
    }

    /// Executes `request` and reads the answer; a transport failure or the timeout throws
    /// `MessagingDelivery.DeliveryError.Code.pushFailed` naming `service` and what failed, never a secret in
    /// `secrets` (the device token, a bearer token), which are checked against the cause's
    /// description before it is attached.
    static func execute(
        _ request: HTTPClientRequest, on client: HTTPClient, timeout: Duration, service: String, secrets: [String]
    ) async throws -> Answer {
        let amount = TimeAmount.nanoseconds(
            Int64(timeout.components.seconds) * 1_000_000_000 + Int64(timeout.components.attoseconds / 1_000_000_000))
        do {
            // AsyncHTTPClient's deadline bounds the wait for the answer's head; the race with a
            // timer also bounds reading the body, so a stalled stream cannot hold a job forever.
            return try await withThrowingTaskGroup(of: Answer?.self) { group in
                group.addTask {
                    let response = try await client.execute(request, timeout: amount)
                    var buffer = try await response.body.collect(upTo: maxResponseBytes)
                    let body = buffer.readBytes(length: buffer.readableBytes) ?? []
                    return Answer(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: body)
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let answer = first else { throw AnswerTimedOut() }
                return answer
            }
        } catch {
            throw transportError(error, service: service, secrets: secrets)
        }
    }

    /// The answer did not arrive completely within the request timeout.
    struct AnswerTimedOut: Error, CustomStringConvertible {
        var description: String { "the answer did not complete within the request timeout" }
    }

    /// `MessagingDelivery.DeliveryError.Code.pushFailed` for a request that got no complete answer.
    static func transportError(_ error: any Error, service: String, secrets: [String]) -> DeliveryError {
        let described = String(describing: error)
        let safe = !secrets.contains { !$0.isEmpty && described.contains($0) }
        return DeliveryError(
            code: .pushFailed,
            message: "\(service) could not be reached or did not answer in time (\(type(of: error))); the job is retried.",
            cause: safe ? error : nil)
    }

    /// `true` when `url` is an absolute `https` URL with a host and no path, query or fragment
    /// beyond a lone `/`.
    static func isHTTPSBase(_ url: URL) -> Bool {
        guard url.scheme?.lowercased() == "https", let host = url.host, !host.isEmpty else { return false }
        return (url.path.isEmpty || url.path == "/") && url.query == nil && url.fragment == nil
    }

    /// `base` without a trailing slash, ready for a path to be appended.
    static func origin(_ base: URL) -> String {
        var string = base.absoluteString
        while string.hasSuffix("/") { string.removeLast() }
        return string
    }

    /// A JSON object of `body`, or `nil` when it is not one.
    static func jsonObject(_ body: [UInt8]) -> [String: Any]? {
        guard !body.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    /// `value` reduced to characters safe to repeat in an error message: letters, digits and
    /// `_ - .`, at most 64 of them (service error codes such as `BadDeviceToken`).
    static func safeCode(_ value: String?) -> String? {
        guard let value else { return nil }
        let kept = value.unicodeScalars.filter {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "_-.".unicodeScalars.contains($0)
        }
        let code = String(String.UnicodeScalarView(kept.prefix(64)))
        return code.isEmpty ? nil : code
    }
}

/// A JSON object key built at run time (the app data keys of an APNs payload).
struct DynamicCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
