import Foundation
import Logging
import MessagingAuth
import MessagingCore
import MessagingDelivery
import MessagingPersistence
import MessagingPresence
import MessagingTesting
@testable import MessagingTransport
import Synchronization
import TestSupport
import Testing

extension Logger {
    static var quiet: Logger {
        var logger = Logger(label: "test.transport") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
        return logger
    }
}

extension GatewayConfiguration {
    /// Fast timeouts, generous limits (tests that need tight ones set them).
    static var testing: GatewayConfiguration {
        var configuration = GatewayConfiguration(
            authTimeout: .seconds(5), pingInterval: .seconds(30), idleTimeout: .seconds(60),
            housekeepingInterval: .milliseconds(20), rateLimits: .unlimited)
        // The tests move the wall clock by hand: re-read it on every tick.
        configuration.expiryCheckInterval = .milliseconds(20)
        return configuration
    }
}

/// A user with a live login.
struct TestUser: Sendable {
    let id: UserID
    let handle: String
    let token: String
    let sessionID: SessionID
    /// The session's refresh token (encoded), for tests that renew the access token.
    var refreshToken: String = ""
}

/// A real SQLite-backed `Messaging`, real `MessagingAuth` tokens and sessions, the
/// delivery and presence pieces, a gateway and an in-memory transport.
struct Harness: Sendable {
    let directory: URL
    let store: SQLiteMessagingStore
    let messaging: Messaging
    /// The wall clock the token issuer reads (starting at the real time); tests move it to expire tokens.
    let tokenClock: ManualClock.Wall
    let tokens: JWTAccessTokens
    let auth: AuthService
    let events: InMemorySessionEvents
    let hub: FanoutHub
    let acks: AckTracker<ContinuousClock>
    let presence: PresenceTracker<ContinuousClock>
    let gateway: Gateway<ContinuousClock>
    let transport: InMemoryTransport

    /// `media`: the object storage and URL signer of attachments (none: media not configured).
    static func make(
        configuration: GatewayConfiguration = .testing, transport: InMemoryTransport.Configuration = .init(),
        sharedRateLimit: (any SharedRateLimit)? = nil, media: (any AttachmentObjectStore & AttachmentTransferSigner)? = nil
    ) async throws -> Harness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-messaging-transport-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try SQLiteMessagingStore(path: directory.appendingPathComponent("chat.sqlite").path, logger: .quiet)
        var useCases = Messaging(store: store)
        if let media { useCases = useCases.storingAttachments(in: media).signingAttachmentTransfers(with: media) }
        let tokenClock = ManualClock(start: Timestamp(Date())).wall
        let seed = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let keys = try AccessTokenKeys(signingKey: try .ed25519(id: "k1", seed: seed))
        let tokens = try await JWTAccessTokens(
            keys: keys, configuration: AccessTokenConfiguration(issuer: "https://chat.test", audience: "chat"), clock: tokenClock)
        let events = InMemorySessionEvents()
        let auth = try await AuthService(
            store: store.authStore, tokens: tokens,
            configuration: AuthConfiguration(passwordHashing: .minimumForTestsOnly, maximumConcurrentHashes: 4),
            events: events, clock: tokenClock, logger: .quiet)
        let delivery = RealtimeDelivery(
            messaging: useCases, cursors: store, jobs: SQLiteJobQueue(store: store), clock: ContinuousClock(), logger: .quiet)
        let (hub, acks, messaging) = (delivery.hub, delivery.acks, delivery.messaging)
        let presence = try PresenceTracker(audience: StoreMembershipAudience(store: store), clock: ContinuousClock(), logger: .quiet)
        let gateway = Gateway(
            verifier: tokens, sessionEvents: events, delivery: delivery, presence: presence, configuration: configuration,
            clock: ContinuousClock(), wallClock: tokenClock, sharedRateLimit: sharedRateLimit, logger: .quiet)
        return Harness(
            directory: directory, store: store, messaging: messaging, tokenClock: tokenClock, tokens: tokens, auth: auth,
            events: events, hub: hub, acks: acks, presence: presence, gateway: gateway,
            transport: InMemoryTransport(configuration: transport))
    }

    /// Runs the gateway (revocation feed and listener) around `body`, then stops it.
    static func with<T: Sendable>(
        configuration: GatewayConfiguration = .testing, transport: InMemoryTransport.Configuration = .init(),
        sharedRateLimit: (any SharedRateLimit)? = nil, media: (any AttachmentObjectStore & AttachmentTransferSigner)? = nil,
        _ body: @Sendable (Harness) async throws -> T
    ) async throws -> T {
        let harness = try await make(
            configuration: configuration, transport: transport, sharedRateLimit: sharedRateLimit, media: media)
        defer { try? FileManager.default.removeItem(at: harness.directory) }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await harness.gateway.run() }
            group.addTask { try await harness.gateway.serve(harness.transport) }
            do {
                let result = try await body(harness)
                harness.transport.stopListening()
                group.cancelAll()
                return result
            } catch {
                harness.transport.stopListening()
                group.cancelAll()
                throw error
            }
        }
    }

    func user(_ handle: String) async throws -> TestUser {
        let account = try await auth.register(handle: handle, password: "correct horse battery staple")
        return try await login(handle, account.user.id)
    }

    func login(_ handle: String, _ id: UserID) async throws -> TestUser {
        let login = try await auth.login(
            handle: handle, password: "correct horse battery staple", client: try ClientInfo(deviceName: "test"))
        return TestUser(
            id: id, handle: handle, token: login.tokens.accessToken.compact, sessionID: login.tokens.session.id,
            refreshToken: login.tokens.refreshToken.encoded)
    }

    /// A group made by `owner` with the others as members.
    func group(_ owner: TestUser, _ members: [TestUser]) async throws -> ConversationID {
        try await messaging.conversations.create(.group(title: "room", members: members.map(\.id)), by: owner.id).id
    }

    /// An unauthenticated client connection.
    func connect(address: String = "192.0.2.1", bearer: String? = nil) throws -> TestClient {
        TestClient(try transport.connect(metadata: ConnectionMetadata(remoteAddress: address, bearerToken: bearer)))
    }

    /// A client that sent `auth` and got `ready`.
    func connect(as user: TestUser, address: String = "192.0.2.1") async throws -> TestClient {
        let client = try connect(address: address)
        let ready = try await client.request(.auth(token: user.token))
        #expect(ready["type"]?.string == "ready", "auth failed: \(ready)")
        return client
    }

    /// Sends a message through the use cases, outside the gateway, as a host does (the
    /// publishing use cases deliver it to live subscribers).
    @discardableResult
    func sendDirect(_ text: String, to conversation: ConversationID, by user: TestUser) async throws -> Message {
        let draft = try MessageDraft(text: text, clientMessageID: ClientMessageID(UUID().uuidString))
        return try await messaging.messages.send(draft, to: conversation, by: user.id).message
    }
}
