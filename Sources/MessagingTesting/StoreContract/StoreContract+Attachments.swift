import Foundation
import MessagingCore
import Synchronization
import Testing

// The suites of media attachments (migration v9-attachments / pg-v9-attachments).
extension StoreContract {
    /// AttachmentStore: round trip, confirm once, attach once, expired unattached uploads by expiry, delete only unattached.
    public func attachmentStore() async throws {
        try await withStores { stores in
            let store = stores.messaging
            let alice = try await makeAccount(stores, "alice")
            let room = try await makeConversation(store, members: [alice])
            func record(expiresIn milliseconds: Int64) -> MessagingCore.Attachment {
                let id: AttachmentID = ids.next()
                return MessagingCore.Attachment(
                    id: id, ownerID: alice.id, conversationID: room.id, objectKey: MessagingCore.Attachment.objectKey(for: id),
                    fileName: "cat é.png", contentType: "image/png", byteCount: 5_000_000_000, createdAt: time,
                    expiresAt: time.adding(milliseconds: milliseconds))
            }
            let first = record(expiresIn: 1000), second = record(expiresIn: 2000), third = record(expiresIn: 3000)
            let bob = try await makeAccount(stores, "bob")
            let bobs = MessagingCore.Attachment(
                id: ids.next(), ownerID: bob.id, conversationID: room.id, objectKey: "uploads/bob", fileName: "b", contentType: "image/png",
                byteCount: 1, createdAt: time, expiresAt: time.adding(milliseconds: 500))
            try await store.write { transaction throws in
                for attachment in [third, first, second, bobs] { try transaction.insert(attachment) }
            }
            #expect(try await store.read { try $0.attachment(id: first.id) } == first, "a record reads back unchanged")
            #expect(
                try await store.read { try $0.unattachedAttachments(ownedBy: alice.id, limit: 10) }.map(\.id) == [first.id, second.id, third.id],
                "an owner's unattached uploads, oldest expiry first, whatever their expiry; no one else's")
            #expect(try await store.read { try $0.unattachedAttachments(ownedBy: alice.id, limit: 2) }.map(\.id) == [first.id, second.id])
            #expect(try await store.read { try $0.attachment(id: self.ids.next()) } == nil)

            let message = try makeMessage(room.id, alice.id, seq: 1)
            try await store.write { transaction throws in
                try transaction.confirmUpload(of: first.id, at: self.time.adding(milliseconds: 10))
                try transaction.confirmUpload(of: first.id, at: self.time.adding(milliseconds: 20))
                #expect(try transaction.attach(first.id, to: message.id), "an unattached upload attaches")
                #expect(try !transaction.attach(first.id, to: self.ids.next()), "an attached upload does not attach again")
            }
            let attached = try #require(try await store.read { try $0.attachment(id: first.id) })
            #expect(attached.confirmedAt == time.adding(milliseconds: 10), "the first confirmation is kept")
            #expect(attached.messageID == message.id)
            #expect(
                try await store.read { try $0.unattachedAttachments(ownedBy: alice.id, limit: 10) }.map(\.id) == [second.id, third.id],
                "an attached upload is not listed")
            #expect(try await store.read { try $0.unattachedAttachments(ownedBy: bob.id, limit: 10) }.map(\.id) == [bobs.id])

            let expired = try await store.read { try $0.expiredUnattachedAttachments(at: self.time.adding(milliseconds: 2000), limit: 10) }
            #expect(expired.map(\.id) == [bobs.id, second.id], "only unattached uploads at or past their expiry")
            let all = try await store.read { try $0.expiredUnattachedAttachments(at: self.time.adding(milliseconds: 9000), limit: 1) }
            #expect(all.map(\.id) == [bobs.id], "oldest expiry first, bounded by the limit")
            try await store.write { transaction throws in
                #expect(try !transaction.deleteUnattachedAttachment(first.id), "an attached record is never deleted")
                #expect(try transaction.deleteUnattachedAttachment(second.id))
                #expect(try !transaction.deleteUnattachedAttachment(second.id))
            }
            #expect(try await store.read { try $0.attachment(id: second.id) } == nil)
            #expect(try await store.read { try $0.attachment(id: first.id) } != nil)

            // Deleting the message releases its attachment, expired at the deletion time.
            let deletedAt = time.adding(milliseconds: 50)
            try await store.write { transaction throws in
                try transaction.insert(message)
                try transaction.tombstone(message.id, at: deletedAt)
            }
            let released = try #require(try await store.read { try $0.attachment(id: first.id) })
            #expect(released.messageID == nil && released.expiresAt == deletedAt, "a deleted message's attachment is released")
            #expect(try await store.read { try $0.expiredUnattachedAttachments(at: deletedAt, limit: 10) }.map(\.id).contains(first.id))

            // Deleting the conversation releases every attachment of it (here the unattached third).
            try await store.write { transaction throws in
                while try transaction.purgeMessages(of: room.id, limit: 100) > 0 {}
                while try transaction.purgeEvents(of: room.id, limit: 100) > 0 {}
                try transaction.deleteConversation(room.id)
            }
            let orphan = try #require(try await store.read { try $0.attachment(id: third.id) })
            #expect(orphan.expiresAt <= time, "a deleted conversation's uploads expire at once")
        }
    }

    /// Use cases: upload slots for members within the policy; a send attaches confirmed uploads of the sender once; downloads for members; expired uploads purged.
    public func attachmentFlow() async throws {
        try await withStore { store in
            let clock = ManualClock()
            let objects = FakeObjectStore()
            let policy = AttachmentPolicy(
                maximumByteCount: 1000, allowedContentTypes: ["image/*", "application/pdf"], uploadLifetimeMilliseconds: 60_000)
            let messaging = Messaging(
                store: store, clock: clock.wall, configuration: MessagingConfiguration(attachments: policy)
            ).storingAttachments(in: objects)
            let alice = try await messaging.users.register(handle: "alice", displayName: "Alice")
            let bob = try await messaging.users.register(handle: "bob", displayName: "Bob")
            let eve = try await messaging.users.register(handle: "eve", displayName: "Eve")
            let room = try await messaging.conversations.create(.group(title: "t", members: [bob.id]), by: alice.id)
            let other = try await messaging.conversations.create(.group(title: "o", members: [eve.id]), by: alice.id)
            let attachments = messaging.attachments

            // Slots: members only, within the policy, names sanitized.
            await #expect(throws: MessagingError.self) {
                _ = try await attachments.requestUpload(.init(fileName: "a.png", contentType: "image/png", byteCount: 10), in: room.id, by: eve.id)
            }
            for (type, size, code) in [("text/html", 10, MessagingError.Code.invalidInput), ("image/png", 1001, .limitExceeded),
                                       ("image/png", -1, .invalidInput), ("png", 10, .invalidInput)] {
                do {
                    _ = try await attachments.requestUpload(.init(fileName: "x", contentType: type, byteCount: Int64(size)), in: room.id, by: alice.id)
                    Issue.record("\(type) of \(size) bytes was accepted")
                } catch let error as MessagingError {
                    #expect(error.code == code, "\(type), \(size) bytes")
                }
            }
            let slot = try await attachments.requestUpload(
                .init(fileName: "../../etc/\u{202E}cat\".PNG", contentType: "Image/PNG", byteCount: 5), in: room.id, by: alice.id)
            #expect(slot.fileName == "_cat_.PNG" && slot.contentType == "image/png" && slot.objectKey == "uploads/\(slot.id)")
            #expect(slot.expiresAt == clock.timestamp.adding(milliseconds: 60_000) && slot.confirmedAt == nil && slot.messageID == nil)

            // Before the upload: refused. Wrong size: refused. Another member's upload: not found.
            await #expect(throws: MessagingError.self) { _ = try await attachments.prepareForSend([slot.id], in: room.id, by: alice.id) }
            objects.put(slot.objectKey, size: 4)
            await #expect(throws: MessagingError.self) { _ = try await attachments.prepareForSend([slot.id], in: room.id, by: alice.id) }
            objects.put(slot.objectKey, size: 5)
            await #expect(throws: MessagingError.self) { _ = try await attachments.prepareForSend([slot.id], in: room.id, by: bob.id) }
            await #expect(throws: MessagingError.self) { _ = try await attachments.prepareForSend([slot.id], in: other.id, by: alice.id) }
            await #expect(throws: MessagingError.self) { _ = try await attachments.prepareForSend([slot.id, slot.id], in: room.id, by: alice.id) }

            // A reference made up by the client, not prepared: refused by the send's transaction.
            let forged = try AttachmentReference(id: slot.id.description, mediaType: "image/png", byteCount: 5, name: "_cat_.PNG")
            await #expect(throws: MessagingError.self) {
                _ = try await messaging.messages.send(
                    try MessageDraft(text: "early", clientMessageID: ClientMessageID("c-0"), attachments: [forged]), to: room.id, by: alice.id)
            }

            let references = try await attachments.prepareForSend([slot.id], in: room.id, by: alice.id)
            #expect(references == [slot.reference])
            let draft = try MessageDraft(text: "look", clientMessageID: ClientMessageID("c-1"), attachments: references)
            let sent = try await messaging.messages.send(draft, to: room.id, by: alice.id)
            #expect(sent.message.attachments == references)
            let repeated = try await messaging.messages.send(draft, to: room.id, by: alice.id)
            #expect(repeated.isDuplicate, "a retried send with the same attachment is the same message")
            let attached = try #require(try await store.read { try $0.attachment(id: slot.id) })
            #expect(attached.messageID == sent.message.id && attached.confirmedAt != nil)
            await #expect(throws: MessagingError.self) {
                _ = try await messaging.messages.send(
                    try MessageDraft(text: "again", clientMessageID: ClientMessageID("c-2"), attachments: references), to: room.id, by: alice.id)
            }

            // History, events and search carry the metadata.
            let history = try await messaging.messages.history(of: room.id, for: bob.id)
            #expect(history.messages.last?.attachments == references)
            let events = try await messaging.sync.events(in: room.id, after: 0, limit: 100, for: bob.id)
            #expect(events.events.contains { if case .messageCreated(let m) = $0.payload { m.attachments == references } else { false } })

            // Downloads: members of the message's conversation only.
            #expect(try await attachments.authorizeDownload(slot.id, by: bob.id) == attached)
            await #expect(throws: MessagingError.self) { _ = try await attachments.authorizeDownload(slot.id, by: eve.id) }

            // Expired: cannot be attached; purged with its object; attached ones stay.
            let late = try await attachments.requestUpload(.init(fileName: "b.pdf", contentType: "application/pdf", byteCount: 3), in: room.id, by: alice.id)
            objects.put(late.objectKey, size: 3)
            let lateReferences = try await attachments.prepareForSend([late.id], in: room.id, by: alice.id)
            clock.advance(milliseconds: 60_000)
            await #expect(throws: MessagingError.self) {
                _ = try await messaging.messages.send(
                    try MessageDraft(text: "late", clientMessageID: ClientMessageID("c-3"), attachments: lateReferences), to: room.id, by: alice.id)
            }
            #expect(try await attachments.purgeExpiredUploads() == 1)
            #expect(!objects.contains(late.objectKey) && objects.contains(slot.objectKey))
            #expect(try await store.read { try $0.attachment(id: late.id) } == nil)
            #expect(try await attachments.purgeExpiredUploads() == 0)
        }
    }
}

extension StoreContract {
    /// Use cases: upload slots and download URLs through the host's signer (refused while none is set); an erased account's unattached uploads and the files of its tombstoned messages deleted with their objects, kept messages keeping theirs.
    public func attachmentTransfersAndErasure() async throws {
        try await withStore { store in
            let clock = ManualClock()
            let objects = FakeObjectStore()
            let unsigned = Messaging(store: store, clock: clock.wall).storingAttachments(in: objects)
            let messaging = unsigned.signingAttachmentTransfers(with: objects)
            let alice = try await messaging.users.register(handle: "alice", displayName: "Alice")
            let bob = try await messaging.users.register(handle: "bob", displayName: "Bob")
            let carol = try await messaging.users.register(handle: "carol", displayName: "Carol")
            let eve = try await messaging.users.register(handle: "eve", displayName: "Eve")
            let room = try await messaging.conversations.create(.group(title: "t", members: [bob.id, carol.id]), by: alice.id)
            let attachments = messaging.attachments
            func request(_ name: String = "a.png", size: Int64 = 3) -> AttachmentUploadRequest {
                AttachmentUploadRequest(fileName: name, contentType: "image/png", byteCount: size)
            }

            // No signer: refused before anything is stored, saying media is not configured.
            for attempt in 0..<2 {
                do {
                    if attempt == 0 { _ = try await unsigned.attachments.uploadSlot(request(), in: room.id, by: alice.id) }
                    else { _ = try await unsigned.attachments.download(ids.next(), by: alice.id) }
                    Issue.record("answered without a signer")
                } catch let error as MessagingError {
                    #expect(error.code == .invalidInput && error.message.contains("not configured"), "\(error)")
                }
            }
            // The declared bounds: the file name's bytes, the size's range.
            for (bad, code) in [
                (request(""), MessagingError.Code.invalidInput), (request(String(repeating: "n", count: 1025)), .invalidInput),
                (request(size: AttachmentUploadRequest.maximumByteCount + 1), .invalidInput), (request(size: .max), .invalidInput),
                (request(size: .min), .invalidInput), (request(size: AttachmentPolicy.default.maximumByteCount + 1), .limitExceeded),
            ] {
                do {
                    _ = try await attachments.uploadSlot(bad, in: room.id, by: alice.id)
                    Issue.record("\(bad.fileName.utf8.count)-byte name, \(bad.byteCount) bytes: accepted")
                } catch let error as MessagingError {
                    #expect(error.code == code, "\(bad.fileName.utf8.count)-byte name, \(bad.byteCount) bytes: \(error)")
                }
            }
            #expect(try await store.read { try $0.unattachedAttachments(ownedBy: alice.id, limit: 10) }.isEmpty, "nothing stored")

            // A slot with its URL; the send; a download URL for members only.
            let slot = try await attachments.uploadSlot(request(String(repeating: "é", count: 512)), in: room.id, by: alice.id)
            #expect(slot.upload.method == "PUT" && slot.upload.url.absoluteString == "https://media.test/\(slot.attachment.objectKey)?up")
            #expect(slot.upload.headers == ["Content-Type": "image/png"])
            objects.put(slot.attachment.objectKey, size: 3)
            let references = try await attachments.prepareForSend([slot.attachment.id], in: room.id, by: alice.id)
            let sent = try await messaging.messages.send(
                try MessageDraft(text: "file", clientMessageID: ClientMessageID("c-1"), attachments: references), to: room.id, by: alice.id)
            let download = try await attachments.download(slot.attachment.id, by: bob.id)
            #expect(download.attachment.messageID == sent.message.id && download.target.method == "GET")
            #expect(download.target.url.absoluteString == "https://media.test/\(slot.attachment.objectKey)?down")
            do {
                _ = try await attachments.download(slot.attachment.id, by: eve.id)
                Issue.record("a non-member got a download URL")
            } catch let error as MessagingError {
                #expect(error.code == .notFound)
            }

            // Alice: a pending upload and one never uploaded. Bob: a sent file and a pending one.
            let pending = try await attachments.uploadSlot(request(), in: room.id, by: alice.id)
            objects.put(pending.attachment.objectKey, size: 3)
            let never = try await attachments.uploadSlot(request(), in: room.id, by: alice.id)
            let bobSent = try await attachments.uploadSlot(request(), in: room.id, by: bob.id)
            objects.put(bobSent.attachment.objectKey, size: 3)
            let bobReferences = try await attachments.prepareForSend([bobSent.attachment.id], in: room.id, by: bob.id)
            _ = try await messaging.messages.send(
                try MessageDraft(text: "his", clientMessageID: ClientMessageID("c-2"), attachments: bobReferences), to: room.id, by: bob.id)
            let bobPending = try await attachments.uploadSlot(request(), in: room.id, by: bob.id)
            objects.put(bobPending.attachment.objectKey, size: 3)

            // Erasing alice (tombstones): every attachment of hers goes, objects and records.
            try await messaging.accounts.eraseData(of: alice.id, messages: .tombstone)
            #expect(objects.keys == [bobSent.attachment.objectKey, bobPending.attachment.objectKey], "\(objects.keys)")
            #expect(try await store.read { try $0.unattachedAttachments(ownedBy: alice.id, limit: 10) }.isEmpty)
            for id in [slot.attachment.id, pending.attachment.id, never.attachment.id] {
                #expect(try await store.read { try $0.attachment(id: id) } == nil)
            }
            try await messaging.accounts.eraseData(of: alice.id, messages: .tombstone)   // idempotent

            // Erasing bob keeping messages: his sent file stays (carol still downloads it), his pending one goes.
            try await messaging.accounts.eraseData(of: bob.id, messages: .keep)
            #expect(objects.keys == [bobSent.attachment.objectKey], "\(objects.keys)")
            #expect(try await store.read { try $0.attachment(id: bobPending.attachment.id) } == nil)
            #expect(try await attachments.download(bobSent.attachment.id, by: carol.id).attachment.ownerID == bob.id)
        }
    }
}

/// Object storage in memory for the attachment suites: sizes by key, and made-up URLs.
final class FakeObjectStore: AttachmentObjectStore, AttachmentTransferSigner {
    private let sizes = Mutex<[String: Int64]>([:])

    func put(_ key: String, size: Int64) { sizes.withLock { $0[key] = size } }
    func contains(_ key: String) -> Bool { sizes.withLock { $0[key] != nil } }
    var keys: Set<String> { sizes.withLock { Set($0.keys) } }

    func storedByteCount(ofObject key: String) async throws -> Int64? { sizes.withLock { $0[key] } }
    func deleteObject(_ key: String) async throws { _ = sizes.withLock { $0.removeValue(forKey: key) } }

    func uploadTarget(for attachment: MessagingCore.Attachment) async throws -> AttachmentTransferTarget {
        AttachmentTransferTarget(
            method: "PUT", url: URL(string: "https://media.test/\(attachment.objectKey)?up")!,
            headers: ["Content-Type": attachment.contentType], expiresAt: attachment.createdAt.adding(milliseconds: 900_000))
    }

    func downloadTarget(for attachment: MessagingCore.Attachment) async throws -> AttachmentTransferTarget {
        AttachmentTransferTarget(
            method: "GET", url: URL(string: "https://media.test/\(attachment.objectKey)?down")!,
            expiresAt: attachment.createdAt.adding(milliseconds: 300_000))
    }
}
