import Foundation
import MessagingCore
import TestSupport
import Testing
@testable import MessagingMedia
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Real round trips against moto's S3 in server mode on loopback, behind
/// Tests/Interop/s3_gate.py, which checks every request's SigV4 signature and presigned
/// expiry with botocore (moto itself checks neither). The test starts the server and stops it
/// by PID at the end, also when it fails; it fails, never skips, when the server cannot start.
@Suite("S3MediaStore against moto")
struct S3RoundTripTests {
    static let access = "AKIAMEDIATEST"
    static let secret = "media/test+secret=key"
    static let region = "eu-west-1"
    static let bucket = "media-roundtrip"

    /// The gate + moto child process (TestSupport's `S3GateServer`), stopped by PID.
    final class S3Server {
        private let gate: S3GateServer
        var port: Int { gate.port }

        init() throws {
            do {
                gate = try S3GateServer(
                    access: S3RoundTripTests.access, secret: S3RoundTripTests.secret, region: S3RoundTripTests.region,
                    bucket: S3RoundTripTests.bucket)
            } catch let error as S3GateServer.StartError {
                throw TestFailure(error.description)
            }
        }

        /// Stops the child by its PID: SIGTERM, then SIGKILL after 5 s.
        func stop() { gate.stop() }
    }

    static func store(port: Int, clock: any WallClock = SystemWallClock(), secret: String = secret) throws -> S3MediaStore {
        let presigner = try SigV4Presigner(
            credentials: SigV4Credentials(accessKeyID: access, secretAccessKey: secret), region: region, bucket: bucket,
            endpoint: S3Endpoint(url: "http://127.0.0.1:\(port)", addressingStyle: .path))
        return S3MediaStore(presigner: presigner, serverSideEncryption: .aes256, clock: clock)
    }

    static func send(_ method: String, _ url: URL, headers: [String: String] = [:], body: Data? = nil) async throws -> (Int, Data, HTTPURLResponse) {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 30)
        request.httpMethod = method
        // Content-Length comes from the body (URLSession sets it); the signed value must match.
        for (name, value) in headers where name.lowercased() != "content-length" { request.setValue(value, forHTTPHeaderField: name) }
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = if let body { try await session.upload(for: request, from: body) } else { try await session.data(for: request) }
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, data, http)
    }

    @Test("upload through a presigned PUT, HEAD, presigned GET, refusals, DELETE")
    func roundTrip() async throws {
        let server = try S3Server()
        defer { server.stop() }
        let store = try Self.store(port: server.port)

        // Upload 300 KiB through the presigned URL.
        let key = try MediaObjectKey("uploads/ü b+c=&/photo 1.png")
        let body = Data((0..<(300 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let slot = try MediaUploadSlot(key: key, contentType: "image/png", byteCount: Int64(body.count), expiresInSeconds: 300)
        let upload = try await store.uploadTarget(for: slot)
        #expect(upload.headers["x-amz-server-side-encryption"] == "AES256")
        #expect(upload.headers["content-length"] == String(body.count))
        let put = try await Self.send("PUT", upload.url, headers: upload.headers, body: body)
        #expect(put.0 == 200, "PUT answered \(put.0): \(String(decoding: put.1, as: UTF8.self))")

        // HEAD (signed in the Authorization header) shows the size and type.
        let info = try #require(try await store.head(key))
        #expect(info.byteCount == Int64(body.count))
        #expect(info.contentType == "image/png")
        // The object was stored with server-side encryption requested.
        let signedHead = try store.presigner.sign(method: "HEAD", key: key, at: Date())
        let rawHead = try await Self.send("HEAD", signedHead.url, headers: signedHead.headers)
        #expect(rawHead.0 == 200)
        #expect(rawHead.2.value(forHTTPHeaderField: "x-amz-server-side-encryption") == "AES256")

        // Download through the presigned GET, with the response headers the server chose.
        let disposition = MediaServingHeaders().contentDisposition(contentType: "image/png", fileName: "photo 1.png")
        let download = try await store.downloadTarget(for: MediaDownloadRequest(key: key, contentType: "image/png", contentDisposition: disposition, expiresInSeconds: 60))
        let get = try await Self.send("GET", download.url)
        #expect(get.0 == 200)
        #expect(get.1 == body)
        #expect(get.2.value(forHTTPHeaderField: "Content-Disposition") == disposition)

        // A tampered URL is refused.
        let tampered = URL(string: download.url.absoluteString.replacingOccurrences(of: "X-Amz-Expires=60", with: "X-Amz-Expires=600"))!
        #expect(try await Self.send("GET", tampered).0 == 403)

        // An expired URL is refused: signed two hours ago for 60 s.
        let past = ManualClock(Date().addingTimeInterval(-7200))
        let oldStore = try Self.store(port: server.port, clock: past)
        let expired = try await oldStore.downloadTarget(for: MediaDownloadRequest(key: key, contentType: "image/png", contentDisposition: "attachment", expiresInSeconds: 60))
        let refused = try await Self.send("GET", expired.url)
        #expect(refused.0 == 403)
        #expect(String(decoding: refused.1, as: UTF8.self).contains("expired"))

        // A body of another size than the signed content-length is refused and nothing is stored.
        let other = try MediaObjectKey("uploads/wrong-size.bin")
        let small = try await store.uploadTarget(for: MediaUploadSlot(key: other, contentType: "application/octet-stream", byteCount: 10, expiresInSeconds: 60))
        #expect(try await Self.send("PUT", small.url, headers: small.headers, body: Data(count: 11)).0 == 403)
        // So is another content type, and an upload without the signed encryption header.
        var wrongType = small.headers
        wrongType["content-type"] = "text/html"
        #expect(try await Self.send("PUT", small.url, headers: wrongType, body: Data(count: 10)).0 == 403)
        var noEncryption = small.headers
        noEncryption["x-amz-server-side-encryption"] = nil
        #expect(try await Self.send("PUT", small.url, headers: noEncryption, body: Data(count: 10)).0 == 403)
        #expect(try await store.head(other) == nil)
        // The right size goes through.
        #expect(try await Self.send("PUT", small.url, headers: small.headers, body: Data(count: 10)).0 == 200)
        #expect(try await store.head(other)?.byteCount == 10)

        // Wrong credentials: the server's own HEAD fails with a clear error.
        let wrong = try Self.store(port: server.port, secret: "not-the-secret")
        await #expect(throws: MediaError.self) { try await wrong.head(key) }

        // DELETE, then the object is gone; deleting again succeeds.
        try await store.delete(key)
        #expect(try await store.head(key) == nil)
        try await store.delete(key)
        // (A plain presigned GET: for a missing key moto answers a URL with
        // response-content-disposition with 403, wanting a Content-Disposition request header.)
        let plain = try store.presigner.presign(method: "GET", key: key, expiresInSeconds: 60, at: Date())
        let gone = try await Self.send("GET", plain.url)
        #expect(gone.0 == 404, "GET after DELETE answered \(gone.0): \(String(decoding: gone.1, as: UTF8.self))")
    }
}
