import Foundation
import MessagingCore
import MessagingWire
import TestSupport
import Testing

/// `attachment.upload` and `attachment.download` over realtime through a running ChatServer
/// (local store): the same slot and URLs as the HTTP twins, the upload through the returned
/// URL, a realtime send naming it, a download by another member, `not_found` for others, and
/// bad input answered with typed errors on a connection that stays open.
@Suite("ChatServer realtime: attachment slots and download URLs", .timeLimit(.minutes(3)))
struct AttachmentRealtimeTests {
    /// An `attachment.upload` with fields as the bad-input table spells them (a size of any JSON type).
    static func upload(_ peer: Peer, _ conversation: String, fileName: String, contentType: String, size: Any) async throws -> [String: Any] {
        try await peer.request([
            "type": "attachment.upload", "conversation": conversation, "fileName": fileName, "contentType": contentType, "size": size,
        ])
    }

    @Test("slot, upload, send and download over realtime; non-members refused as over HTTP; bad input typed, connection kept")
    func roundTrip() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let bob = try await client.user("bob")
            let eve = try await client.user("eve")
            let room = try await client.group(by: alice, members: [bob])
            let bytes = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })

            let (slotID, messageID) = try await Peer.with(server, token: alice.token) { peer in
                _ = try await peer.ready()
                let answer = try await peer.request(.upload("notes.pdf", contentType: "application/pdf", size: Int64(bytes.count), in: typed(room)))
                #expect(answer.type == "ok", "\(answer)")
                let attachment = try #require(answer.result["attachment"] as? [String: Any])
                let upload = try #require(answer.result["upload"] as? [String: Any])
                let id = try #require(attachment["id"] as? String)
                #expect(attachment["fileName"] as? String == "notes.pdf" && attachment["contentType"] as? String == "application/pdf")
                #expect((attachment["size"] as? NSNumber)?.intValue == bytes.count && attachment["messageId"] == nil)
                #expect(upload["method"] as? String == "PUT", "\(upload)")

                // The HTTP twin answers the same shape.
                let http = try await client.call(
                    "POST", "/v1/conversations/\(room)/attachments", token: alice.token,
                    json: ["fileName": "notes.pdf", "contentType": "application/pdf", "size": bytes.count] as [String: Any])
                #expect(http.status == 201, "\(http)")
                let httpAttachment = try #require(http["attachment"] as? [String: Any])
                let httpUpload = try #require(http["upload"] as? [String: Any])
                #expect(Set(httpAttachment.keys) == Set(attachment.keys) && Set(httpUpload.keys) == Set(upload.keys))
                #expect(httpUpload["headers"] as? [String: String] == upload["headers"] as? [String: String])

                // Upload to the URL the realtime answer gave, then send naming it over realtime.
                let slot = UploadSlot(
                    id: id, url: try #require(upload["url"] as? String), headers: try #require(upload["headers"] as? [String: String]))
                let stored = try await client.upload(bytes, to: slot)
                #expect(stored.status == 200, "\(stored)")
                let sent = try await peer.request(.send("the notes", key: "rt-file", to: typed(room), attachments: [typed(id)]))
                #expect(sent.type == "ok", "\(sent)")
                let attachments = sent.result.message["attachments"] as? [[String: Any]]
                #expect(attachments?.first?["id"] as? String == id && (attachments?.first?["byteCount"] as? NSNumber)?.intValue == bytes.count)
                return (id, try #require(sent.result.message["id"] as? String))
            }.value

            // Another member downloads over realtime; the URL serves the bytes.
            _ = try await Peer.with(server, token: bob.token) { peer in
                _ = try await peer.ready()
                let answer = try await peer.request(.attachmentDownload(typed(slotID)))
                #expect(answer.type == "ok", "\(answer)")
                let attachment = try #require(answer.result["attachment"] as? [String: Any])
                #expect(attachment["messageId"] as? String == messageID && attachment["id"] as? String == slotID)
                #expect(answer.result.int("expiresAt") != nil)
                let url = try #require(answer.result["url"] as? String)
                let fetched = try await client.call("GET", try client.relative(url))
                #expect(fetched.status == 200 && fetched.data == bytes, "\(fetched.status)")
                #expect(fetched.header("Content-Disposition") == "attachment; filename=\"notes.pdf\"")
                #expect(fetched.header("X-Content-Type-Options") == "nosniff")
                // The HTTP twin: the same record.
                let http = try await client.downloadURL(slotID, as: bob)
                #expect(http.status == 200 && (http["attachment"] as? [String: Any])?["messageId"] as? String == messageID)
            }

            // A non-member: not_found, the code and message of the HTTP route.
            let httpRefusal = try await client.downloadURL(slotID, as: eve)
            #expect(httpRefusal.status == 404 && httpRefusal.errorCode == "not_found")
            _ = try await Peer.with(server, token: eve.token) { peer in
                _ = try await peer.ready()
                let refused = try await peer.request(.attachmentDownload(typed(slotID)))
                #expect(refused.type == "error" && refused.code == "not_found", "\(refused)")
                #expect(refused["message"] as? String == httpRefusal.errorMessage)
                let noSlot = try await peer.request(.upload("a.png", contentType: "image/png", size: 1, in: typed(room)))
                #expect(noSlot.code == "not_found", "\(noSlot)")
            }

            // Bad input: typed errors, the HTTP route's codes, and the connection stays open.
            _ = try await Peer.with(server, token: alice.token) { peer in
                _ = try await peer.ready()
                let cases: [(String, String, Any, String)] = [
                    (String(repeating: "a", count: 1025), "image/png", 1, "invalid_input"),
                    ("", "image/png", 1, "invalid_input"),
                    ("a.png", "image/png", -1, "invalid_input"),
                    ("a.png", "image/png", Int64(9_007_199_254_740_992), "invalid_input"),
                    ("a.png", "image/png", Int64.max, "invalid_input"),
                    ("a.png", "image/png", 104_857_601, "limit_exceeded"),
                    ("page.html", "text/html", 10, "invalid_input"),
                    ("a", "not a type", 10, "invalid_input"),
                ]
                for (name, type, size, code) in cases {
                    let answer = try await Self.upload(peer, room, fileName: name, contentType: type, size: size)
                    #expect(answer.type == "error" && answer.code == code, "\(name.prefix(20)) \(type) \(size): \(answer)")
                    // The HTTP twin answers the same code.
                    let http = try await client.call(
                        "POST", "/v1/conversations/\(room)/attachments", token: alice.token,
                        json: ["fileName": name, "contentType": type, "size": size] as [String: Any])
                    #expect(http.errorCode == code, "HTTP \(name.prefix(20)) \(type) \(size): \(http)")
                }
                // A size that is no integer at all (1e+30): bad_frame, answered without the id
                // (the frame is refused before its fields are read, Protocol.md §6).
                let before = peer.count
                try await peer.write([
                    "type": "attachment.upload", "id": "huge", "conversation": room, "fileName": "a", "contentType": "image/png",
                    "size": 1e30,
                ])
                let huge = try await peer.wait(from: before, "the answer to a non-integer size") { $0.type == "error" }
                #expect(huge.code == "bad_frame", "\(huge)")
                let unknownField = try await peer.request([
                    "type": "attachment.upload", "conversation": room, "fileName": "a", "contentType": "image/png", "size": 1, "x": 1,
                ])
                #expect(unknownField.code == "unknown_field", "\(unknownField)")
                let missing = try await peer.request(["type": "attachment.download"])
                #expect(missing.code == "missing_field", "\(missing)")
                let fine = try await peer.request(.upload("ok.png", contentType: "image/png", size: 3, in: typed(room)))
                #expect(fine.type == "ok", "the connection still answers: \(fine)")
                #expect(peer.connection.closeStatus == nil)
            }
        }
    }
}
