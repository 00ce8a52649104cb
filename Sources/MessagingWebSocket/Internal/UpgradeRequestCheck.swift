import Foundation
import HTTPTypes

/// The checks of a WebSocket upgrade request (RFC 6455 §4.2.1) that do not depend on the
/// listener's state, in the order they are made.
enum UpgradeRequestCheck {
    /// Why `request` is not a valid WebSocket upgrade, or `nil` when it is one.
    static func refusal(for request: HTTPRequest) -> WebSocketUpgradeRefusal? {
        let upgrade = tokens(request.headerFields[values: .upgrade])
        let connection = tokens(request.headerFields[values: .connection])
        guard request.method == .get, upgrade.contains("websocket"), connection.contains("upgrade") else {
            return .notAnUpgrade
        }
        let versions = request.headerFields[values: .secWebSocketVersion]
        guard versions.count == 1, versions[0].trimmingCharacters(in: .whitespaces) == "13" else {
            return .unsupportedVersion
        }
        let keys = request.headerFields[values: .secWebSocketKey]
        guard keys.count == 1, let key = Data(base64Encoded: keys[0].trimmingCharacters(in: .whitespaces)), key.count == 16 else {
            return .invalidKey
        }
        return nil
    }

    /// The comma-separated tokens of a header's values, trimmed and lowercased.
    static func tokens(_ values: [String]) -> Set<String> {
        Set(values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
    }
}
