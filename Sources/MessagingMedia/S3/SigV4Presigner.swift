import Foundation
import MessagingCore
import MessagingSodium

/// AWS credentials for Signature Version 4.
///
/// Thread safety: a value type; safe to share across tasks. ``description`` never shows
/// the secret or the session token.
public struct SigV4Credentials: Hashable, Sendable, CustomStringConvertible {
    /// The access key id (`AKIA…`, `ASIA…`).
    public var accessKeyID: String
    /// The secret access key.
    public var secretAccessKey: String
    /// The session token of temporary credentials, sent as `X-Amz-Security-Token`.
    public var sessionToken: String?

    /// Makes credentials.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String {
        "SigV4Credentials(accessKeyID: \(accessKeyID), secret: <redacted>\(sessionToken == nil ? "" : ", session token: <redacted>"))"
    }
}

/// Where a bucket is reached, and how the bucket is named in requests.
///
/// Thread safety: a value type; safe to share across tasks.
public struct S3Endpoint: Hashable, Sendable {
    /// How the bucket appears in URLs.
    public enum AddressingStyle: String, Hashable, Sendable {
        /// `https://BUCKET.HOST/KEY` (AWS's default; the bucket must be a DNS label).
        case virtualHosted
        /// `https://HOST/BUCKET/KEY` (MinIO, moto, Ceph and other S3-compatible servers).
        case path
    }

    /// `https` or `http`.
    public var scheme: String
    /// The host name or IP address, without the bucket (`s3.eu-west-1.amazonaws.com`).
    public var host: String
    /// The port, when not the scheme's default.
    public var port: Int?
    /// How the bucket is named.
    public var addressingStyle: AddressingStyle

    /// Parses an endpoint URL such as `https://s3.eu-west-1.amazonaws.com` or
    /// `http://127.0.0.1:9000`.
    ///
    /// - Throws: ``MediaError/Code/invalidConfiguration`` for another scheme, a path, a
    ///   query or user information in the URL.
    public init(url: String, addressingStyle: AddressingStyle) throws(MediaError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "https" || scheme == "http", let host = components.host, !host.isEmpty else {
            throw MediaError(code: .invalidConfiguration, message: "S3 endpoint '\(url)' is not an http(s) URL with a host, such as https://s3.eu-west-1.amazonaws.com")
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil, components.user == nil, components.fragment == nil else {
            throw MediaError(code: .invalidConfiguration, message: "S3 endpoint '\(url)' has a path, query or user; give only scheme, host and port")
        }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = components.port
        self.addressingStyle = addressingStyle
    }

    /// AWS's regional endpoint, virtual-hosted: `https://s3.REGION.amazonaws.com`.
    public static func aws(region: String) -> S3Endpoint {
        // swiftlint:disable:next force_try
        try! S3Endpoint(url: "https://s3.\(region).amazonaws.com", addressingStyle: .virtualHosted)
    }

    /// `host[:port]`, the port left out when it is the scheme's default (as the `Host`
    /// header carries it).
    var authority: String {
        guard let port, !(scheme == "https" && port == 443), !(scheme == "http" && port == 80) else { return host }
        return "\(host):\(port)"
    }
}

/// A request signed in its query string: anyone holding ``url`` may make it until it expires,
/// sending ``headers`` unchanged.
///
/// Thread safety: a value type; safe to share across tasks.
public struct SigV4PresignedRequest: Hashable, Sendable {
    /// The HTTP method.
    public var method: String
    /// The URL, signature included.
    public var url: URL
    /// The signed headers other than `host`, which the client must send as given.
    public var headers: [String: String]
    /// When the signature stops being accepted.
    public var expiresAt: Date
}

/// A request signed in its `Authorization` header (the server's own `HEAD` and `DELETE`).
///
/// Thread safety: a value type; safe to share across tasks.
public struct SigV4SignedRequest: Hashable, Sendable {
    /// The HTTP method.
    public var method: String
    /// The URL (no signature in it).
    public var url: URL
    /// The headers to send: `Authorization`, `x-amz-date`, `x-amz-content-sha256`,
    /// `x-amz-security-token` with temporary credentials, and the extra headers given.
    public var headers: [String: String]
}

/// AWS Signature Version 4 for S3: query-string presigning (``presign(method:key:expiresInSeconds:at:headers:query:)``)
/// and header signing (``sign(method:key:at:headers:payloadSHA256:)``).
///
/// Follows AWS's "Authenticating Requests: Using Query Parameters" and "Signature
/// Calculations for the Authorization Header" for S3: the object key is percent-encoded
/// once (RFC 3986 unreserved characters and `/` kept) and not normalized; query parameters
/// are sorted by encoded name then value; header values are trimmed; the payload is
/// `UNSIGNED-PAYLOAD` for presigned URLs. The URL's query lists the operation parameters
/// (in the caller's order) and then `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
/// `X-Amz-SignedHeaders`, `X-Amz-Security-Token` and `X-Amz-Signature`, the order botocore
/// writes, so URLs compare byte for byte with botocore's.
///
/// Thread safety: a value type; safe to share across tasks.
public struct SigV4Presigner: Sendable {
    /// The credentials.
    public let credentials: SigV4Credentials
    /// The region (`us-east-1`, `eu-west-1`, or what an S3-compatible server expects).
    public let region: String
    /// The service name in the credential scope (`s3`).
    public let service: String
    /// The bucket.
    public let bucket: String
    /// Where the bucket is.
    public let endpoint: S3Endpoint

    /// Makes a presigner.
    ///
    /// - Throws: ``MediaError/Code/invalidConfiguration`` for an empty access key or secret,
    ///   a region or service that is not lowercase letters, digits and `-`, or a bucket name
    ///   S3 refuses (3–63 characters of lowercase letters, digits, `.` and `-`; a DNS label
    ///   without dots for virtual-hosted addressing over https), or virtual-hosted addressing
    ///   on an IP address.
    public init(credentials: SigV4Credentials, region: String, service: String = "s3", bucket: String, endpoint: S3Endpoint) throws(MediaError) {
        guard !credentials.accessKeyID.isEmpty, !credentials.secretAccessKey.isEmpty else {
            throw MediaError(code: .invalidConfiguration, message: "S3 access key id and secret access key must not be empty")
        }
        guard !credentials.accessKeyID.contains("/") else {
            throw MediaError(code: .invalidConfiguration, message: "S3 access key id must not contain '/'")
        }
        let label: (String) -> Bool = { value in
            !value.isEmpty && value.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        }
        guard label(region) else {
            throw MediaError(code: .invalidConfiguration, message: "S3 region '\(region)' must be lowercase letters, digits and '-', such as eu-west-1")
        }
        guard label(service) else {
            throw MediaError(code: .invalidConfiguration, message: "SigV4 service '\(service)' must be lowercase letters, digits and '-', such as s3")
        }
        let bucketBytes = Array(bucket.utf8)
        guard (3...63).contains(bucketBytes.count),
              bucketBytes.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E }),
              bucketBytes.first != 0x2D, bucketBytes.first != 0x2E, bucketBytes.last != 0x2D, bucketBytes.last != 0x2E,
              !bucket.contains("..") else {
            throw MediaError(code: .invalidConfiguration, message: "S3 bucket '\(bucket)' must be 3–63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit")
        }
        if endpoint.addressingStyle == .virtualHosted,
           endpoint.host.contains(":") || endpoint.host.split(separator: ".").allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) {
            throw MediaError(code: .invalidConfiguration, message: "S3 endpoint \(endpoint.host) is an IP address, which cannot carry the bucket as a subdomain; use path-style addressing")
        }
        if endpoint.addressingStyle == .virtualHosted, endpoint.scheme == "https", bucket.contains(".") {
            throw MediaError(code: .invalidConfiguration, message: "S3 bucket '\(bucket)' has dots, which break TLS certificates in virtual-hosted addressing; use path-style addressing")
        }
        self.credentials = credentials
        self.region = region
        self.service = service
        self.bucket = bucket
        self.endpoint = endpoint
    }

    /// A presigned URL for `method` on `key`.
    ///
    /// - Parameters:
    ///   - method: `GET`, `PUT`, `HEAD` or `DELETE`.
    ///   - key: the object.
    ///   - expiresInSeconds: 1 … 604,800 (`X-Amz-Expires`).
    ///   - date: the signing time (`X-Amz-Date`); the URL works from then until `date + expires`.
    ///   - headers: headers the request must carry, all signed (names are lowercased), such as
    ///     `content-type`, `content-length`, `x-amz-server-side-encryption`.
    ///   - query: operation parameters such as `response-content-type`, written to the URL in
    ///     this order (the signature does not depend on it).
    /// - Throws: ``MediaError/Code/invalidExpiry``, ``MediaError/Code/invalidRequest`` for an
    ///   unknown method or a header that cannot be signed.
    public func presign(
        method: String, key: MediaObjectKey, expiresInSeconds: Int, at date: Date,
        headers: [String: String] = [:], query: [(name: String, value: String)] = []
    ) throws(MediaError) -> SigV4PresignedRequest {
        try MediaURLLifetime.validate(expiresInSeconds)
        let method = try Self.checkedMethod(method)
        let signedHeaders = try canonicalHeaderMap(headers)
        let timestamp = SigV4Encoding.amzDate(date)
        let day = String(timestamp.prefix(8))
        let path = canonicalPath(key)
        let headerNames = signedHeaders.keys.sorted()

        // In the URL in the caller's order (as botocore keeps its parameters' order); sorted
        // only in the canonical request.
        let operation = query.map { (SigV4Encoding.uriEncode($0.name, keepSlash: false), SigV4Encoding.uriEncode($0.value, keepSlash: false)) }
        var auth: [(String, String)] = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(day: day))"),
            ("X-Amz-Date", timestamp),
            ("X-Amz-Expires", String(expiresInSeconds)),
            ("X-Amz-SignedHeaders", headerNames.joined(separator: ";")),
        ]
        if let token = credentials.sessionToken { auth.append(("X-Amz-Security-Token", token)) }
        let authEncoded = auth.map { ($0.0, SigV4Encoding.uriEncode($0.1, keepSlash: false)) }

        let canonicalRequest = [
            method,
            path,
            SigV4Encoding.canonicalQuery(operation + authEncoded),
            headerNames.map { "\($0):\(signedHeaders[$0]!)\n" }.joined(),
            headerNames.joined(separator: ";"),
            "UNSIGNED-PAYLOAD",
        ].joined(separator: "\n")
        let signature = sign(canonicalRequest, timestamp: timestamp, day: day)

        let queryString = (operation + authEncoded + [("X-Amz-Signature", signature)]).map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        guard let url = URL(string: "\(endpoint.scheme)://\(host)\(endpoint.port.map { ":\($0)" } ?? "")\(path)?\(queryString)") else {
            throw MediaError(code: .invalidRequest, message: "the presigned URL for key '\(key)' is not a valid URL")
        }
        var clientHeaders = signedHeaders
        clientHeaders["host"] = nil
        return SigV4PresignedRequest(method: method, url: url, headers: clientHeaders, expiresAt: date.addingTimeInterval(TimeInterval(expiresInSeconds)))
    }

    /// A request signed in its `Authorization` header, for the server's own calls.
    ///
    /// - Parameters:
    ///   - method: `GET`, `PUT`, `HEAD` or `DELETE`.
    ///   - key: the object.
    ///   - date: the signing time (`x-amz-date`).
    ///   - headers: further headers to sign and send (names are lowercased).
    ///   - payloadSHA256: the lowercase hex SHA-256 of the body (the default is the empty
    ///     body's), or `UNSIGNED-PAYLOAD`.
    public func sign(
        method: String, key: MediaObjectKey, at date: Date, headers: [String: String] = [:],
        payloadSHA256: String = SigV4Presigner.emptyPayloadSHA256
    ) throws(MediaError) -> SigV4SignedRequest {
        let method = try Self.checkedMethod(method)
        var all = headers
        let timestamp = SigV4Encoding.amzDate(date)
        let day = String(timestamp.prefix(8))
        all["x-amz-date"] = timestamp
        all["x-amz-content-sha256"] = payloadSHA256
        if let token = credentials.sessionToken { all["x-amz-security-token"] = token }
        let signedHeaders = try canonicalHeaderMap(all)
        let headerNames = signedHeaders.keys.sorted()
        let path = canonicalPath(key)
        let canonicalRequest = [
            method, path, "",
            headerNames.map { "\($0):\(signedHeaders[$0]!)\n" }.joined(),
            headerNames.joined(separator: ";"),
            payloadSHA256,
        ].joined(separator: "\n")
        let signature = sign(canonicalRequest, timestamp: timestamp, day: day)
        var sent = signedHeaders
        sent["host"] = nil
        sent["authorization"] = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(day: day)), SignedHeaders=\(headerNames.joined(separator: ";")), Signature=\(signature)"
        guard let url = URL(string: "\(endpoint.scheme)://\(host)\(endpoint.port.map { ":\($0)" } ?? "")\(path)") else {
            throw MediaError(code: .invalidRequest, message: "the request URL for key '\(key)' is not a valid URL")
        }
        return SigV4SignedRequest(method: method, url: url, headers: sent)
    }

    /// The SHA-256 of the empty string, in hex.
    public static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    // MARK: - Parts

    /// The host requests go to (with the bucket for virtual-hosted addressing).
    var host: String {
        endpoint.addressingStyle == .virtualHosted ? "\(bucket).\(endpoint.host)" : endpoint.host
    }

    func canonicalPath(_ key: MediaObjectKey) -> String {
        let encodedKey = SigV4Encoding.uriEncode(key.rawValue, keepSlash: true)
        return endpoint.addressingStyle == .virtualHosted ? "/\(encodedKey)" : "/\(bucket)/\(encodedKey)"
    }

    func scope(day: String) -> String { "\(day)/\(region)/\(service)/aws4_request" }

    func sign(_ canonicalRequest: String, timestamp: String, day: String) -> String {
        let stringToSign = ["AWS4-HMAC-SHA256", timestamp, scope(day: day), SigV4Encoding.sha256Hex(canonicalRequest)].joined(separator: "\n")
        var secret = Array("AWS4\(credentials.secretAccessKey)".utf8)
        defer { Sodium.wipe(&secret) }
        let dateKey = SigV4Encoding.hmac(secret, day)
        let regionKey = SigV4Encoding.hmac(dateKey, region)
        let serviceKey = SigV4Encoding.hmac(regionKey, service)
        let signingKey = SigV4Encoding.hmac(serviceKey, "aws4_request")
        return Sodium.hex(SigV4Encoding.hmac(signingKey, stringToSign))
    }

    /// Lowercased names → trimmed values, with `host`.
    func canonicalHeaderMap(_ headers: [String: String]) throws(MediaError) -> [String: String] {
        var map: [String: String] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            guard !lower.isEmpty, lower.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F }) else {
                throw MediaError(code: .invalidRequest, message: "header name '\(name)' cannot be signed; use letters, digits, '-' and '_'")
            }
            guard MediaServingHeaders.isSafeHeaderValue(value) else {
                throw MediaError(code: .invalidRequest, message: "header '\(lower)' has a control character in its value")
            }
            guard lower != "host", lower != "authorization", map[lower] == nil else {
                throw MediaError(code: .invalidRequest, message: "header '\(lower)' is given twice or is set by the signer")
            }
            map[lower] = SigV4Encoding.trimmedHeaderValue(value)
        }
        map["host"] = endpoint.addressingStyle == .virtualHosted ? "\(bucket).\(endpoint.authority)" : endpoint.authority
        return map
    }

    static func checkedMethod(_ method: String) throws(MediaError) -> String {
        let upper = method.uppercased()
        guard ["GET", "PUT", "HEAD", "DELETE"].contains(upper) else {
            throw MediaError(code: .invalidRequest, message: "method '\(method)' is not GET, PUT, HEAD or DELETE")
        }
        return upper
    }
}
