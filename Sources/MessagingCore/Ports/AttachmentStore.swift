/// Attachment records (migration `v9-attachments` / `pg-v9-attachments`).
public protocol AttachmentStore {
    /// The attachment with `id`, if any.
    func attachment(id: AttachmentID) throws -> Attachment?
    /// Stores a new attachment record.
    func insert(_ attachment: Attachment) throws
    /// Records that the stored object was seen with the declared size (no change when it
    /// was confirmed before).
    func confirmUpload(of id: AttachmentID, at time: Timestamp) throws
    /// Attaches the attachment to `message` unless it is attached already; returns whether
    /// it attached it.
    func attach(_ id: AttachmentID, to message: MessageID) throws -> Bool
    /// Up to `limit` attachments never attached whose ``Attachment/expiresAt`` is at or
    /// before `time`, oldest expiry first.
    func expiredUnattachedAttachments(at time: Timestamp, limit: Int) throws -> [Attachment]
    /// Deletes the record of an attachment that is not attached; returns whether it deleted one.
    func deleteUnattachedAttachment(_ id: AttachmentID) throws -> Bool
    /// Up to `limit` attachments of `owner` that belong to no message (pending uploads, and
    /// those released by a deletion), whatever their expiry; oldest expiry first. Read when
    /// an account is erased (it scans the unattached rows, not the attached ones).
    func unattachedAttachments(ownedBy owner: UserID, limit: Int) throws -> [Attachment]
}

/// The object storage an ``AttachmentService`` checks and cleans up, provided by the host
/// (ChatServer adapts `MessagingMedia.MediaStore`; the core does no I/O itself).
///
/// Thread safety: implementations are `Sendable` and may be called from any task.
public protocol AttachmentObjectStore: Sendable {
    /// The size in bytes of the object stored under `key`, or `nil` when there is none.
    ///
    /// - Parameter key: the attachment's ``Attachment/objectKey``.
    func storedByteCount(ofObject key: String) async throws -> Int64?
    /// Deletes the object under `key`; deleting a missing object succeeds.
    ///
    /// - Parameter key: the attachment's ``Attachment/objectKey``.
    func deleteObject(_ key: String) async throws
}
