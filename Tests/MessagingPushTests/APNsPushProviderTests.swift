import AsyncHTTPClient
import Crypto
import Foundation
import JWTKit
import MessagingCore
import MessagingDelivery
import MessagingPush
import NIOHTTP1
import Testing

/// Two mock APNs hosts (production and sandbox, HTTP/2 only), a client that trusts their
/// certificate, a movable clock and a fresh push key.
struct APNsHarness {
    static let teamID = "TEAM123456"
    static let keyID = "KEY987654A"
    static let topic = "com.example.chat"

    let production: MockPushServer
    let sandbox: MockPushServer
    let client: HTTPClient
    let clock = TestClock()
    let key = P256.Signing.PrivateKey()
    let provider: APNsPushProvider

    init() async throws {
        let pki = try TestPKI()
        production = try await MockPushServer.start(pki: pki)
        sandbox = try await MockPushServer.start(pki: pki)
        client = pki.makeClient()
        provider = try APNsPushProvider(
            configuration: APNsConfiguration(
                teamID: Self.teamID, keyID: Self.keyID, privateKeyPEM: key.pemRepresentation, topic: Self.topic,
                productionBaseURL: production.baseURL, sandboxBaseURL: sandbox.baseURL),
            httpClient: client, clock: clock)
    }

    func shutdown() async {
        try? await client.shutdown()
        await production.shutdown()
        await sandbox.shutdown()
    }

    /// Sends the fixture notification to a production (or sandbox) token.
    func send(sandbox: Bool = false) async throws -> PushDeliveryResult {
        try await provider.send(Fixture.notification, to: Fixture.token(.apns, Fixture.apnsToken, sandbox: sandbox))
    }

    /// The bearer token of `request`, its signature verified with the public key; header and claims.
    func verifiedProviderToken(_ request: RecordedRequest) async throws -> (token: String, jwt: DecodedJWT) {
        let authorization = try #require(request.header("authorization"))
        #expect(authorization.hasPrefix("bearer "))
        let token = String(authorization.dropFirst("bearer ".count))
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PublicKey(pem: key.publicKey.pemRepresentation))
        _ = try await keys.verify(token, as: AnyClaims.self)
        return (token, try DecodedJWT(token))
    }
}

func withAPNs(_ body: (APNsHarness) async throws -> Void) async throws {
    let harness = try await APNsHarness()
    try await withCleanup({ await harness.shutdown() }) { try await body(harness) }
}

@Suite("APNs push provider (mock APNs over HTTP/2 and TLS)", .timeLimit(.minutes(2)))
struct APNsPushProviderTests {
    @Test("a push is one HTTP/2 POST /3/device/<token> with every documented header and the content-free JSON body")
    func requestShape() async throws {
        try await withAPNs { apns async throws in
            #expect(try await apns.send() == .delivered)
            let requests = apns.production.requests
            try #require(requests.count == 1)
            let request = requests[0]
            #expect(request.version == .http2)
            #expect(request.method == "POST")
            #expect(request.path == "/3/device/" + Fixture.apnsToken)
            #expect(request.header("host") == "127.0.0.1:\(apns.production.port)")
            #expect(request.header("authorization")?.hasPrefix("bearer ") == true)
            #expect(request.header("apns-topic") == APNsHarness.topic)
            #expect(request.header("apns-push-type") == "alert")
            #expect(request.header("apns-priority") == "10")
            #expect(request.header("apns-expiration") == String(apns.clock.seconds + 86_400))
            #expect(request.header("apns-collapse-id") == Fixture.conversation.description)
            #expect(request.header("content-type") == "application/json")
            let body = try #require(request.json)
            #expect(Set(body.keys) == ["aps", "conversationId", "seq", "reason", "count", "messageId", "notificationId"])
            let aps = try #require(body["aps"] as? [String: Any])
            #expect(Set(aps.keys) == ["alert", "sound", "thread-id", "mutable-content"])
            let alert = try #require(aps["alert"] as? [String: Any])
            #expect(alert.count == 2)
            #expect(alert["title"] as? String == "New messages")
            #expect(alert["body"] as? String == "3 new messages")
            #expect(aps["sound"] as? String == "default")
            #expect(aps["thread-id"] as? String == Fixture.conversation.description)
            #expect((aps["mutable-content"] as? NSNumber)?.intValue == 1)
            #expect(body["conversationId"] as? String == Fixture.conversation.description)
            #expect(body["seq"] as? String == "42")
            #expect(body["reason"] as? String == "offline")
            #expect(body["count"] as? String == "3")
            #expect(body["messageId"] as? String == Fixture.message.description)
            #expect(body["notificationId"] as? String == Fixture.record.description)
            #expect(apns.sandbox.requests.isEmpty)
        }
    }

    @Test("the provider token is an ES256 JWT (kid, iss, iat) that verifies with the public key, is reused, and is replaced after 51 minutes")
    func providerToken() async throws {
        try await withAPNs { apns async throws in
            let firstIssued = apns.clock.seconds
            #expect(try await apns.send() == .delivered)
            apns.clock.advance(seconds: 60)
            #expect(try await apns.send() == .delivered)
            apns.clock.advance(seconds: 50 * 60)  // 51 minutes after the first push
            #expect(try await apns.send() == .delivered)

            let requests = apns.production.requests
            try #require(requests.count == 3)
            let first = try await apns.verifiedProviderToken(requests[0])
            #expect(first.jwt.header["alg"] as? String == "ES256")
            #expect(first.jwt.header["kid"] as? String == APNsHarness.keyID)
            #expect(first.jwt.claims["iss"] as? String == APNsHarness.teamID)
            #expect((first.jwt.claims["iat"] as? NSNumber)?.int64Value == firstIssued)
            #expect(Set(first.jwt.claims.keys) == ["iss", "iat"])

            let second = try await apns.verifiedProviderToken(requests[1])
            #expect(second.token == first.token)

            let third = try await apns.verifiedProviderToken(requests[2])
            #expect(third.token != first.token)
            #expect((third.jwt.claims["iat"] as? NSNumber)?.int64Value == apns.clock.seconds)
            #expect(third.jwt.header["kid"] as? String == APNsHarness.keyID)
        }
    }

    @Test("concurrent pushes with no token yet share one newly signed provider token")
    func concurrentPushesShareOneToken() async throws {
        try await withAPNs { apns async throws in
            let results = try await withThrowingTaskGroup(of: PushDeliveryResult.self) { group in
                for _ in 0..<6 { group.addTask { try await apns.send() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results == Array(repeating: .delivered, count: 6))
            let authorizations = Set(apns.production.requests.compactMap { $0.header("authorization") })
            #expect(apns.production.requests.count == 6)
            #expect(authorizations.count == 1)
        }
    }

    @Test("a sandbox token goes to the sandbox host, a production token to the production host")
    func sandboxRouting() async throws {
        try await withAPNs { apns async throws in
            #expect(try await apns.send(sandbox: true) == .delivered)
            #expect(apns.sandbox.requests.map(\.path) == ["/3/device/" + Fixture.apnsToken])
            #expect(apns.production.requests.isEmpty)
            #expect(try await apns.send(sandbox: false) == .delivered)
            #expect(apns.production.requests.count == 1)
            #expect(apns.sandbox.requests.count == 1)
            #expect(apns.sandbox.requests[0].header("host") == "127.0.0.1:\(apns.sandbox.port)")
        }
    }

    @Test("410 Unregistered, 400 BadDeviceToken and 400 DeviceTokenNotForTopic make the token invalid")
    func invalidTokens() async throws {
        try await withAPNs { apns async throws in
            let path = "/3/device/" + Fixture.apnsToken
            apns.production.enqueue(
                MockResponse(status: 410, headers: [("content-type", "application/json")], body: #"{"reason":"Unregistered","timestamp":1767225600000}"#),
                forPath: path)
            apns.production.enqueue(.apns(400, "BadDeviceToken"), forPath: path)
            apns.production.enqueue(.apns(400, "DeviceTokenNotForTopic"), forPath: path)
            #expect(try await apns.send() == .tokenInvalid(reason: "Unregistered"))
            #expect(try await apns.send() == .tokenInvalid(reason: "BadDeviceToken"))
            #expect(try await apns.send() == .tokenInvalid(reason: "DeviceTokenNotForTopic"))
            #expect(apns.production.requests.count == 3)
        }
    }

    @Test("500, 429 and a 400 about the payload throw pushFailed naming status and reason, never the device or provider token")
    func retryableFailures() async throws {
        try await withAPNs { apns async throws in
            let path = "/3/device/" + Fixture.apnsToken
            apns.production.enqueue(.apns(500, "InternalServerError"), forPath: path)
            apns.production.enqueue(.apns(429, "TooManyRequests", headers: [("retry-after", "30")]), forPath: path)
            apns.production.enqueue(.apns(400, "PayloadTooLarge"), forPath: path)
            var messages: [String] = []
            for expected in ["500 InternalServerError", "429 TooManyRequests", "400 PayloadTooLarge"] {
                let error = try await #require(throws: DeliveryError.self) { try await apns.send() }
                #expect(error.code == .pushFailed)
                #expect(error.message.contains(expected), "\(error.message)")
                messages.append(error.description)
            }
            #expect(messages[1].contains("retry after 30 s"))
            let providerToken = try #require(apns.production.requests.first?.header("authorization")).dropFirst("bearer ".count)
            for message in messages {
                #expect(!message.contains(Fixture.apnsToken))
                #expect(!message.contains(providerToken))
                #expect(!message.contains("PRIVATE KEY"))
            }
        }
    }

    @Test("403 ExpiredProviderToken throws pushFailed and the next push carries a newly signed provider token")
    func expiredProviderToken() async throws {
        try await withAPNs { apns async throws in
            let path = "/3/device/" + Fixture.apnsToken
            #expect(try await apns.send() == .delivered)
            apns.clock.advance(seconds: 5 * 60)
            apns.production.enqueue(.apns(403, "ExpiredProviderToken"), forPath: path)
            let error = try await #require(throws: DeliveryError.self) { try await apns.send() }
            #expect(error.code == .pushFailed)
            #expect(error.message.contains("403 ExpiredProviderToken"))
            #expect(try await apns.send() == .delivered)

            let requests = apns.production.requests
            try #require(requests.count == 3)
            let before = try await apns.verifiedProviderToken(requests[0])
            let rejected = try await apns.verifiedProviderToken(requests[1])
            let after = try await apns.verifiedProviderToken(requests[2])
            #expect(rejected.token == before.token)
            #expect(after.token != before.token)
            #expect((after.jwt.claims["iat"] as? NSNumber)?.int64Value == apns.clock.seconds)
        }
    }

    @Test("other 403s (InvalidProviderToken) throw pushFailed and keep the token")
    func otherForbidden() async throws {
        try await withAPNs { apns async throws in
            apns.production.enqueue(.apns(403, "InvalidProviderToken"), forPath: "/3/device/" + Fixture.apnsToken)
            let error = try await #require(throws: DeliveryError.self) { try await apns.send() }
            #expect(error.code == .pushFailed)
            #expect(error.message.contains("403 InvalidProviderToken"))
            #expect(try await apns.send() == .delivered)
            let requests = apns.production.requests
            #expect(requests.count == 2)
            #expect(requests[0].header("authorization") == requests[1].header("authorization"))
        }
    }

    @Test("a malformed device token is tokenInvalid without a request; an FCM token throws pushFailed")
    func localTokenChecks() async throws {
        try await withAPNs { apns async throws in
            let short = try await apns.provider.send(Fixture.notification, to: Fixture.token(.apns, "abc123"))
            #expect(short == .tokenInvalid(reason: "MalformedDeviceToken"))
            let slash = try await apns.provider.send(
                Fixture.notification, to: Fixture.token(.apns, String(repeating: "a", count: 63) + "/"))
            #expect(slash == .tokenInvalid(reason: "MalformedDeviceToken"))
            let error = try await #require(throws: DeliveryError.self) {
                try await apns.provider.send(Fixture.notification, to: Fixture.token(.fcm, Fixture.apnsToken))
            }
            #expect(error.code == .pushFailed)
            #expect(apns.production.requests.isEmpty)
            #expect(apns.provider.platform == .apns)
        }
    }

    @Test("an unreachable host throws pushFailed")
    func unreachable() async throws {
        let pki = try TestPKI()
        let server = try await MockPushServer.start(pki: pki)
        let url = server.baseURL
        await server.shutdown()
        let client = pki.makeClient()
        try await withCleanup({ try? await client.shutdown() }) {
            let provider = try APNsPushProvider(
                configuration: APNsConfiguration(
                    teamID: APNsHarness.teamID, keyID: APNsHarness.keyID, privateKeyPEM: P256.Signing.PrivateKey().pemRepresentation,
                    topic: APNsHarness.topic, productionBaseURL: url, sandboxBaseURL: url, requestTimeout: .seconds(2)),
                httpClient: client, clock: TestClock())
            let error = try await #require(throws: DeliveryError.self) {
                try await provider.send(Fixture.notification, to: Fixture.token(.apns, Fixture.apnsToken))
            }
            #expect(error.code == .pushFailed)
            #expect(!error.description.contains(Fixture.apnsToken))
        }
    }

    @Test("an answer whose body never ends throws pushFailed once the request timeout passes")
    func stalledAnswer() async throws {
        let pki = try TestPKI()
        let server = try await MockPushServer.start(pki: pki) { _, _ in
            MockResponse(status: 200, headers: [("content-type", "application/json")], body: "{}", stallAfterHead: true)
        }
        let client = pki.makeClient()
        try await withCleanup({
            try? await client.shutdown()
            await server.shutdown()
        }) {
            let provider = try APNsPushProvider(
                configuration: APNsConfiguration(
                    teamID: APNsHarness.teamID, keyID: APNsHarness.keyID, privateKeyPEM: P256.Signing.PrivateKey().pemRepresentation,
                    topic: APNsHarness.topic, productionBaseURL: server.baseURL, sandboxBaseURL: server.baseURL,
                    requestTimeout: .seconds(1)),
                httpClient: client, clock: TestClock())
            let started = ContinuousClock.now
            let error = try await #require(throws: DeliveryError.self) {
                try await provider.send(Fixture.notification, to: Fixture.token(.apns, Fixture.apnsToken))
            }
            #expect(error.code == .pushFailed)
            #expect(ContinuousClock.now - started < .seconds(30))
            #expect(server.requests.count == 1)
        }
    }

    @Test("a bad configuration throws invalidConfiguration saying what to fix")
    func badConfiguration() throws {
        let good = APNsConfiguration(
            teamID: APNsHarness.teamID, keyID: APNsHarness.keyID, privateKeyPEM: P256.Signing.PrivateKey().pemRepresentation,
            topic: APNsHarness.topic)
        let client = HTTPClient.shared
        _ = try APNsPushProvider(configuration: good, httpClient: client)

        var cases: [(APNsConfiguration, String)] = []
        var configuration = good
        configuration.teamID = ""
        cases.append((configuration, "Team ID"))
        configuration = good
        configuration.keyID = " KEY "
        cases.append((configuration, "Key ID"))
        configuration = good
        configuration.topic = ""
        cases.append((configuration, "topic"))
        configuration = good
        configuration.privateKeyPEM = "not a key"
        cases.append((configuration, "P-256"))
        configuration = good
        configuration.privateKeyPEM = P384.Signing.PrivateKey().pemRepresentation
        cases.append((configuration, "P-256"))
        configuration = good
        configuration.productionBaseURL = URL(string: "http://api.push.apple.com")!
        cases.append((configuration, "production base URL"))
        configuration = good
        configuration.sandboxBaseURL = URL(string: "https://api.sandbox.push.apple.com/3/device")!
        cases.append((configuration, "sandbox base URL"))
        configuration = good
        configuration.expiration = .seconds(-1)
        cases.append((configuration, "expiration"))
        configuration = good
        configuration.requestTimeout = .zero
        cases.append((configuration, "timeout"))

        for (configuration, mention) in cases {
            let error = try #require(throws: DeliveryError.self) { try APNsPushProvider(configuration: configuration, httpClient: client) }
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains(mention), "\(error.message)")
            #expect(!error.message.contains("BEGIN PRIVATE KEY"))
        }
        #expect(!good.description.contains("PRIVATE KEY"))
    }

    @Test("apns-expiration 0 when the configured expiration is zero")
    func zeroExpiration() async throws {
        let pki = try TestPKI()
        let server = try await MockPushServer.start(pki: pki)
        let client = pki.makeClient()
        try await withCleanup({
            try? await client.shutdown()
            await server.shutdown()
        }) {
            let provider = try APNsPushProvider(
                configuration: APNsConfiguration(
                    teamID: APNsHarness.teamID, keyID: APNsHarness.keyID, privateKeyPEM: P256.Signing.PrivateKey().pemRepresentation,
                    topic: APNsHarness.topic, productionBaseURL: server.baseURL, sandboxBaseURL: server.baseURL, expiration: .zero),
                httpClient: client, clock: TestClock())
            #expect(try await provider.send(Fixture.notification, to: Fixture.token(.apns, Fixture.apnsToken)) == .delivered)
            #expect(server.requests.first?.header("apns-expiration") == "0")
        }
    }
}
