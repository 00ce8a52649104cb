import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An upload slot as `POST /v1/conversations/{id}/attachments` answers it.
struct UploadSlot: Sendable {
    let id: String
    let url: String
    let headers: [String: String]
}

extension HTTPClient {
    /// Asks for an upload slot; fails the test unless it is answered with 201.
    func uploadSlot(
        in conversation: String, as user: Login, fileName: String = "report.pdf", contentType: String = "application/pdf",
        size: Int
    ) async throws -> UploadSlot {
        let answer = try await call(
            "POST", "/v1/conversations/\(conversation)/attachments", token: user.token,
            json: ["fileName": fileName, "contentType": contentType, "size": size] as [String: Any])
        try #require(answer.status == 201, "upload slot: \(answer)")
        let attachment = try #require(answer["attachment"] as? [String: Any])
        let upload = try #require(answer["upload"] as? [String: Any])
        return UploadSlot(
            id: try #require(attachment["id"] as? String), url: try #require(upload["url"] as? String),
            headers: try #require(upload["headers"] as? [String: String]))
    }

    /// The path and query of an absolute URL this server handed out.
    func relative(_ url: String) throws -> String {
        guard url.hasPrefix(base) else { throw TestFailure.unexpected("\(url) is not on \(base)") }
        return String(url.dropFirst(base.count))
    }

    /// `PUT`s `bytes` to an upload URL with the slot's headers.
    func upload(_ bytes: Data, to slot: UploadSlot, headers extra: [String: String] = [:]) async throws -> Answer {
        // Header names are case-insensitive: an extra one replaces the slot's of any case.
        var headers = slot.headers.filter { name, _ in !extra.keys.contains { $0.lowercased() == name.lowercased() } }
        for (name, value) in extra { headers[name] = value }
        return try await call("PUT", try relative(slot.url), body: bytes, headers: headers)
    }

    /// Sends a text message naming uploads.
    func send(
        _ text: String, attachments: [String], to conversation: String, as user: Login, key: String = UUID().uuidString
    ) async throws -> Answer {
        try await call(
            "POST", "/v1/conversations/\(conversation)/messages", token: user.token,
            json: ["clientMessageId": key, "body": text, "attachments": attachments] as [String: Any])
    }

    /// Asks for a download URL of an attachment.
    func downloadURL(_ attachment: String, as user: Login) async throws -> Answer {
        try await call("GET", "/v1/attachments/\(attachment)/download", token: user.token)
    }
}
