import Foundation
import MessagingCore
import MessagingWire
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Media attachments through a running ChatServer with the default local store: upload slot,
/// signed upload, send naming the upload, download by another member, and every refusal.
@Suite("ChatServer HTTP: attachments on the local store")
struct AttachmentRoutesTests {
    /// Changes one query parameter of a URL.
    static func replacing(_ name: String, with value: String, in url: String) throws -> String {
        var components = try #require(URLComponents(string: url))
        components.percentEncodedQueryItems = components.percentEncodedQueryItems?.map {
            $0.name == name ? URLQueryItem(name: name, value: value) : $0
        }
        return try #require(components.string)
    }

    @Test("slot, upload, send, download by a member; a non-member is refused; the bytes and serving headers round-trip")
    func flow() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let bob = try await client.user("bob")
            let eve = try await client.user("eve")
            let room = try await client.group(by: alice, members: [bob])
            let bytes = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })

            let slot = try await client.uploadSlot(in: room, as: alice, fileName: "../Q3 \"report\".pdf", size: bytes.count)
            #expect(slot.url.hasPrefix(server.base + "/media/uploads/\(slot.id)?"))
            #expect(slot.headers["Content-Type"] == "application/pdf" || slot.headers["content-type"] == "application/pdf")
            // Sending before the upload: refused, nothing attached.
            let early = try await client.send("too early", attachments: [slot.id], to: room, as: alice)
            #expect(early.status == 400 && early.errorCode == "invalid_input", "\(early)")

            let uploaded = try await client.upload(bytes, to: slot)
            #expect(uploaded.status == 200, "\(uploaded)")
            let stored = server.directory.appendingPathComponent("data/media/objects/uploads/\(slot.id)")
            #expect(try Data(contentsOf: stored) == bytes, "the object is stored under the data directory")

            // Another member cannot attach alice's upload; alice can, once.
            let stolen = try await client.send("mine now", attachments: [slot.id], to: room, as: bob)
            #expect(stolen.status == 404, "\(stolen)")
            let sent = try await client.send("the report", attachments: [slot.id], to: room, as: alice)
            #expect(sent.status == 201, "\(sent)")
            let message = try #require(sent["message"] as? [String: Any])
            let attachments = try #require(message["attachments"] as? [[String: Any]])
            #expect(attachments.count == 1)
            #expect(attachments.first?["id"] as? String == slot.id)
            #expect(attachments.first?["byteCount"] as? Int == bytes.count)
            #expect(attachments.first?["mediaType"] as? String == "application/pdf")
            #expect(attachments.first?["name"] as? String == "Q3 _report_.pdf")
            let again = try await client.send("twice", attachments: [slot.id], to: room, as: alice)
            #expect(again.status == 409, "an attachment belongs to one message: \(again)")

            // History carries the metadata.
            let history = try await client.call("GET", "/v1/conversations/\(room)/messages", token: bob.token)
            let last = try #require((history["messages"] as? [[String: Any]])?.last)
            #expect((last["attachments"] as? [[String: Any]])?.first?["id"] as? String == slot.id)

            // Bob downloads; eve (not a member) is refused with 404.
            let grant = try await client.downloadURL(slot.id, as: bob)
            #expect(grant.status == 200, "\(grant)")
            let url = try #require(grant["url"] as? String)
            let download = try await client.call("GET", try client.relative(url))
            #expect(download.status == 200)
            #expect(download.data == bytes)
            #expect(download.header("X-Content-Type-Options") == "nosniff")
            #expect(download.header("Content-Type") == "application/pdf")
            #expect(download.header("Content-Disposition")?.hasPrefix("attachment; filename=\"Q3 _report_.pdf\"") == true,
                "\(download.header("Content-Disposition") ?? "none")")
            let refused = try await client.downloadURL(slot.id, as: eve)
            #expect(refused.status == 404 && refused.errorCode == "not_found", "\(refused)")
            let outsiderSlot = try await client.call(
                "POST", "/v1/conversations/\(room)/attachments", token: eve.token,
                json: ["fileName": "x.png", "contentType": "image/png", "size": 3] as [String: Any])
            #expect(outsiderSlot.status == 404, "\(outsiderSlot)")

            // A download URL does not allow an upload, and an upload URL does not allow a download.
            let overwrite = try await client.call("PUT", try client.relative(url), body: bytes, headers: ["Content-Type": "application/pdf"])
            #expect(overwrite.status == 403, "\(overwrite)")
        }
    }

    @Test("tampered and expired signatures, wrong sizes and types, and disallowed slots are refused")
    func refusals() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let bob = try await client.user("bob")
            let room = try await client.group(by: alice, members: [bob])
            let bytes = Data(repeating: 7, count: 1000)

            // Disallowed type, size over the limit, negative size.
            for (type, size, status) in [("text/html", 10, 400), ("image/png", 200 * 1024 * 1024, 409), ("image/png", -1, 400)] {
                let answer = try await client.call(
                    "POST", "/v1/conversations/\(room)/attachments", token: alice.token,
                    json: ["fileName": "a", "contentType": type, "size": size] as [String: Any])
                #expect(answer.status == status, "\(type) \(size): \(answer)")
            }

            let slot = try await client.uploadSlot(in: room, as: alice, fileName: "cat.png", contentType: "image/png", size: bytes.count)
            // Tampered: another size, another type, another signature, another object.
            for (name, value) in [("X-Media-Size", "2000"), ("X-Media-Type", "text%2Fhtml"), ("X-Media-Signature", String(repeating: "0", count: 64))] {
                let tampered = UploadSlot(id: slot.id, url: try Self.replacing(name, with: value, in: slot.url), headers: slot.headers)
                let answer = try await client.upload(bytes, to: tampered)
                #expect(answer.status == 403 && answer.errorCode == "invalid_signature", "\(name): \(answer)")
            }
            let otherObject = slot.url.replacingOccurrences(of: slot.id, with: "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6a")
            let moved = try await client.upload(bytes, to: UploadSlot(id: slot.id, url: otherObject, headers: slot.headers))
            #expect(moved.status == 403, "\(moved)")
            // Wrong declared type, wrong size (short and long).
            let wrongType = try await client.upload(bytes, to: slot, headers: ["Content-Type": "text/html"])
            #expect(wrongType.status == 400, "\(wrongType)")
            let short = try await client.upload(bytes.prefix(999), to: slot)
            #expect(short.status == 400 && short.errorCode == "size_mismatch", "\(short)")
            let long = try await client.upload(bytes + [1], to: slot)
            #expect(long.status == 400 || long.status == 413, "\(long)")
            #expect(try await client.send("x", attachments: [slot.id], to: room, as: alice).status == 400, "nothing stored yet")

            // The upload works; then its download URL expires.
            #expect(try await client.upload(bytes, to: slot).status == 200)
            #expect(try await client.send("cat", attachments: [slot.id], to: room, as: alice).status == 201)
            let url = try #require(try await client.downloadURL(slot.id, as: bob)["url"] as? String)
            let inline = try await client.call("GET", try client.relative(url))
            #expect(inline.status == 200 && inline.header("Content-Disposition")?.hasPrefix("inline") == true, "PNG is shown inline")
            let tampered = try await client.call("GET", try client.relative(try Self.replacing("X-Media-Type", with: "text%2Fhtml", in: url)))
            #expect(tampered.status == 403)
            server.clock.advance(seconds: 301)
            let expired = try await client.call("GET", try client.relative(url))
            #expect(expired.status == 403 && expired.errorCode == "url_expired", "\(expired)")
            // An expired upload slot cannot be attached.
            let late = try await client.uploadSlot(in: room, as: alice, size: 3)
            #expect(try await client.upload(Data([1, 2, 3]), to: late).status == 200)
            server.clock.advance(seconds: 25 * 3600)
            let aliceLater = try await client.login("alice")
            let lateSend = try await client.send("late", attachments: [late.id], to: room, as: aliceLater)
            // Refused either way: 400 while the record is there, 404 once the purge job deleted it.
            #expect(lateSend.status == 400 || lateSend.status == 404, "\(lateSend)")
            // The purge job deletes the expired upload's object and record (the clock moved 25 h).
            let lateObject = server.directory.appendingPathComponent("data/media/objects/uploads/\(late.id)")
            let deadline = ContinuousClock.now + .seconds(20)
            while FileManager.default.fileExists(atPath: lateObject.path), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(!FileManager.default.fileExists(atPath: lateObject.path), "the expired upload was not purged")
            let attachedObject = server.directory.appendingPathComponent("data/media/objects/uploads/\(slot.id)")
            #expect(FileManager.default.fileExists(atPath: attachedObject.path), "an attached upload is kept")
        }
    }

    @Test("the realtime send frame names uploads: attached on success, refused like the HTTP send otherwise")
    func realtimeSend() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let bob = try await client.user("bob")
            let room = try await client.group(by: alice, members: [bob])
            let slot = try await client.uploadSlot(in: room, as: alice, fileName: "clip.mp3", contentType: "audio/mpeg", size: 5)
            #expect(try await client.upload(Data([1, 2, 3, 4, 5]), to: slot).status == 200)
            let other = try await client.uploadSlot(in: room, as: bob, fileName: "x.png", contentType: "image/png", size: 2)
            _ = try await Peer.with(server, token: alice.token) { peer in
                _ = try await peer.ready()
                let refused = try await peer.request(.send("not mine", key: "rt-0", to: typed(room), attachments: [typed(other.id)]))
                #expect(refused.type == "error" && refused.code == "not_found", "\(refused)")
                let answer = try await peer.request(.send("listen", key: "rt-1", to: typed(room), attachments: [typed(slot.id)]))
                #expect(answer.type == "ok", "\(answer)")
                let attachments = answer.result.message["attachments"] as? [[String: Any]]
                #expect(attachments?.first?["id"] as? String == slot.id && attachments?.first?["mediaType"] as? String == "audio/mpeg")
                let malformed = try await peer.request([
                    "type": "send", "conversation": room, "clientMessageId": "rt-2", "text": "x", "attachments": ["not-an-id"],
                ])
                #expect(malformed.type == "error", "\(malformed)")
            }
            #expect(try await client.downloadURL(slot.id, as: bob).status == 200)
        }
    }

    @Test("concurrent uploads of several members each land in their own object and attach to their own message")
    func concurrentUploads() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            var members: [Login] = []
            for index in 0..<4 { members.append(try await client.user("member\(index)")) }
            let room = try await client.group(by: members[0], members: Array(members.dropFirst()))
            let results = try await withThrowingTaskGroup(of: (String, Data, Int, Int).self) { group in
                for (index, member) in members.enumerated() {
                    for round in 0..<3 {
                        group.addTask {
                            let bytes = Data(repeating: UInt8(index * 16 + round), count: 300_000 + index * 1000 + round)
                            let slot = try await client.uploadSlot(in: room, as: member, size: bytes.count)
                            let uploaded = try await client.upload(bytes, to: slot)
                            let sent = try await client.send("file \(round)", attachments: [slot.id], to: room, as: member)
                            return (slot.id, bytes, uploaded.status, sent.status)
                        }
                    }
                }
                var all: [(String, Data, Int, Int)] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(results.count == 12)
            for (id, bytes, uploaded, sent) in results {
                #expect(uploaded == 200 && sent == 201)
                let stored = server.directory.appendingPathComponent("data/media/objects/uploads/\(id)")
                #expect(try Data(contentsOf: stored) == bytes)
            }
            let incoming = server.directory.appendingPathComponent("data/media/incoming")
            #expect(try FileManager.default.contentsOfDirectory(atPath: incoming.path).isEmpty, "no temporary file is left behind")
        }
    }
}
