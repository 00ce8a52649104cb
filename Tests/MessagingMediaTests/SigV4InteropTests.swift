import Foundation
import TestSupport
import Testing
@testable import MessagingMedia

/// The SigV4 signer against botocore (Tests/Interop/sigv4_interop.py): the same credentials,
/// time, region, bucket, key and headers must give byte-identical presigned URLs and
/// `Authorization` headers.
@Suite("SigV4 against botocore")
struct SigV4InteropTests {
    struct Case: Codable {
        var kind = "presign"
        var method: String
        var bucket = "media-bucket"
        var key: String
        var region = "us-east-1"
        var endpoint: String
        var style: String
        var accessKeyID = "AKIDEXAMPLE"
        var secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        var sessionToken: String?
        var time: Int64
        var expires = 900
        var contentType: String?
        var contentLength: Int64?
        var sse: String?
        var sseKMSKeyID: String?
        var responseContentType: String?
        var responseContentDisposition: String?
    }

    struct Reference: Decodable {
        var url: String?
        var headers: [String: String]?
    }

    static let keys = [
        "photo.png", "a/b/c.jpg", "ü/über straße.txt", "日本語/ファイル名.pdf", "emoji 😀 face.gif",
        "plus+equals=amp&.bin", "reserved !*'();:@&=+$,?#[].txt", "tilde~under_score-dash.dot",
        "percent%20already%2F", "trailing space .txt", "quote\"and<angle>{brace}|pipe^caret`tick",
        "uploads/2026/12/07/3f2a9c1e-0b7d-4e43-9d4c-3f7e2b1a0c55",
    ]
    static let endpoints: [(String, String)] = [
        ("https://s3.eu-west-1.amazonaws.com", "virtualHosted"), ("http://127.0.0.1:9000", "path"),
        ("https://minio.example.com:8443", "path"), ("https://storage.example.net", "virtualHosted"),
        ("https://s3.us-east-1.amazonaws.com", "path"),
    ]
    static let regions = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"]
    static let expiries = [1, 60, 900, 3600, 86_400, 604_800]
    static let times: [Int64] = [1_796_000_000, 1_767_225_599, 1_767_225_600, 1_709_164_800, 1_800_000_123]

    /// 40 presigned cases over methods, keys, endpoints and styles, regions, expiries (with
    /// both bounds), session tokens, SSE headers, signed type and length, and response
    /// overrides; and 8 header-signed cases.
    static func cases() -> [Case] {
        var cases: [Case] = []
        let methods = ["PUT", "GET", "PUT", "HEAD", "GET", "DELETE", "PUT", "GET"]
        for index in 0..<40 {
            let (endpoint, style) = endpoints[index % endpoints.count]
            var item = Case(
                method: methods[index % methods.count], key: keys[index % keys.count], region: regions[index % regions.count],
                endpoint: endpoint, style: style, time: times[index % times.count], expires: expiries[index % expiries.count])
            if index % 3 == 1 { item.sessionToken = "FQoGZXIvYXdzEJr//////////wEaDOmQ+token=\(index)/abc" }
            if index % 7 == 3 { item.accessKeyID = "ASIAQEXAMPLE\(index)"; item.secret = "secret+with/slashes=\(index)" }
            if index % 11 == 5 { item.bucket = "my.dotted.bucket" ; item.style = "path" }
            switch item.method {
            case "PUT":
                item.contentType = ["image/png", "application/octet-stream", "video/mp4", "text/plain; charset=utf-8"][index % 4]
                if index % 2 == 0 { item.contentLength = Int64(index) * 1_048_577 }
                switch index % 3 {
                case 0: item.sse = "AES256"
                case 1: item.sse = "aws:kms"; item.sseKMSKeyID = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                default: break
                }
            case "GET" where index % 2 == 1:
                item.responseContentType = "image/jpeg"
                item.responseContentDisposition = "attachment; filename=\"r\u{e9}sum\u{e9} (1).jpg\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%281%29.jpg"
            default: break
            }
            cases.append(item)
        }
        for index in 0..<8 {
            let (endpoint, style) = endpoints[index % endpoints.count]
            var item = Case(
                kind: "header", method: index % 2 == 0 ? "HEAD" : "DELETE", key: keys[(index * 5) % keys.count],
                region: regions[index % regions.count], endpoint: endpoint, style: style, time: times[index % times.count])
            if index % 2 == 1 { item.sessionToken = "session/token+\(index)=" }
            cases.append(item)
        }
        return cases
    }

    func ours(_ item: Case) throws -> Reference {
        let presigner = try SigV4Presigner(
            credentials: SigV4Credentials(accessKeyID: item.accessKeyID, secretAccessKey: item.secret, sessionToken: item.sessionToken),
            region: item.region, bucket: item.bucket,
            endpoint: S3Endpoint(url: item.endpoint, addressingStyle: item.style == "path" ? .path : .virtualHosted))
        let key = try MediaObjectKey(item.key)
        let date = Date(timeIntervalSince1970: TimeInterval(item.time))
        if item.kind == "header" {
            let signed = try presigner.sign(method: item.method, key: key, at: date)
            return Reference(url: signed.url.absoluteString, headers: signed.headers)
        }
        var headers: [String: String] = [:]
        headers["content-type"] = item.contentType
        headers["content-length"] = item.contentLength.map(String.init)
        headers["x-amz-server-side-encryption"] = item.sse
        headers["x-amz-server-side-encryption-aws-kms-key-id"] = item.sseKMSKeyID
        var query: [(name: String, value: String)] = []
        if let type = item.responseContentType { query.append(("response-content-type", type)) }
        if let disposition = item.responseContentDisposition { query.append(("response-content-disposition", disposition)) }
        let signed = try presigner.presign(method: item.method, key: key, expiresInSeconds: item.expires, at: date, headers: headers, query: query)
        return Reference(url: signed.url.absoluteString, headers: nil)
    }

    @Test("presigned URLs and Authorization headers are byte-identical to botocore's (48 cases)")
    func matchesBotocore() throws {
        let python = try MediaPaths.python()
        let cases = Self.cases()
        #expect(cases.filter { $0.kind == "presign" }.count >= 30)
        let directory = try MediaPaths.temporaryDirectory("sigv4")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("cases.json")
        let output = directory.appendingPathComponent("reference.json")
        try JSONEncoder().encode(cases).write(to: input)
        let run = try SpawnedProcess.run(
            URL(fileURLWithPath: python), [MediaPaths.interop.appendingPathComponent("sigv4_interop.py").path, input.path, output.path], input: Data())
        try #require(run.status == 0, "sigv4_interop.py failed: \(String(decoding: run.errors, as: UTF8.self))")
        let references = try JSONDecoder().decode([Reference].self, from: Data(contentsOf: output))
        try #require(references.count == cases.count)
        for (item, reference) in zip(cases, references) {
            let mine = try ours(item)
            if item.kind == "presign" {
                #expect(mine.url == reference.url, "case \(item.method) \(item.key) \(item.endpoint) \(item.style)")
            } else {
                let theirs = try #require(reference.headers)
                for name in ["authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"] {
                    #expect(mine.headers?[name] == theirs[name], "header \(name) of case \(item.method) \(item.key)")
                }
                #expect(Set(mine.headers?.keys.map { $0 } ?? []) == Set(theirs.keys), "case \(item.method) \(item.key)")
            }
        }
    }

    @Test("lifetimes outside 1 s … 7 days are refused")
    func expiryBounds() throws {
        let presigner = try SigV4Presigner(
            credentials: SigV4Credentials(accessKeyID: "AKID", secretAccessKey: "secret"), region: "us-east-1", bucket: "media",
            endpoint: S3Endpoint(url: "http://127.0.0.1:9000", addressingStyle: .path))
        let key = try MediaObjectKey("a.png")
        for seconds in [0, -1, 604_801, Int.max] {
            #expect(throws: MediaError.self) { try presigner.presign(method: "GET", key: key, expiresInSeconds: seconds, at: Date()) }
            do {
                _ = try presigner.presign(method: "GET", key: key, expiresInSeconds: seconds, at: Date())
            } catch {
                #expect(error.code == .invalidExpiry)
            }
        }
        _ = try presigner.presign(method: "GET", key: key, expiresInSeconds: 1, at: Date())
        _ = try presigner.presign(method: "GET", key: key, expiresInSeconds: 604_800, at: Date())
    }

    @Test("bad configuration is refused with a message saying what to fix")
    func configuration() throws {
        let credentials = SigV4Credentials(accessKeyID: "AKID", secretAccessKey: "secret")
        let endpoint = try S3Endpoint(url: "https://s3.amazonaws.com", addressingStyle: .virtualHosted)
        for bucket in ["", "ab", "Upper", "-dash", "a..b", String(repeating: "a", count: 64), "dotted.bucket"] {
            #expect(throws: MediaError.self) { try SigV4Presigner(credentials: credentials, region: "us-east-1", bucket: bucket, endpoint: endpoint) }
        }
        #expect(throws: MediaError.self) { try SigV4Presigner(credentials: credentials, region: "US East", bucket: "media", endpoint: endpoint) }
        #expect(throws: MediaError.self) {
            try SigV4Presigner(credentials: SigV4Credentials(accessKeyID: "", secretAccessKey: "x"), region: "us-east-1", bucket: "media", endpoint: endpoint)
        }
        #expect(throws: MediaError.self) {
            try SigV4Presigner(credentials: credentials, region: "us-east-1", bucket: "media", endpoint: S3Endpoint(url: "http://127.0.0.1:9000", addressingStyle: .virtualHosted))
        }
        for url in ["ftp://host", "https://host/path", "https://host?x=1", "not a url"] {
            #expect(throws: MediaError.self) { try S3Endpoint(url: url, addressingStyle: .path) }
        }
        #expect(!String(describing: SigV4Credentials(accessKeyID: "AKID", secretAccessKey: "topsecret", sessionToken: "tok")).contains("topsecret"))
    }
}
