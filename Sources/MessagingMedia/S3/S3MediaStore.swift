import Foundation
import MessagingCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Server-side encryption S3 applies to uploaded objects, requested through the signed
/// `x-amz-server-side-encryption` header of the upload URL.
///
/// Thread safety: a value type; safe to share across tasks.
public enum S3ServerSideEncryption: Hashable, Sendable {
    /// S3-managed keys (`AES256`).
    case aes256
    /// AWS KMS (`aws:kms`), with the key id or ARN when not the bucket's default.
    case kms(keyID: String?)

    var headers: [String: String] {
        switch self {
        case .aes256: ["x-amz-server-side-encryption": "AES256"]
        case .kms(let keyID):
            keyID.map { ["x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": $0] }
                ?? ["x-amz-server-side-encryption": "aws:kms"]
        }
    }
}

/// The ``MediaStore`` on an S3-compatible bucket (AWS S3, MinIO, Ceph, moto …).
///
/// Clients upload and download directly with AWS Signature Version 4 presigned URLs made by
/// ``SigV4Presigner``; the server itself only sends `HEAD` and `DELETE`, signed in the
/// `Authorization` header, through Foundation's `URLSession`.
///
/// Upload URLs sign `content-type`, `content-length` (unless ``signsContentLength`` is off)
/// and the server-side-encryption headers, so S3 refuses an upload of another type or size,
/// or without encryption. Download URLs carry `response-content-type` and
/// `response-content-disposition`, so the bucket answers with the headers the server chose.
/// (S3 does not send `X-Content-Type-Options`; serve from a bucket that no page of the
/// host's origin is on.)
///
/// Thread safety: immutable after `init`; safe to share across tasks.
public struct S3MediaStore: MediaStore {
    /// The signer (credentials, region, bucket, endpoint).
    public let presigner: SigV4Presigner
    /// Server-side encryption requested on upload, or `nil`.
    public let serverSideEncryption: S3ServerSideEncryption?
    /// Whether upload URLs sign `content-length` (S3 then refuses any other size).
    public let signsContentLength: Bool
    /// The timeout of the server's own `HEAD` and `DELETE` requests.
    public let requestTimeout: Duration
    private let clock: any WallClock

    /// Makes the store.
    public init(
        presigner: SigV4Presigner, serverSideEncryption: S3ServerSideEncryption? = nil, signsContentLength: Bool = true,
        requestTimeout: Duration = .seconds(10), clock: any WallClock = SystemWallClock()
    ) {
        self.presigner = presigner
        self.serverSideEncryption = serverSideEncryption
        self.signsContentLength = signsContentLength
        self.requestTimeout = requestTimeout
        self.clock = clock
    }

    public func uploadTarget(for slot: MediaUploadSlot) async throws(MediaError) -> MediaUploadTarget {
        var headers = ["content-type": slot.contentType]
        if signsContentLength { headers["content-length"] = String(slot.byteCount) }
        for (name, value) in serverSideEncryption?.headers ?? [:] { headers[name] = value }
        let now = clock.now()
        let signed = try presigner.presign(method: "PUT", key: slot.key, expiresInSeconds: slot.expiresInSeconds, at: now.date, headers: headers)
        return MediaUploadTarget(url: signed.url, headers: signed.headers, expiresAt: now.adding(milliseconds: Int64(slot.expiresInSeconds) * 1000))
    }

    public func downloadTarget(for request: MediaDownloadRequest) async throws(MediaError) -> MediaDownloadTarget {
        let now = clock.now()
        let signed = try presigner.presign(
            method: "GET", key: request.key, expiresInSeconds: request.expiresInSeconds, at: now.date,
            query: [("response-content-type", request.contentType), ("response-content-disposition", request.contentDisposition)])
        return MediaDownloadTarget(url: signed.url, expiresAt: now.adding(milliseconds: Int64(request.expiresInSeconds) * 1000))
    }

    public func head(_ key: MediaObjectKey) async throws(MediaError) -> MediaObjectInfo? {
        let response = try await send("HEAD", key)
        switch response.statusCode {
        case 200:
            guard let length = response.value(forHTTPHeaderField: "Content-Length").flatMap(Int64.init) else {
                throw MediaError(code: .storageFailed, message: "S3 answered HEAD without a Content-Length for key '\(key)'")
            }
            return MediaObjectInfo(byteCount: length, contentType: response.value(forHTTPHeaderField: "Content-Type"))
        case 404: return nil
        default:
            throw MediaError(code: .storageFailed, message: "S3 answered HEAD with HTTP \(response.statusCode) for key '\(key)' (403: check credentials, region and clock)")
        }
    }

    public func delete(_ key: MediaObjectKey) async throws(MediaError) {
        let response = try await send("DELETE", key)
        guard (200..<300).contains(response.statusCode) || response.statusCode == 404 else {
            throw MediaError(code: .storageFailed, message: "S3 answered DELETE with HTTP \(response.statusCode) for key '\(key)' (403: check credentials, region and clock)")
        }
    }

    private func send(_ method: String, _ key: MediaObjectKey) async throws(MediaError) -> HTTPURLResponse {
        let signed = try presigner.sign(method: method, key: key, at: clock.now().date)
        let seconds = Double(requestTimeout.components.seconds) + Double(requestTimeout.components.attoseconds) / 1e18
        var request = URLRequest(url: signed.url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: seconds)
        request.httpMethod = method
        for (name, value) in signed.headers { request.setValue(value, forHTTPHeaderField: name) }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = seconds
        configuration.timeoutIntervalForResource = seconds
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        do {
            let (_, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse else {
                throw MediaError(code: .storageFailed, message: "S3 \(method) got no HTTP response")
            }
            return http
        } catch let error as MediaError {
            throw error
        } catch {
            throw MediaError(code: .storageFailed, message: "S3 \(method) to \(presigner.endpoint.host) failed or timed out; check the endpoint and network", cause: error)
        }
    }
}
