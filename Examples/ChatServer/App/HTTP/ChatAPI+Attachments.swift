import Foundation
import Hummingbird
import MessagingCore
import MessagingMedia
import MessagingWire

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
        guard (1...AttachmentUploadRequest.maximumFileNameByteCount).contains(body.fileName.utf8.count) else {
            throw APIError.invalidField("fileName", "is 1 to 1,024 bytes of UTF-8")
        }
        // The use case the realtime `attachment.upload` runs: the same checks and answers.
        let slot = try await messaging.attachments.uploadSlot(
            AttachmentUploadRequest(fileName: body.fileName, contentType: body.contentType, byteCount: body.size),
            in: id, by: principal.userID)
        context.logger.info("upload slot", metadata: [
            "conversation": "\(id)", "attachment": "\(slot.attachment.id)", "size": "\(slot.attachment.byteCount)",
        ])
        return try json(
            JSONObject(["attachment": WireAttachment(slot.attachment), "upload": WireTransferTarget(slot.upload)]),
            status: .created)
    }

    /// `GET /v1/attachments/{attachmentId}/download`: a short-lived download URL, for members
    /// of the conversation of the message it belongs to (404 for everyone else).
    @Sendable func requestDownload(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        _ = try QueryInput(request, allowed: [])
        let principal = try await principal(request)
        try admit(.query, user: principal.userID, context: context)
        let id = try context.identifier("attachmentId", as: AttachmentID.self)
        // The use case the realtime `attachment.download` runs.
        let download = try await messaging.attachments.download(id, by: principal.userID)
        return try json(JSONObject([
            "attachment": WireAttachment(download.attachment), "url": download.target.url.absoluteString,
            "expiresAt": download.target.expiresAt.millisecondsSince1970,
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
