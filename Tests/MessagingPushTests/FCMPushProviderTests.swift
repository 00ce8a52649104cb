import AsyncHTTPClient
import Crypto
import CryptoExtras
import Foundation
import JWTKit
import MessagingCore
import MessagingDelivery
import MessagingPush
import Testing

/// A mock Google (OAuth token endpoint and FCM API on one HTTP/2 host), a client that trusts
/// its certificate, a movable clock and a fresh RSA service-account key.
struct FCMHarness {
    static let projectID = "demo-project"
    static let clientEmail = "push-sender@demo-project.iam.gserviceaccount.com"
    static let privateKeyID = "5f1c2d3e4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d"
    static let sendPath = "/v1/projects/demo-project/messages:send"

    let server: MockPushServer
    let client: HTTPClient
    let clock = TestClock()
    let key: _RSA.Signing.PrivateKey
    let provider: FCMPushProvider

    init() async throws {
        let pki = try TestPKI()
        server = try await MockPushServer.start(pki: pki) { request, n in
            if request.path == "/token" {
                return .json(200, #"{"access_token":"ya29.access-\#(n + 1)","expires_in":3599,"token_type":"Bearer"}"#)
            }
            return .json(200, #"{"name":"projects/demo-project/messages/0:1767225600000000%\#(n)"}"#)
        }
        client = pki.makeClient()
        key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let json = try JSONSerialization.data(withJSONObject: [
            "type": "service_account", "project_id": Self.projectID, "private_key_id": Self.privateKeyID,
            "private_key": key.pemRepresentation, "client_email": Self.clientEmail, "client_id": "104000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": server.baseURL.absoluteString + "/token",
        ])
        provider = try FCMPushProvider(
            configuration: FCMConfiguration(serviceAccount: try FCMServiceAccount(json: json), apiBaseURL: server.baseURL),
            httpClient: client, clock: clock)
    }

    func shutdown() async {
        try? await client.shutdown()
        await server.shutdown()
    }

    func send() async throws -> PushDeliveryResult {
        try await provider.send(Fixture.notification, to: Fixture.token(.fcm, Fixture.fcmToken))
    }

    var tokenRequests: [RecordedRequest] { server.requests.filter { $0.path == "/token" } }
    var sendRequests: [RecordedRequest] { server.requests.filter { $0.path == Self.sendPath } }
}

func withFCM(_ body: (FCMHarness) async throws -> Void) async throws {
    let harness = try await FCMHarness()
    try await withCleanup({ await harness.shutdown() }) { try await body(harness) }
}

@Suite("FCM push provider (mock OAuth endpoint and FCM HTTP v1 over TLS)", .timeLimit(.minutes(2)))
struct FCMPushProviderTests {
    @Test("the token request is a form POST of grant_type and an RS256 assertion whose signature and claims check out")
    func tokenRequest() async throws {
        try await withFCM { fcm async throws in
            #expect(try await fcm.send() == .delivered)
            let requests = fcm.server.requests
            try #require(requests.count == 2)
            let request = requests[0]
            #expect(request.path == "/token")
            #expect(request.method == "POST")
            #expect(request.header("content-type") == "application/x-www-form-urlencoded")
            let form = request.form
            #expect(Set(form.keys) == ["grant_type", "assertion"])
            #expect(form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer")
            let assertion = try #require(form["assertion"])

            let keys = JWTKeyCollection()
            await keys.add(rsa: try Insecure.RSA.PublicKey(pem: fcm.key.publicKey.pemRepresentation), digestAlgorithm: .sha256)
            _ = try await keys.verify(assertion, as: AnyClaims.self)
            let jwt = try DecodedJWT(assertion)
            #expect(jwt.header["alg"] as? String == "RS256")
            #expect(jwt.header["kid"] as? String == FCMHarness.privateKeyID)
            #expect(Set(jwt.claims.keys) == ["iss", "scope", "aud", "iat", "exp"])
            #expect(jwt.claims["iss"] as? String == FCMHarness.clientEmail)
            #expect(jwt.claims["scope"] as? String == "https://www.googleapis.com/auth/firebase.messaging")
            #expect(jwt.claims["aud"] as? String == fcm.server.baseURL.absoluteString + "/token")
            #expect((jwt.claims["iat"] as? NSNumber)?.int64Value == fcm.clock.seconds)
            #expect((jwt.claims["exp"] as? NSNumber)?.int64Value == fcm.clock.seconds + 3600)
        }
    }

    @Test("a send is POST /v1/projects/<project>/messages:send with the bearer token and the documented body")
    func sendRequest() async throws {
        try await withFCM { fcm async throws in
            #expect(try await fcm.send() == .delivered)
            let request = try #require(fcm.sendRequests.first)
            #expect(request.method == "POST")
            #expect(request.header("authorization") == "Bearer ya29.access-1")
            #expect(request.header("content-type")?.hasPrefix("application/json") == true)
            let body = try #require(request.json)
            #expect(Set(body.keys) == ["message"])
            let message = try #require(body["message"] as? [String: Any])
            #expect(Set(message.keys) == ["token", "notification", "data", "android", "apns"])
            #expect(message["token"] as? String == Fixture.fcmToken)
            let notification = try #require(message["notification"] as? [String: String])
            #expect(notification == ["title": "New messages", "body": "3 new messages"])
            let data = try #require(message["data"] as? [String: String])
            #expect(data == Fixture.notification.data)
            #expect(data["conversationId"] == Fixture.conversation.description)
            let android = try #require(message["android"] as? [String: String])
            #expect(android == ["collapse_key": Fixture.conversation.description, "priority": "high"])
            let apns = try #require(message["apns"] as? [String: Any])
            #expect(apns["headers"] as? [String: String] == ["apns-collapse-id": Fixture.conversation.description])
        }
    }

    @Test("the access token is reused across sends, fetched again once it is about to expire, and after a 401")
    func accessTokenCache() async throws {
        try await withFCM { fcm async throws in
            #expect(try await fcm.send() == .delivered)
            fcm.clock.advance(seconds: 600)
            #expect(try await fcm.send() == .delivered)
            #expect(fcm.tokenRequests.count == 1)
            #expect(fcm.sendRequests.map { $0.header("authorization") } == ["Bearer ya29.access-1", "Bearer ya29.access-1"])

            // expires_in 3599 s, refreshed 60 s before: at 3540 s after the fetch a new one is needed.
            fcm.clock.advance(seconds: 3540 - 600)
            #expect(try await fcm.send() == .delivered)
            #expect(fcm.tokenRequests.count == 2)
            #expect(fcm.sendRequests.last?.header("authorization") == "Bearer ya29.access-2")
            let second = try DecodedJWT(try #require(fcm.tokenRequests.last?.form["assertion"]))
            #expect((second.claims["iat"] as? NSNumber)?.int64Value == fcm.clock.seconds)

            fcm.server.enqueue(
                .json(401, #"{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}"#),
                forPath: FCMHarness.sendPath)
            let error = try await #require(throws: DeliveryError.self) { try await fcm.send() }
            #expect(error.code == .pushFailed)
            #expect(error.message.contains("401 UNAUTHENTICATED"))
            #expect(!error.description.contains("ya29"))
            #expect(try await fcm.send() == .delivered)
            #expect(fcm.tokenRequests.count == 3)
            #expect(fcm.sendRequests.map { $0.header("authorization") ?? "" }.suffix(2) == ["Bearer ya29.access-2", "Bearer ya29.access-3"])
        }
    }

    @Test("concurrent sends with no access token yet make one token request")
    func concurrentSendsShareOneFetch() async throws {
        try await withFCM { fcm async throws in
            let results = try await withThrowingTaskGroup(of: PushDeliveryResult.self) { group in
                for _ in 0..<6 { group.addTask { try await fcm.send() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results == Array(repeating: .delivered, count: 6))
            #expect(fcm.tokenRequests.count == 1)
            #expect(Set(fcm.sendRequests.compactMap { $0.header("authorization") }) == ["Bearer ya29.access-1"])
            #expect(fcm.sendRequests.count == 6)
        }
    }

    @Test("404 UNREGISTERED makes the token invalid; 500 and 429 throw pushFailed without the token")
    func answers() async throws {
        try await withFCM { fcm async throws in
            fcm.server.enqueue(
                .json(404, """
                    {"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND","details":[\
                    {"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}
                    """), forPath: FCMHarness.sendPath)
            fcm.server.enqueue(
                .json(500, #"{"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"INTERNAL"}]}}"#),
                forPath: FCMHarness.sendPath)
            fcm.server.enqueue(
                MockResponse(
                    status: 429, headers: [("content-type", "application/json"), ("retry-after", "12")],
                    body: #"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"QUOTA_EXCEEDED"}]}}"#),
                forPath: FCMHarness.sendPath)
            #expect(try await fcm.send() == .tokenInvalid(reason: "UNREGISTERED"))

            let serverError = try await #require(throws: DeliveryError.self) { try await fcm.send() }
            #expect(serverError.code == .pushFailed)
            #expect(serverError.message.contains("500 INTERNAL"))
            let quota = try await #require(throws: DeliveryError.self) { try await fcm.send() }
            #expect(quota.code == .pushFailed)
            #expect(quota.message.contains("429 RESOURCE_EXHAUSTED"))
            #expect(quota.message.contains("QUOTA_EXCEEDED"))
            #expect(quota.message.contains("retry after 12 s"))
            for error in [serverError, quota] {
                #expect(!error.description.contains(Fixture.fcmToken))
                #expect(!error.description.contains("ya29"))
            }
            #expect(fcm.tokenRequests.count == 1)
            #expect(try await fcm.send() == .delivered)
        }
    }

    @Test("a refused token request throws pushFailed naming the OAuth error, and nothing is sent")
    func tokenEndpointFailure() async throws {
        try await withFCM { fcm async throws in
            fcm.server.enqueue(.json(400, #"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#), forPath: "/token")
            let error = try await #require(throws: DeliveryError.self) { try await fcm.send() }
            #expect(error.code == .pushFailed)
            #expect(error.message.contains("400 invalid_grant"))
            #expect(fcm.sendRequests.isEmpty)
            #expect(try await fcm.send() == .delivered)
            #expect(fcm.tokenRequests.count == 2)
        }
    }

    @Test("an APNs token throws pushFailed without a request")
    func wrongPlatform() async throws {
        try await withFCM { fcm async throws in
            let error = try await #require(throws: DeliveryError.self) {
                try await fcm.provider.send(Fixture.notification, to: Fixture.token(.apns, Fixture.apnsToken))
            }
            #expect(error.code == .pushFailed)
            #expect(fcm.server.requests.isEmpty)
            #expect(fcm.provider.platform == .fcm)
        }
    }

    @Test("a bad service account throws invalidConfiguration saying what to fix")
    func badConfiguration() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let good: [String: String] = [
            "type": "service_account", "project_id": FCMHarness.projectID, "private_key_id": FCMHarness.privateKeyID,
            "private_key": key.pemRepresentation, "client_email": FCMHarness.clientEmail,
            "token_uri": "https://oauth2.googleapis.com/token",
        ]
        func load(_ fields: [String: String]) throws -> FCMPushProvider {
            let account = try FCMServiceAccount(json: try JSONSerialization.data(withJSONObject: fields))
            return try FCMPushProvider(configuration: FCMConfiguration(serviceAccount: account), httpClient: .shared)
        }
        let provider = try load(good)
        #expect(provider.configuration.serviceAccount.tokenURI.absoluteString == "https://oauth2.googleapis.com/token")
        #expect(!provider.configuration.description.contains("PRIVATE KEY"))

        var withoutTokenURI = good
        withoutTokenURI["token_uri"] = nil
        #expect(try load(withoutTokenURI).configuration.serviceAccount.tokenURI == FCMServiceAccount.googleTokenURI)

        var cases: [([String: String], String)] = []
        for field in ["project_id", "client_email", "private_key", "private_key_id"] {
            var fields = good
            fields[field] = nil
            cases.append((fields, field))
        }
        var fields = good
        fields["private_key"] = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"
        cases.append((fields, "private_key"))
        fields = good
        fields["private_key"] = P256.Signing.PrivateKey().pemRepresentation
        cases.append((fields, "RSA"))
        fields = good
        fields["token_uri"] = "http://oauth2.googleapis.com/token"
        cases.append((fields, "token_uri"))
        fields = good
        fields["project_id"] = "demo/project"
        cases.append((fields, "project id"))
        fields = good
        fields["type"] = "authorized_user"
        cases.append((fields, "service_account"))

        for (fields, mention) in cases {
            let error = try #require(throws: DeliveryError.self) { try load(fields) }
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains(mention), "\(error.message)")
            #expect(!error.message.contains("-----BEGIN"))
        }
        let notJSON = try #require(throws: DeliveryError.self) { try FCMServiceAccount(json: Data("nope".utf8)) }
        #expect(notJSON.code == .invalidConfiguration)
    }
}
