import Foundation

/// The JSON error body of the HTTP answers of the transport adapters (WebSocket upgrade
/// refusals, the Server-Sent Events binding), the same as the host's HTTP API:
/// `{"error":{"code","message"}}`.
package enum HTTPErrorBody {
    /// The body for `code` and `message`.
    package static func json(code: String, message: String) -> [UInt8] {
        let body = ["error": ["code": code, "message": message]]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return [UInt8](data)
    }
}
