import ChatServerApp
import Foundation
import MessagingMedia
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Media attachments through a running ChatServer configured with an S3-compatible bucket:
/// moto behind the SigV4 gate (`Tests/Interop/s3_gate.py`), started and stopped by PID here.
/// Clients upload to and download from the bucket directly with presigned URLs.
@Suite("ChatServer HTTP: attachments on S3 (moto)", .timeLimit(.minutes(3)))
struct AttachmentS3Tests {
    static let access = "AKIACHATSERVERTEST"
    static let secret = "chat/server+secret=key"
    static let region = "eu-west-1"
    static let bucket = "chat-attachments"

    /// A request to an absolute URL (the bucket), outside the server's base.
    static func request(_ method: String, _ url: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> (Int, Data, [String: String]) {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let session = URLSession(configuration: .ephemeral)
        let (data, response): (Data, URLResponse)
        if let body { (data, response) = try await session.upload(for: request, from: body) } else { (data, response) = try await session.data(for: request) }
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { fields[key.lowercased()] = value }
        }
        return (http.statusCode, data, fields)
    }

    @Test("presigned upload with SSE, wrong size refused, send after the HEAD check, download by a member, non-member and expired URL refused")
    func flow() async throws {
        let gate = try S3GateServer(access: Self.access, secret: Self.secret, region: Self.region, bucket: Self.bucket)
        defer { gate.stop() }
        try await TestServer.with(configure: { configuration in
            configuration.media.backend = .s3(S3Settings(
                endpoint: "http://127.0.0.1:\(gate.port)", region: Self.region, bucket: Self.bucket, accessKeyID: Self.access,
                secretAccessKey: Self.secret, pathStyle: true, serverSideEncryption: .aes256))
        }) { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let bob = try await client.user("bob")
            let eve = try await client.user("eve")
            let room = try await client.group(by: alice, members: [bob])
            let bytes = Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })

            let slot = try await client.uploadSlot(in: room, as: alice, fileName: "notes.pdf", size: bytes.count)
            #expect(slot.url.hasPrefix("http://127.0.0.1:\(gate.port)/\(Self.bucket)/uploads/\(slot.id)?"), "\(slot.url)")
            #expect(slot.headers["x-amz-server-side-encryption"] == "AES256", "\(slot.headers)")
            // Another size than the signed one, and a missing encryption header: refused by the bucket.
            var short = slot.headers
            short["content-length"] = String(bytes.count - 1)
            let (shortStatus, _, _) = try await Self.request("PUT", slot.url, body: bytes.dropLast(), headers: short)
            #expect(shortStatus == 403)
            var plain = slot.headers
            plain["x-amz-server-side-encryption"] = nil
            #expect(try await Self.request("PUT", slot.url, body: bytes, headers: plain).0 == 403)
            let early = try await client.send("early", attachments: [slot.id], to: room, as: alice)
            #expect(early.status == 400, "nothing in the bucket yet: \(early)")

            let (status, _, _) = try await Self.request("PUT", slot.url, body: bytes, headers: slot.headers)
            #expect(status == 200)
            let sent = try await client.send("notes", attachments: [slot.id], to: room, as: alice)
            #expect(sent.status == 201, "\(sent)")

            let grant = try await client.downloadURL(slot.id, as: bob)
            #expect(grant.status == 200, "\(grant)")
            let url = try #require(grant["url"] as? String)
            let (downloaded, data, headers) = try await Self.request("GET", url)
            #expect(downloaded == 200 && data == bytes)
            #expect(headers["content-type"] == "application/pdf")
            #expect(headers["content-disposition"] == "attachment; filename=\"notes.pdf\"", "\(headers)")
            #expect(try await client.downloadURL(slot.id, as: eve).status == 404)

            // A URL signed an hour ago with a 5-minute lifetime: the bucket refuses it.
            server.clock.advance(seconds: -3600)
            let bobThen = try await client.login("bob")
            let old = try #require(try await client.downloadURL(slot.id, as: bobThen)["url"] as? String)
            server.clock.advance(seconds: 3600)
            #expect(try await Self.request("GET", old).0 == 403)
        }
    }
}
