import Foundation
import MessagingCore
@testable import MessagingTransport
@testable import MessagingWire
import Synchronization
import TestSupport
import Testing

/// Object storage for the gateway tests: objects are sizes under keys, "uploaded" by the
/// test; URLs are made up on a host that does not exist.
final class FakeMedia: AttachmentObjectStore, AttachmentTransferSigner {
    let objects = Mutex<[String: Int64]>([:])
    let deleted = Mutex<[String]>([])
    let failing = Atomic<Bool>(false)
    static let expiry = Timestamp(millisecondsSince1970: 1_767_225_900_000)

    struct Failure: Error {}

    /// What a client's `PUT` to the upload URL leaves in the store.
    func upload(_ key: String, bytes: Int64) { objects.withLock { $0[key] = bytes } }

    func storedByteCount(ofObject key: String) async throws -> Int64? { objects.withLock { $0[key] } }

    func deleteObject(_ key: String) async throws {
        objects.withLock { _ = $0.removeValue(forKey: key) }
        deleted.withLock { $0.append(key) }
    }

    func uploadTarget(for attachment: MessagingCore.Attachment) async throws -> AttachmentTransferTarget {
        if failing.load(ordering: .relaxed) { throw Failure() }
        return AttachmentTransferTarget(
            method: "PUT", url: URL(string: "https://media.test/\(attachment.objectKey)?sig=up")!,
            headers: ["Content-Type": attachment.contentType, "Content-Length": "\(attachment.byteCount)"], expiresAt: Self.expiry)
    }

    func downloadTarget(for attachment: MessagingCore.Attachment) async throws -> AttachmentTransferTarget {
        if failing.load(ordering: .relaxed) { throw Failure() }
        return AttachmentTransferTarget(
            method: "GET", url: URL(string: "https://media.test/\(attachment.objectKey)?sig=down")!, expiresAt: Self.expiry)
    }
}

/// `attachment.upload` and `attachment.download` (Protocol.md §3, *Attachments*): the codec's
/// bounds, the rate-limit classes, the result shapes, and the gateway with and without media.
@Suite("Attachments over realtime (codec and gateway)")
struct AttachmentWireTests {
    let decoder = FrameDecoder(limits: ProtocolLimits(maxFrameBytes: 8192, maxDepth: 8))
    static let conversation = "0193a6c0-0000-7000-8000-000000000001"

    func code(_ text: String) -> String? {
        do {
            _ = try decoder.decode(.text(text))
            return nil
        } catch {
            return error.code.rawValue
        }
    }

    static func upload(_ fields: String) -> String {
        #"{"type":"attachment.upload","id":"u1","conversation":"\#(conversation)",\#(fields)}"#
    }

    @Test("malformed attachment requests get typed codes before any arithmetic", arguments: [
        (upload(#""fileName":"","contentType":"image/png","size":1"#), "invalid_input"),
        (upload(#""fileName":"\#(String(repeating: "a", count: 1025))","contentType":"image/png","size":1"#), "invalid_input"),
        (upload(#""fileName":"\#(String(repeating: "é", count: 513))","contentType":"image/png","size":1"#), "invalid_input"),
        (upload(#""fileName":"a.png","contentType":"","size":1"#), "invalid_input"),
        (upload(#""fileName":"a.png","contentType":"\#(String(repeating: "x", count: 128))","size":1"#), "invalid_input"),
        (upload(#""fileName":"a.png","contentType":"image/png","size":-1"#), "invalid_input"),
        (upload(#""fileName":"a.png","contentType":"image/png","size":9007199254740992"#), "invalid_input"),
        (upload(#""fileName":"a.png","contentType":"image/png","size":9223372036854775807"#), "invalid_input"),
        (upload(#""fileName":"a.png","contentType":"image/png","size":-9223372036854775808"#), "invalid_input"),
        // Out of Int64, a fraction, an exponent, a string: not an integer at all.
        (upload(#""fileName":"a.png","contentType":"image/png","size":99999999999999999999"#), "bad_frame"),
        (upload(#""fileName":"a.png","contentType":"image/png","size":1.5"#), "bad_frame"),
        (upload(#""fileName":"a.png","contentType":"image/png","size":1e3"#), "bad_frame"),
        (upload(#""fileName":"a.png","contentType":"image/png","size":"5""#), "bad_frame"),
        (upload(#""fileName":7,"contentType":"image/png","size":1"#), "bad_frame"),
        (upload(#""fileName":"a.png","contentType":null,"size":1"#), "bad_frame"),
        (upload(#""fileName":"a.png","contentType":"image/png""#), "missing_field"),
        (upload(#""fileName":"a.png","size":1"#), "missing_field"),
        (upload(#""contentType":"image/png","size":1"#), "missing_field"),
        (upload(#""fileName":"a.png","contentType":"image/png","size":1,"url":"x""#), "unknown_field"),
        (#"{"type":"attachment.upload","conversation":"\#(conversation)","fileName":"a","contentType":"image/png","size":1}"#, "missing_field"),
        (#"{"type":"attachment.upload","id":"u","conversation":"not-an-id","fileName":"a","contentType":"image/png","size":1}"#, "bad_frame"),
        (#"{"type":"attachment.download","id":"d"}"#, "missing_field"),
        (#"{"type":"attachment.download","attachment":"\#(conversation)"}"#, "missing_field"),
        (#"{"type":"attachment.download","id":"d","attachment":"0193a6c0-0000-4000-8000-000000000001"}"#, "bad_frame"),
        (#"{"type":"attachment.download","id":"d","attachment":7}"#, "bad_frame"),
        (#"{"type":"attachment.download","id":"d","attachment":"\#(conversation)","conversation":"\#(conversation)"}"#, "unknown_field"),
    ])
    func rejects(_ text: String, _ expected: String) {
        #expect(code(text) == expected, "\(text.prefix(200))")
    }

    @Test("valid attachment requests decode, at the bounds too")
    func accepts() throws {
        let longest = String(repeating: "é", count: 512)   // 1,024 bytes of UTF-8
        for (name, size) in [("a", Int64(0)), (longest, AttachmentUploadRequest.maximumByteCount), ("notes.pdf", 1234)] {
            let request = try decoder.decode(.text(Self.upload(#""fileName":"\#(name)","contentType":"Image/PNG","size":\#(size)"#)))
            #expect(request.id == "u1" && request.type == "attachment.upload")
            #expect(request.body == .attachmentUpload(
                ConversationID(Self.conversation)!, AttachmentUploadRequest(fileName: name, contentType: "Image/PNG", byteCount: size)))
        }
        let download = try decoder.decode(.text(#"{"type":"attachment.download","id":"d1","attachment":"\#(Self.conversation)"}"#))
        #expect(download.body == .attachmentDownload(AttachmentID(Self.conversation)!) && download.type == "attachment.download")
    }

    @Test("an upload slot is rate-limited like a send, a download URL like a query")
    func rateLimitClasses() {
        let request = AttachmentUploadRequest(fileName: "a", contentType: "image/png", byteCount: 1)
        #expect(Gateway<ContinuousClock>.action(of: .attachmentUpload(ConversationID(Self.conversation)!, request)) == .message)
        #expect(Gateway<ContinuousClock>.action(of: .attachmentDownload(AttachmentID(Self.conversation)!)) == .query)
    }

    @Test("the results' wire shapes: the attachment object, the upload target, the download URL")
    func resultShapes() throws {
        let attachment = MessagingCore.Attachment(
            id: AttachmentID("0193a6c0-0000-7000-8000-0000000000aa")!, ownerID: UserID(Self.conversation)!,
            conversationID: ConversationID(Self.conversation)!, objectKey: "uploads/0193a6c0-0000-7000-8000-0000000000aa",
            fileName: "notes.pdf", contentType: "application/pdf", byteCount: 1234,
            createdAt: Timestamp(millisecondsSince1970: 1_767_225_600_000),
            expiresAt: Timestamp(millisecondsSince1970: 1_767_312_000_000))
        let upload = AttachmentTransferTarget(
            method: "PUT", url: URL(string: "https://bucket.test/uploads/0193a6c0-0000-7000-8000-0000000000aa?X-Amz-Signature=ab")!,
            headers: ["content-type": "application/pdf", "content-length": "1234"],
            expiresAt: Timestamp(millisecondsSince1970: 1_767_226_500_000))
        let slot = ServerFrame.ok(requestID: "u1", result: .uploadSlot(AttachmentUploadSlot(attachment: attachment, upload: upload)))
        #expect(String(decoding: slot.encoded(), as: UTF8.self) == #"{"id":"u1","result":{"attachment":{"contentType":"application/pdf","createdAt":1767225600000,"expiresAt":1767312000000,"fileName":"notes.pdf","id":"0193a6c0-0000-7000-8000-0000000000aa","size":1234},"upload":{"expiresAt":1767226500000,"headers":{"content-length":"1234","content-type":"application/pdf"},"method":"PUT","url":"https://bucket.test/uploads/0193a6c0-0000-7000-8000-0000000000aa?X-Amz-Signature=ab"}},"type":"ok"}"#)

        var attached = attachment
        attached.messageID = MessageID("0193a6c0-0000-7000-8000-0000000000bb")!
        let target = AttachmentTransferTarget(
            method: "GET", url: URL(string: "https://bucket.test/uploads/x?sig=1")!, expiresAt: Timestamp(millisecondsSince1970: 1_767_225_900_000))
        let download = ServerFrame.ok(requestID: "d1", result: .attachmentDownload(AttachmentDownload(attachment: attached, target: target)))
        #expect(String(decoding: download.encoded(), as: UTF8.self) == #"{"id":"d1","result":{"attachment":{"contentType":"application/pdf","createdAt":1767225600000,"expiresAt":1767312000000,"fileName":"notes.pdf","id":"0193a6c0-0000-7000-8000-0000000000aa","messageId":"0193a6c0-0000-7000-8000-0000000000bb","size":1234},"expiresAt":1767225900000,"url":"https://bucket.test/uploads/x?sig=1"},"type":"ok"}"#)
    }

    @Test("without media configured both requests answer invalid_input saying so, and the connection stays open")
    func notConfigured() async throws {
        try await Harness.with { h in
            let alice = try await h.user("alice")
            let room = try await h.group(alice, [])
            let client = try await h.connect(as: alice)
            let upload = try await client.request(.upload("a.png", contentType: "image/png", size: 3, in: room))
            #expect(upload["code"]?.string == "invalid_input", "\(upload)")
            #expect(upload["message"]?.string?.contains("Media attachments are not configured") == true, "\(upload)")
            let download = try await client.request(.attachmentDownload(AttachmentID(room.uuid)))
            #expect(download["code"]?.string == "invalid_input", "\(download)")
            #expect(download["message"]?.string?.contains("not configured") == true, "\(download)")
            #expect(try await client.request(.history(room))["type"]?.string == "ok")
            #expect(client.connection.closeStatus == nil)
        }
    }

    @Test("slot, upload, send and download through the gateway; others get not_found; policy refusals are typed")
    func roundTrip() async throws {
        let media = FakeMedia()
        try await Harness.with(media: media) { h in
            let alice = try await h.user("alice")
            let bob = try await h.user("bob")
            let eve = try await h.user("eve")
            let room = try await h.group(alice, [bob])
            let a = try await h.connect(as: alice)
            let slot = try await a.request(.upload("../notes\u{202E}.pdf", contentType: "Application/PDF", size: 1234, in: room))
            #expect(slot["type"]?.string == "ok", "\(slot)")
            let record = try #require(slot["result"]?["attachment"])
            let id = try #require(record["id"]?.string)
            let attachment = try #require(AttachmentID(id))
            #expect(record["fileName"]?.string == "notes_.pdf", "sanitized: \(record)")
            #expect(record["contentType"]?.string == "application/pdf" && record["size"]?.int == 1234)
            #expect(record["messageId"] == nil && record["createdAt"]?.int != nil && record["expiresAt"]?.int != nil)
            let upload = try #require(slot["result"]?["upload"])
            #expect(upload["method"]?.string == "PUT" && upload["url"]?.string == "https://media.test/uploads/\(id)?sig=up")
            #expect(upload["headers"]?["Content-Type"]?.string == "application/pdf")
            #expect(upload["expiresAt"]?.int == FakeMedia.expiry.millisecondsSince1970)

            // Not uploaded yet: the send is refused; uploaded: attached.
            let early = try await a.request(.send("early", key: "c0", to: room, attachments: [attachment]))
            #expect(early["code"]?.string == "invalid_input", "\(early)")
            media.upload("uploads/\(id)", bytes: 1234)
            let sent = try await a.request(.send("notes", key: "c1", to: room, attachments: [attachment]))
            #expect(sent["type"]?.string == "ok", "\(sent)")
            let message = try #require(sent["result"]?["message"]?["id"]?.string)

            let b = try await h.connect(as: bob)
            let download = try await b.request(.attachmentDownload(attachment))
            #expect(download["type"]?.string == "ok", "\(download)")
            #expect(download["result"]?["attachment"]?["messageId"]?.string == message)
            #expect(download["result"]?["url"]?.string == "https://media.test/uploads/\(id)?sig=down")
            #expect(download["result"]?["expiresAt"]?.int == FakeMedia.expiry.millisecondsSince1970)

            // Everyone else: the same not_found as for an attachment that does not exist.
            let e = try await h.connect(as: eve)
            let refused = try await e.request(.attachmentDownload(attachment))
            let unknownID = "0193a6c0-0000-7000-8000-0000000000ff"
            let unknown = try await e.request(.attachmentDownload(try #require(AttachmentID(unknownID))))
            #expect(refused["code"]?.string == "not_found" && unknown["code"]?.string == "not_found", "\(refused) \(unknown)")
            #expect(refused["message"]?.string?.replacingOccurrences(of: id, with: unknownID) == unknown["message"]?.string)
            let eveSlot = try await e.request(.upload("a.png", contentType: "image/png", size: 1, in: room))
            #expect(eveSlot["code"]?.string == "not_found", "\(eveSlot)")

            // The policy's refusals, then a signer that fails: typed, and the connection stays.
            func askSlot(_ type: String, _ size: Int64) async throws -> JSONValue {
                try await a.request(.upload("f", contentType: type, size: size, in: room))
            }
            #expect(try await askSlot("text/html", 1)["code"]?.string == "invalid_input")
            #expect(try await askSlot("nonsense", 1)["code"]?.string == "invalid_input")
            #expect(try await askSlot("image/png", AttachmentPolicy.default.maximumByteCount + 1)["code"]?.string == "limit_exceeded")
            #expect(try await askSlot("image/png", -1)["code"]?.string == "invalid_input")
            media.failing.store(true, ordering: .relaxed)
            let failed = try await askSlot("image/png", 1)
            #expect(failed["code"]?.string == "unavailable", "\(failed)")
            #expect(try await b.request(.attachmentDownload(attachment))["code"]?.string == "unavailable")
            media.failing.store(false, ordering: .relaxed)
            #expect(try await askSlot("image/png", 1)["type"]?.string == "ok")
            #expect(a.connection.closeStatus == nil && b.connection.closeStatus == nil && e.connection.closeStatus == nil)
        }
    }
}
