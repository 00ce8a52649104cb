import ChatServerApp
import Foundation
import GRDB
import MessagingCore
import MessagingMedia
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What becomes of stored attachments through a running ChatServer: encrypted files in an
/// S3 bucket (moto behind `Tests/Interop/s3_gate.py`, read back straight from the bucket with
/// botocore, never through the server), uploads never attached purged after their slot's
/// lifetime, and the files of an erased account.
@Suite("ChatServer: attachments in the bucket, purged and erased", .timeLimit(.minutes(5)))
struct AttachmentLifecycleTests {
    static let access = "AKIALIFECYCLETEST"
    static let secret = "life/cycle+secret=key"
    static let region = "eu-central-1"
    static let bucket = "chat-lifecycle"

    static func s3(_ gate: S3GateServer) -> (inout ChatServerConfiguration) -> Void {
        { configuration in
            configuration.media.backend = .s3(S3Settings(
                endpoint: "http://127.0.0.1:\(gate.port)", region: region, bucket: bucket, accessKeyID: access,
                secretAccessKey: secret, pathStyle: true, serverSideEncryption: .aes256))
        }
    }

    /// The attachment ids the server's database holds records of, and of which owner.
    static func records(_ server: TestServer) throws -> [(id: String, owner: String, attached: Bool)] {
        let database = try DatabaseQueue(path: server.directory.appendingPathComponent("data/chat.sqlite").path)
        defer { try? database.close() }
        return try database.read { db in
            try Row.fetchAll(db, sql: "SELECT lower(hex(id)) AS id, lower(hex(owner_id)) AS owner, message_id IS NOT NULL AS attached FROM attachments")
                .map { row in (Self.uuid(row["id"]), Self.uuid(row["owner"]), row["attached"]) }
        }
    }

    /// 32 hex digits as a dashed UUID string.
    static func uuid(_ hex: String) -> String {
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }

    /// A `PUT` of `bytes` to a bucket's presigned upload URL with the slot's headers.
    static func put(_ bytes: Data, to slot: UploadSlot) async throws -> Int {
        var request = URLRequest(url: try #require(URL(string: slot.url)))
        request.httpMethod = "PUT"
        for (name, value) in slot.headers { request.setValue(value, forHTTPHeaderField: name) }
        let (_, response) = try await URLSession(configuration: .ephemeral).upload(for: request, from: bytes)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// Waits up to `seconds` for `condition`.
    static func eventually(_ seconds: Int = 20, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return try condition()
    }

    @Test("ChatClient uploads an encrypted file to the bucket, another member's ChatClient decrypts it; the bucket never holds the plaintext")
    func encryptedInBucket() async throws {
        let gate = try S3GateServer(access: Self.access, secret: Self.secret, region: Self.region, bucket: Self.bucket)
        defer { gate.stop() }
        let home = try TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try await TestServer.start(configure: Self.s3(gate))
        var stopped = false
        defer { if !stopped { Task { [server] in try? await server.stop() } } }
        for handle in ["alice", "bob"] {
            let registered = try await ChatClientAttachmentTests.chat(["register", handle, "--server", server.base], home: home, handle)
            #expect(registered.status == 0, "\(registered)")
        }
        let created = try await ChatClientAttachmentTests.chat(["create", "bob", "--title", "vault", "--e2ee"], home: home, "alice")
        #expect(created.status == 0, "\(created)")
        let conversation = created.output.trimmingCharacters(in: .whitespacesAndNewlines)

        let marker = "BUCKET-PLAINTEXT-41d8e2"
        let file = home.appendingPathComponent("ledger.txt")
        let plaintext = try ChatClientAttachmentTests.file(file, marker: marker, size: 1_500_000)
        let sent = try await ChatClientAttachmentTests.chat(["send", conversation, "--file", file.path], home: home, "alice")
        #expect(sent.status == 0, "\(sent)")
        let message = try ChatClientAttachmentTests.messageID(sent)
        let saved = home.appendingPathComponent("bob-ledger.txt")
        let fetched = try await ChatClientAttachmentTests.chat(["download", message, "--out", saved.path], home: home, "bob")
        #expect(fetched.status == 0 && fetched.output.contains("decrypted"), "\(fetched)")
        #expect(try Data(contentsOf: saved) == plaintext, "byte-identical after decryption")

        // The bucket, read straight from moto: one object, a media stream, no plaintext.
        let objects = try gate.objects()
        #expect(objects.count == 1, "\(objects.keys)")
        for (key, bytes) in objects {
            #expect(key.hasPrefix("uploads/"))
            #expect(bytes.count > plaintext.count, "ciphertext is longer than the file")
            #expect(bytes.starts(with: [0x01, 0x07]), "a media stream (E2EE.md §7.1)")
            #expect(bytes.range(of: Data(marker.utf8)) == nil, "the bucket holds the plaintext")
            #expect(bytes.range(of: plaintext.prefix(64)) == nil)
        }
        let records = try Self.records(server)
        #expect(records.count == 1 && objects.keys.first == "uploads/\(records[0].id)", "\(records) \(objects.keys)")
        let database = try String(contentsOf: server.directory.appendingPathComponent("data/chat.sqlite"), encoding: .isoLatin1)
        #expect(!database.contains("ledger.txt"), "the file name travels only inside the sealed message")
        stopped = true
        try await server.stop()
    }

    @Test("an upload slot never attached is deleted after its lifetime: the record and the object in the bucket")
    func purgeOnS3() async throws {
        let gate = try S3GateServer(access: Self.access, secret: Self.secret, region: Self.region, bucket: Self.bucket)
        defer { gate.stop() }
        let s3 = Self.s3(gate)
        try await TestServer.with(configure: { configuration in
            s3(&configuration)
            // Slots live a minute; the purge job runs every 10 minutes.
            configuration.media.policy.uploadLifetimeMilliseconds = 60_000
        }) { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let bob = try await client.user("bob")
            let room = try await client.group(by: alice, members: [bob])
            let bytes = Data(repeating: 0x5A, count: 4096)
            let attached = try await client.uploadSlot(in: room, as: alice, fileName: "kept.pdf", size: bytes.count)
            let pending = try await client.uploadSlot(in: room, as: alice, fileName: "forgotten.pdf", size: bytes.count)
            let empty = try await client.uploadSlot(in: room, as: bob, fileName: "never.pdf", size: bytes.count)
            #expect(try await Self.put(bytes, to: attached) == 200)
            #expect(try await Self.put(bytes, to: pending) == 200)
            #expect(try await client.send("kept", attachments: [attached.id], to: room, as: alice).status == 201)
            #expect(Set(try gate.objects().keys) == ["uploads/\(attached.id)", "uploads/\(pending.id)"])
            #expect(Set(try Self.records(server).map(\.id)) == [attached.id, pending.id, empty.id])

            // Eleven minutes on (the bucket accepts requests signed up to 15 minutes off):
            // the slots expired and the purge job's next run is due.
            server.clock.advance(seconds: 11 * 60)
            let purged = try await Self.eventually {
                try Self.records(server).map(\.id) == [attached.id] && Set(try gate.objects().keys) == ["uploads/\(attached.id)"]
            }
            let (records, keys) = (try Self.records(server).map(\.id), try gate.objects().keys.sorted())
            #expect(purged, "records \(records); bucket \(keys)")
            // The attached upload is kept and still served.
            let bobLater = try await client.login("bob")
            let grant = try await client.downloadURL(attached.id, as: bobLater)
            #expect(grant.status == 200, "\(grant)")
        }
    }

    @Test("erasing an account deletes its pending uploads and their objects, and the files of its tombstoned messages")
    func erasureOnS3() async throws {
        let gate = try S3GateServer(access: Self.access, secret: Self.secret, region: Self.region, bucket: Self.bucket)
        defer { gate.stop() }
        try await TestServer.with(configure: Self.s3(gate)) { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let bob = try await client.user("bob")
            let room = try await client.group(by: alice, members: [bob])
            let bytes = Data(repeating: 0x11, count: 2048)
            // Alice: a sent file, an uploaded slot not sent yet, a slot with nothing uploaded.
            let sentSlot = try await client.uploadSlot(in: room, as: alice, fileName: "sent.pdf", size: bytes.count)
            let pending = try await client.uploadSlot(in: room, as: alice, fileName: "pending.pdf", size: bytes.count)
            let empty = try await client.uploadSlot(in: room, as: alice, fileName: "empty.pdf", size: bytes.count)
            #expect(try await Self.put(bytes, to: sentSlot) == 200)
            #expect(try await Self.put(bytes, to: pending) == 200)
            #expect(try await client.send("mine", attachments: [sentSlot.id], to: room, as: alice).status == 201)
            // Bob: a sent file and a pending upload, which stay.
            let bobSent = try await client.uploadSlot(in: room, as: bob, fileName: "bob.pdf", size: bytes.count)
            let bobPending = try await client.uploadSlot(in: room, as: bob, fileName: "bob-pending.pdf", size: bytes.count)
            #expect(try await Self.put(bytes, to: bobSent) == 200)
            #expect(try await Self.put(bytes, to: bobPending) == 200)
            #expect(try await client.send("his", attachments: [bobSent.id], to: room, as: bob).status == 201)
            #expect(try gate.objects().count == 4)
            _ = empty

            let deleted = try await client.call(
                "POST", "/v1/account/delete", token: alice.token, json: ["password": HTTPClient.password])
            #expect(deleted.status == 204, "\(deleted)")

            // At once, not at the purge job's next run: nothing of alice's is left.
            let records = try Self.records(server)
            #expect(!records.contains { $0.owner == alice.id }, "alice's records: \(records)")
            #expect(Set(records.map(\.id)) == [bobSent.id, bobPending.id])
            #expect(Set(try gate.objects().keys) == ["uploads/\(bobSent.id)", "uploads/\(bobPending.id)"])
            // Her message is a tombstone: its file is gone for bob too; his own is served.
            #expect(try await client.downloadURL(sentSlot.id, as: bob).status == 404)
            #expect(try await client.downloadURL(bobSent.id, as: bob).status == 200)
        }
    }

    @Test("with --deleted-account-messages keep, the kept messages keep their files; pending uploads are deleted")
    func erasureKeepingMessages() async throws {
        try await TestServer.with(configure: { $0.deletedAccountMessages = .keep }) { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let bob = try await client.user("bob")
            let room = try await client.group(by: alice, members: [bob])
            let bytes = Data(repeating: 0x22, count: 1024)
            let sentSlot = try await client.uploadSlot(in: room, as: alice, fileName: "sent.pdf", size: bytes.count)
            let pending = try await client.uploadSlot(in: room, as: alice, fileName: "pending.pdf", size: bytes.count)
            #expect(try await client.upload(bytes, to: sentSlot).status == 200)
            #expect(try await client.upload(bytes, to: pending).status == 200)
            #expect(try await client.send("mine", attachments: [sentSlot.id], to: room, as: alice).status == 201)
            let objects = server.directory.appendingPathComponent("data/media/objects/uploads")
            #expect(FileManager.default.fileExists(atPath: objects.appendingPathComponent(pending.id).path))

            let admin = try await client.call(
                "POST", "/v1/account/delete", token: alice.token, json: ["password": HTTPClient.password])
            #expect(admin.status == 204, "\(admin)")
            #expect(try Self.records(server).map(\.id) == [sentSlot.id])
            #expect(!FileManager.default.fileExists(atPath: objects.appendingPathComponent(pending.id).path))
            #expect(FileManager.default.fileExists(atPath: objects.appendingPathComponent(sentSlot.id).path))
            let grant = try await client.downloadURL(sentSlot.id, as: bob)
            #expect(grant.status == 200, "\(grant)")
            let url = try #require(grant["url"] as? String)
            #expect(try await client.call("GET", try client.relative(url)).data == bytes)
        }
    }
}
