import Foundation
import Hummingbird
import MessagingCore
import MessagingMedia

/// An attachment record as the API shows it.
struct AttachmentJSON: Encodable, Sendable {
    let id: String
    let fileName: String
    let contentType: String
    let size: Int64
    let createdAt: Int64
    let expiresAt: Int64
    let messageId: String?

    init(_ attachment: Attachment) {
        id = attachment.id.description
        fileName = attachment.fileName
        contentType = attachment.contentType
        size = attachment.byteCount
        createdAt = attachment.createdAt.millisecondsSince1970
        expiresAt = attachment.expiresAt.millisecondsSince1970
        messageId = attachment.messageID?.description
    }
}

extension ChatAPI {
    struct UploadSlotBody: RequestBody {
        static let fields = ["fileName", "contentType", "size"]
        let fileName: String
        let contentType: String
        let size: Int64
    }

    func attachmentRoutes() -> [APIRoute] {
        [
            APIRoute(method: .post, path: "/v1/conversations/:id/attachments", handler: requestUpload),
            APIRoute(method: .get, path: "/v1/attachments/:attachmentId/download", handler: requestDownload),
            APIRoute(method: .put, path: "/media/uploads/:objectId", handler: receiveMedia),
            APIRoute(method: .get, path: "/media/uploads/:objectId", handler: serveMedia),
        ]
    }

    /// `POST /v1/conversations/{id}/attachments`: an upload slot (201) with the URL to upload to.
    @Sendable func requestUpload(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let id = try context.identifier("id", as: ConversationID.self)
        let body = try await request.decodeJSON(UploadSlotBody.self, limit: limits.maxRequestBodyBytes)
        guard (1...1024).contains(body.fileName.utf8.count) else {
            throw APIError.invalidField("fileName", "is 1 to 1,024 bytes of UTF-8")
        }
        let attachment = try await messaging.attachments.requestUpload(
            AttachmentUploadRequest(fileName: body.fileName, contentType: body.contentType, byteCount: body.size),
            in: id, by: principal.userID)
        let target = try await media.uploadTarget(for: attachment)
        context.logger.info("upload slot", metadata: [
            "conversation": "\(id)", "attachment": "\(attachment.id)", "size": "\(attachment.byteCount)",
        ])
        return try json(
            JSONObject([
                "attachment": AttachmentJSON(attachment),
                "upload": JSONObject([
                    "method": target.method, "url": target.url.absoluteString, "headers": target.headers,
                    "expiresAt": target.expiresAt.millisecondsSince1970,
                ]),
            ]),
            status: .created)
    }

    /// `GET /v1/attachments/{attachmentId}/download`: a short-lived download URL, for members
    /// of the conversation of the message it belongs to (404 for everyone else).
    @Sendable func requestDownload(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        _ = try QueryInput(request, allowed: [])
        let principal = try await principal(request)
        let id = try context.identifier("attachmentId", as: AttachmentID.self)
        let attachment = try await messaging.attachments.authorizeDownload(id, by: principal.userID)
        let target = try await media.downloadTarget(for: attachment)
        return try json(JSONObject([
            "attachment": AttachmentJSON(attachment), "url": target.url.absoluteString,
            "expiresAt": target.expiresAt.millisecondsSince1970,
        ]))
    }

    /// The local store's object key and signed grant of a `/media/uploads/{objectId}` request.
    private func mediaGrant(_ request: Request, _ context: ChatRequestContext, method: String) throws -> (LocalMediaStore, LocalMediaGrant) {
        guard let local = media.local else { throw APIError.routeNotFound }
        let object = try context.decodedParameter("objectId")
        let query = URLComponents(string: "http://host/?" + (request.uri.query ?? ""))?.queryItems ?? []
        let grant = try local.verify(method: method, key: "uploads/\(object)", queryItems: query)
        return (local, grant)
    }

    /// `PUT /media/uploads/{objectId}?…signature`: stores an upload of the local store,
    /// streamed to disk, exactly the signed size and type.
    @Sendable func receiveMedia(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let (local, grant) = try mediaGrant(request, context, method: "PUT")
        try grant.checkUploadContentType(request.headers[.contentType])
        if let length = request.headers[.contentLength].flatMap({ Int64($0) }), length != grant.sizeLimit {
            throw MediaError(
                code: .sizeMismatch,
                message: "the upload is \(length) bytes but its slot declared \(grant.sizeLimit); request a slot with the exact size")
        }
        let stored = try await local.write(grant.key, from: request.body.map { $0.readableBytesView }, grant: grant)
        context.logger.info("media stored", metadata: ["key": "\(grant.key)", "bytes": "\(stored)"])
        return Response(status: .ok, headers: [.contentLength: "0"])
    }

    /// `GET /media/uploads/{objectId}?…signature`: streams an object of the local store with
    /// the signed type and disposition and `nosniff`.
    @Sendable func serveMedia(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let (local, grant) = try mediaGrant(request, context, method: "GET")
        let reader = try local.read(grant.key)
        var headers: HTTPFields = [:]
        headers[.contentType] = grant.contentType
        headers[.contentDisposition] = grant.contentDisposition
        headers[.xContentTypeOptions] = "nosniff"
        headers[.cacheControl] = "private, no-store"
        headers[.contentLength] = String(reader.byteCount)
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody(contentLength: Int(reader.byteCount)) { writer in
                for try await chunk in reader { try await writer.write(ByteBuffer(bytes: chunk)) }
                try await writer.finish(nil)
            })
    }
}
