/// Media attachments: upload slots, the check of uploaded objects before a send names them,
/// downloads for members, and the deletion of uploads nobody attached.
///
/// The flow:
/// 1. ``uploadSlot(_:in:by:)``: a member gets an ``Attachment`` record (id, object key,
///    expiry) and the upload URL the host's ``AttachmentTransferSigner`` makes for it
///    (``requestUpload(_:in:by:)`` makes the record alone).
/// 2. The client uploads the bytes there.
/// 3. ``prepareForSend(_:in:by:)`` checks each named upload's stored object (through the
///    host's ``AttachmentObjectStore``: I/O, outside any transaction) and returns the
///    ``AttachmentReference``s to put in the `MessageDraft`.
/// 4. `MessageService.send` checks, in its transaction, that each reference names an upload of
///    the sender in the same conversation, confirmed, not expired and not attached yet, and
///    attaches it to the new message.
/// 5. ``download(_:by:)``: members of the message's conversation get the record and a
///    short-lived download URL (``authorizeDownload(_:by:)`` checks without signing).
/// 6. ``purgeExpiredUploads(limit:)`` (a periodic job) deletes uploads never attached.
///
/// The HTTP routes and the realtime gateway both call ``uploadSlot(_:in:by:)`` and
/// ``download(_:by:)``, so they answer the same requests the same way.
///
/// Thread safety: immutable; safe to share across tasks.
public struct AttachmentService: Sendable {
    let context: ServiceContext

    /// The policy uploads are checked against.
    public var policy: AttachmentPolicy { context.configuration.attachments }

    /// Hands out an upload slot: checks the declared type and size against the policy and
    /// that `user` may post in `conversationID`, and stores the record.
    ///
    /// - Parameters:
    ///   - request: the file name (sanitized here), type and exact size.
    ///   - conversationID: where the attachment will be sent.
    ///   - user: the member asking; the only one who can attach it.
    /// - Throws: `notFound` for a non-member, `forbidden` when the member may not post,
    ///   `invalidInput` for a file name outside 1…``AttachmentUploadRequest/maximumFileNameByteCount``
    ///   bytes, a malformed or disallowed type, or a size outside
    ///   0…``AttachmentUploadRequest/maximumByteCount``, `limitExceeded` for a size over the
    ///   policy's maximum.
    public func requestUpload(
        _ request: AttachmentUploadRequest, in conversationID: ConversationID, by user: UserID
    ) async throws -> Attachment {
        let policy = self.policy
        guard (1...AttachmentUploadRequest.maximumFileNameByteCount).contains(request.fileName.utf8.count) else {
            throw MessagingError.invalidInput(
                "The file name is 1 to \(AttachmentUploadRequest.maximumFileNameByteCount) bytes of UTF-8.")
        }
        let type = try AttachmentReference(id: "x", mediaType: request.contentType, byteCount: 0).mediaType
        guard policy.allows(contentType: type) else {
            throw MessagingError.invalidInput(
                "Attachments of type '\(type)' are not allowed here; allowed: \(policy.allowedContentTypes.joined(separator: ", ")).")
        }
        guard (0...AttachmentUploadRequest.maximumByteCount).contains(request.byteCount) else {
            throw MessagingError.invalidInput(
                "The attachment size is the file's exact size in bytes, 0 to \(AttachmentUploadRequest.maximumByteCount).")
        }
        guard request.byteCount <= policy.maximumByteCount else {
            throw MessagingError.limitExceeded(
                "The attachment is \(request.byteCount) bytes; the limit is \(policy.maximumByteCount) bytes.")
        }
        let now = context.clock.now()
        let id = context.ids.next(IDKind.Attachment.self)
        let attachment = Attachment(
            id: id, ownerID: user, conversationID: conversationID, objectKey: Attachment.objectKey(for: id),
            fileName: AttachmentFileName.sanitize(request.fileName), contentType: type, byteCount: request.byteCount,
            createdAt: now, expiresAt: now.adding(milliseconds: max(1000, policy.uploadLifetimeMilliseconds)))
        let permissions = context.permissions
        try await context.write { transaction in
            let (conversation, me) = try transaction.requireMembership(of: user, in: conversationID)
            if conversation.kind == .channel { try permissions.require(me.role, to: .postInChannel) }
            try transaction.insert(attachment)
        }
        return attachment
    }

    /// Checks the uploads a send will name and returns their references, in the given order.
    ///
    /// Each must be an upload of `sender` for `conversationID`; an upload not confirmed yet is
    /// looked up in object storage (it must exist with exactly the declared size) and then
    /// marked confirmed. Whether it is still unattached and unexpired is checked again by the
    /// send's transaction.
    ///
    /// - Parameters:
    ///   - ids: the attachments the message names (duplicates refused).
    ///   - conversationID: the conversation of the send.
    ///   - sender: the member sending.
    /// - Throws: `notFound` for an unknown id or another member's upload, `invalidInput` when
    ///   the object is missing or has another size, or no object store is configured.
    public func prepareForSend(
        _ ids: [AttachmentID], in conversationID: ConversationID, by sender: UserID
    ) async throws -> [AttachmentReference] {
        guard !ids.isEmpty else { return [] }
        guard Set(ids).count == ids.count else {
            throw MessagingError.invalidInput("The message names the same attachment twice; name each once.")
        }
        guard ids.count <= context.limits.maxAttachments else {
            throw MessagingError.limitExceeded(
                "The message has \(ids.count) attachments; at most \(context.limits.maxAttachments) are allowed.")
        }
        let records = try await context.store.read { transaction in
            try ids.map { id in
                guard let record = try transaction.attachment(id: id), record.ownerID == sender,
                      record.conversationID == conversationID
                else { throw Self.unknown(id) }
                return record
            }
        }
        var unconfirmed: [AttachmentID] = []
        for record in records where record.confirmedAt == nil {
            guard let objects = context.attachmentObjects else {
                throw MessagingError.invalidInput(
                    "This server has no media store: it was set up without an AttachmentObjectStore (Messaging.storingAttachments(in:)).")
            }
            let stored = try await objects.storedByteCount(ofObject: record.objectKey)
            guard let stored else {
                throw MessagingError.invalidInput(
                    "Attachment \(record.id) has not been uploaded; upload the file to its upload URL before sending.")
            }
            guard stored == record.byteCount else {
                throw MessagingError.invalidInput(
                    "Attachment \(record.id) was uploaded with \(stored) bytes but declared \(record.byteCount); request a new upload slot with the exact size.")
            }
            unconfirmed.append(record.id)
        }
        if !unconfirmed.isEmpty {
            let now = context.clock.now()
            let confirmed = unconfirmed
            try await context.write { transaction in
                for id in confirmed { try transaction.confirmUpload(of: id, at: now) }
            }
        }
        return records.map(\.reference)
    }

    /// The attachment a download is for, when `user` may download it: it is attached to a
    /// message that is not deleted, in a conversation `user` is a member of (and whose sender
    /// `user` does not block).
    ///
    /// - Parameters:
    ///   - id: the attachment.
    ///   - user: who asks.
    /// - Throws: `notFound` otherwise, the same answer for a missing attachment, so a
    ///   non-member learns nothing.
    public func authorizeDownload(_ id: AttachmentID, by user: UserID) async throws -> Attachment {
        try await context.store.read { transaction in
            guard let record = try transaction.attachment(id: id), let messageID = record.messageID,
                  let message = try transaction.message(id: messageID), !message.isDeleted,
                  try transaction.member(user, in: message.conversationID) != nil,
                  !(try transaction.blockedSenders(of: user).contains(message.senderID))
            else { throw Self.unknown(id) }
            return record
        }
    }

    /// Hands out an upload slot with its upload URL: ``requestUpload(_:in:by:)``, then the
    /// host's ``AttachmentTransferSigner`` signs where the bytes go.
    ///
    /// - Parameters:
    ///   - request: the file name (sanitized here), type and exact size.
    ///   - conversationID: where the attachment will be sent.
    ///   - user: the member asking; the only one who can attach it.
    /// - Throws: what ``requestUpload(_:in:by:)`` throws; `invalidInput` when media is not
    ///   configured (no signer, see `Messaging.signingAttachmentTransfers(with:)`), checked
    ///   before anything is stored; `storage` when the signer fails.
    public func uploadSlot(
        _ request: AttachmentUploadRequest, in conversationID: ConversationID, by user: UserID
    ) async throws -> AttachmentUploadSlot {
        let signer = try requireSigner()
        let attachment = try await requestUpload(request, in: conversationID, by: user)
        // A record whose URL could not be signed expires unattached and is purged.
        let upload = try await Self.signing { try await signer.uploadTarget(for: attachment) }
        return AttachmentUploadSlot(attachment: attachment, upload: upload)
    }

    /// A short-lived download URL of an attachment, for members of the conversation of the
    /// message it belongs to: ``authorizeDownload(_:by:)``, then the host's
    /// ``AttachmentTransferSigner`` signs it.
    ///
    /// - Parameters:
    ///   - id: the attachment.
    ///   - user: who asks.
    /// - Throws: `notFound` for everyone who may not download it (the same answer as for a
    ///   missing attachment); `invalidInput` when media is not configured; `storage` when the
    ///   signer fails.
    public func download(_ id: AttachmentID, by user: UserID) async throws -> AttachmentDownload {
        let signer = try requireSigner()
        let attachment = try await authorizeDownload(id, by: user)
        let target = try await Self.signing { try await signer.downloadTarget(for: attachment) }
        return AttachmentDownload(attachment: attachment, target: target)
    }

    private func requireSigner() throws(MessagingError) -> any AttachmentTransferSigner {
        guard let signer = context.attachmentTransfers else {
            throw MessagingError.invalidInput(
                "Media attachments are not configured on this server: it was set up without an AttachmentTransferSigner (Messaging.signingAttachmentTransfers(with:)), so it hands out no upload or download URLs.")
        }
        return signer
    }

    /// Runs a signer call; its failures (not the caller's fault) become `storage`.
    private static func signing(
        _ body: () async throws -> AttachmentTransferTarget
    ) async throws -> AttachmentTransferTarget {
        do {
            return try await body()
        } catch let error as MessagingError {
            throw error
        } catch {
            throw MessagingError(code: .storage, message: "The media store could not sign the URL; retry later.", cause: error)
        }
    }

    /// Deletes every upload of `user` that belongs to no message (pending slots, and the
    /// released attachments of its deleted messages): the object first (through the
    /// ``AttachmentObjectStore``), then the record, in batches. The erasure of an account
    /// (``AccountService/eraseData(of:messages:)``) runs it; idempotent.
    func deleteUnattachedUploads(of user: UserID) async throws {
        while true {
            let batch = try await context.store.read { try $0.unattachedAttachments(ownedBy: user, limit: 200) }
            for record in batch {
                try await context.attachmentObjects?.deleteObject(record.objectKey)
                _ = try await context.write { try $0.deleteUnattachedAttachment(record.id) }
            }
            if batch.count < 200 { return }
        }
    }

    /// Deletes up to `limit` uploads whose slot expired without being attached: the object
    /// first (through the ``AttachmentObjectStore``), then the record. Returns how many it
    /// deleted; call again while it returns `limit`.
    ///
    /// - Parameter limit: the most uploads handled in one call (clamped to 1…1,000).
    public func purgeExpiredUploads(limit: Int = 200) async throws -> Int {
        let now = context.clock.now()
        let expired = try await context.store.read { try $0.expiredUnattachedAttachments(at: now, limit: min(max(limit, 1), 1000)) }
        var deleted = 0
        for record in expired {
            try await context.attachmentObjects?.deleteObject(record.objectKey)
            if try await context.write({ try $0.deleteUnattachedAttachment(record.id) }) { deleted += 1 }
        }
        return deleted
    }

    static func unknown(_ id: AttachmentID) -> MessagingError {
        .notFound("Attachment \(id) does not exist or is not yours to use; request an upload slot first.")
    }
}

extension MessageService {
    /// Inside a send's transaction: checks every reference of `draft` against its attachment
    /// record and attaches each to `messageID` (see ``AttachmentService``).
    static func attach(
        _ references: [AttachmentReference], to messageID: MessageID, in conversationID: ConversationID,
        by sender: UserID, at now: Timestamp, transaction: any MessagingTransaction
    ) throws {
        for reference in references {
            guard let id = AttachmentID(reference.id), let record = try transaction.attachment(id: id),
                  record.ownerID == sender, record.conversationID == conversationID
            else {
                throw MessagingError.notFound(
                    "Attachment '\(reference.id.prefix(64))' does not exist or is not yours to use; request an upload slot first.")
            }
            guard record.reference == reference else {
                throw MessagingError.invalidInput(
                    "Attachment \(id)'s name, type or size differ from its upload slot; send the reference the server returned.")
            }
            guard record.confirmedAt != nil else {
                throw MessagingError.invalidInput(
                    "Attachment \(id) has not been checked in object storage; upload it and send it through AttachmentService.prepareForSend.")
            }
            guard record.messageID == nil else {
                throw MessagingError.conflict("Attachment \(id) already belongs to a message; upload the file again to send it again.")
            }
            guard now < record.expiresAt else {
                throw MessagingError.invalidInput("The upload slot of attachment \(id) expired; request a new one and upload again.")
            }
            guard try transaction.attach(id, to: messageID) else {
                throw MessagingError.conflict("Attachment \(id) already belongs to a message; upload the file again to send it again.")
            }
        }
    }
}
