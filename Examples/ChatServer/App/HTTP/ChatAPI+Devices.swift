import Foundation
import Hummingbird
import MessagingCore
import MessagingDelivery
import MessagingWire

/// The end-to-end encryption directory over HTTP: the same use cases (`Messaging.devices`)
/// and the same JSON objects as the realtime requests `device.publish`, `device.remove`,
/// `devices`, `envelopes.upload` and `envelopes` (Documentation/Protocol.md §3).
extension ChatAPI {
    struct PublishDeviceBody: RequestBody {
        static let fields = ["bundle"]
        let bundle: String
    }

    struct UploadEnvelopesBody: RequestBody {
        static let fields = ["epoch", "senderDevice", "envelopes"]
        let epoch: Int64
        let senderDevice: String
        let envelopes: [String]
    }

    /// An envelope is 400 characters in its text form, and a new epoch goes to every device
    /// in one upload: room for the 1,000 envelopes an upload may carry.
    static let envelopeUploadBodyLimit = 512 * 1024

    func deviceRoutes() -> [APIRoute] {
        [
            APIRoute(method: .post, path: "/v1/devices", handler: publishDevice),
            APIRoute(method: .delete, path: "/v1/devices/:deviceId", handler: removeDevice),
            APIRoute(method: .get, path: "/v1/devices/:deviceId/envelopes", handler: deviceEnvelopes),
            APIRoute(method: .get, path: "/v1/conversations/:id/devices", handler: conversationDevices),
            APIRoute(method: .post, path: "/v1/conversations/:id/envelopes", handler: uploadEnvelopes),
        ]
    }

    @Sendable func publishDevice(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let body = try await request.decodeJSON(PublishDeviceBody.self, limit: limits.maxRequestBodyBytes)
        guard let bundle = E2EEText.decode(body.bundle) else {
            throw APIError.invalidField("bundle", "must be a device bundle in the E2EE text form (base64url without padding)")
        }
        let publication = try await messaging.devices.publish(bundle, by: principal.userID)
        if publication.isNew {
            context.logger.info("device published", metadata: ["device": "\(publication.device.id)", "user": "\(principal.userID)"])
        }
        return try json(JSONObject(["device": WireDevice(publication.device)]), status: publication.isNew ? .created : .ok)
    }

    @Sendable func removeDevice(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let device = try context.identifier("deviceId", as: DeviceID.self)
        let removal = try await messaging.devices.remove(device, by: principal.userID)
        context.logger.info("device removed", metadata: ["device": "\(device)", "user": "\(principal.userID)"])
        return try json(JSONObject(["device": WireDevice(removal.device)]))
    }

    @Sendable func deviceEnvelopes(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let query = try QueryInput(request, allowed: ["after", "limit"])
        let after = try query.integer("after", in: 0...Int64.max, default: 0)!
        let limit = try query.integer("limit", in: 1...200, default: 100)!
        let principal = try await principal(request)
        try admit(.query, user: principal.userID, context: context)
        let device = try context.identifier("deviceId", as: DeviceID.self)
        let page = try await messaging.devices.envelopes(for: device, after: after, limit: Int(limit), by: principal.userID)
        return try json(JSONObject(["envelopes": page.envelopes.map(WireEnvelope.init), "hasMore": page.hasMore]))
    }

    @Sendable func conversationDevices(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.query, user: principal.userID, context: context)
        let id = try context.identifier("id", as: ConversationID.self)
        let devices = try await messaging.devices.devices(of: id, for: principal.userID)
        return try json(WireConversationDevices(devices))
    }

    @Sendable func uploadEnvelopes(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let principal = try await principal(request)
        try admit(.message, user: principal.userID, context: context)
        let id = try context.identifier("id", as: ConversationID.self)
        let body = try await request.decodeJSON(UploadEnvelopesBody.self, limit: Self.envelopeUploadBodyLimit)
        guard body.epoch >= 1 else { throw APIError.invalidField("epoch", "is 1 or more") }
        let sender = try identifier(body.senderDevice, field: "senderDevice", as: DeviceID.self)
        guard (1...DeviceService.maxEnvelopesPerUpload).contains(body.envelopes.count) else {
            throw APIError.invalidField("envelopes", "holds 1 to \(DeviceService.maxEnvelopesPerUpload) envelopes")
        }
        var envelopes: [Data] = []
        for (index, text) in body.envelopes.enumerated() {
            guard let data = E2EEText.decode(text) else {
                throw APIError.invalidField("envelopes[\(index)]", "must be a key envelope in the E2EE text form (base64url without padding)")
            }
            envelopes.append(data)
        }
        let receipt = try await messaging.devices.uploadEnvelopes(
            envelopes, epoch: UInt64(body.epoch), from: sender, in: id, by: principal.userID)
        context.logger.info("key envelopes stored", metadata: [
            "conversation": "\(id)", "epoch": "\(body.epoch)", "count": "\(receipt.stored)", "rotated": "\(receipt.startedEpoch)",
        ])
        return try json(JSONObject([
            "keyEpoch": receipt.keyState.keyEpoch, "requiredEpoch": receipt.keyState.requiredEpoch, "stored": receipt.stored,
        ]))
    }
}
