import AsyncHTTPClient
import Crypto
import CryptoExtras
import Foundation
import JWTKit
import MessagingCore
import MessagingDelivery
import NIOPosix
import NIOSSL
import SwiftASN1
import Synchronization
import X509

/// A self-signed certificate for 127.0.0.1 and localhost, made at test time, and a client
/// TLS configuration that trusts it and nothing else.
struct TestPKI: Sendable {
    let certificate: NIOSSLCertificate
    let privateKey: NIOSSLPrivateKey

    init() throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("swift-messaging push tests") }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(3600), issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        self.certificate = try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der)
        self.privateKey = try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)
    }

    /// An HTTP client (HTTP/2 allowed, as by default) that trusts only this certificate.
    func makeClient() -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([certificate])
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        configuration.httpVersion = .automatic
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }
}

/// A wall clock the test moves.
final class TestClock: WallClock {
    private let milliseconds: Mutex<Int64>

    init(_ start: Timestamp = Timestamp(millisecondsSince1970: 1_767_225_600_000)) {
        milliseconds = Mutex(start.millisecondsSince1970)
    }

    func now() -> Timestamp { Timestamp(millisecondsSince1970: milliseconds.withLock { $0 }) }

    func advance(seconds: Int64) {
        milliseconds.withLock { $0 += seconds * 1000 }
    }

    var seconds: Int64 { now().millisecondsSince1970 / 1000 }
}

/// Fixed ids and tokens.
enum Fixture {
    static let user = UserID("01890a5d-ac96-774b-bcce-b302099a8057")!
    static let device = DeviceID("01890a5d-ac96-774b-bcce-b302099a8058")!
    static let conversation = ConversationID("01890a5d-ac96-774b-bcce-b302099a8059")!
    static let message = MessageID("01890a5d-ac96-774b-bcce-b302099a805a")!
    static let record = NotificationID("01890a5d-ac96-774b-bcce-b302099a805b")!

    /// A notification of 3 offline messages with every optional id set.
    static let notification = PushNotification(
        userID: user, conversationID: conversation, reason: .offline, latestSeq: 42, messageID: message, count: 3,
        notificationID: record)

    static let apnsToken = String(repeating: "a1b2c3d4", count: 8)
    static let fcmToken = "fcm-device-token:APA91bH_example-registration.token"

    static func token(_ platform: PushPlatform, _ value: String, sandbox: Bool = false) -> PushToken {
        PushToken(userID: user, deviceID: device, platform: platform, token: value, sandbox: sandbox, updatedAt: Timestamp(millisecondsSince1970: 0))
    }
}

/// The parts of a compact JWT.
struct DecodedJWT {
    let header: [String: Any]
    let claims: [String: Any]

    init(_ token: String) throws {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { throw DecodeFailure() }
        func object(_ part: String) throws -> [String: Any] {
            var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            guard let data = Data(base64Encoded: base64),
                let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { throw DecodeFailure() }
            return object
        }
        header = try object(parts[0])
        claims = try object(parts[1])
    }

    struct DecodeFailure: Error {}
}

/// A JWT payload that accepts any claims (the test reads them itself) once the signature verified.
struct AnyClaims: JWTPayload {
    init(from decoder: any Decoder) throws {}
    func encode(to encoder: any Encoder) throws {}
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Runs `body` and then `cleanup`, also when `body` throws.
func withCleanup<T>(_ cleanup: () async -> Void, _ body: () async throws -> T) async throws -> T {
    do {
        let result = try await body()
        await cleanup()
        return result
    } catch {
        await cleanup()
        throw error
    }
}
