import CSodium
import Foundation
import Logging
@testable import MessagingAuth
import MessagingCore
import MessagingTesting
import MessagingPersistence
import Synchronization
import Testing
import MessagingSodium

/// Collects every log line (message and metadata) so tests can search them for secrets.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var logger: Logger {
        Logger(label: "test.auth") { _ in CapturingHandler(capture: self) }
    }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append("\(event.level) \(event.message) \(merged) \(event.error.map { "\($0)" } ?? "")")
        }
    }
}

/// Settings that keep the suite fast: libsodium's minimum argon2id cost.
extension AuthConfiguration {
    static var testing: AuthConfiguration {
        AuthConfiguration(passwordHashing: .minimumForTestsOnly, maximumConcurrentHashes: 4)
    }
}

/// A fresh SQLite database, an Ed25519 key, and the auth service over them.
struct AuthFixture {
    static let issuer = "https://chat.example.test"
    static let audience = "chat-api"
    static let keyID = "k1"
    static let password: Password = "correct horse battery staple"
    static let passwordText = "correct horse battery staple"

    let directory: URL
    let store: SQLiteMessagingStore
    let clock: ManualClock.Wall
    let seed: [UInt8]
    let tokens: JWTAccessTokens
    let auth: AuthService
    let events: InMemorySessionEvents
    let logs: LogCapture

    static func make(
        configuration: AuthConfiguration = .testing, tokenConfiguration: AccessTokenConfiguration? = nil,
        throttle: (any LoginThrottle)? = nil, clock: ManualClock.Wall = ManualClock().wall
    ) async throws -> AuthFixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-messaging-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try SQLiteMessagingStore(path: directory.appendingPathComponent("auth.sqlite").path)
        let seed = Sodium.randomBytes(32)
        let keys = try AccessTokenKeys(signingKey: try .ed25519(id: keyID, seed: seed))
        let tokens = try await JWTAccessTokens(
            keys: keys, configuration: tokenConfiguration ?? AccessTokenConfiguration(issuer: issuer, audience: audience),
            clock: clock)
        let events = InMemorySessionEvents()
        let logs = LogCapture()
        let auth = try await AuthService(
            store: store.authStore, tokens: tokens, configuration: configuration, events: events, throttle: throttle,
            clock: clock, logger: logs.logger)
        return AuthFixture(
            directory: directory, store: store, clock: clock, seed: seed, tokens: tokens, auth: auth, events: events,
            logs: logs)
    }

    var databasePath: String { store.path }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    @discardableResult
    func register(_ handle: String, roles: Set<ServerRole> = []) async throws -> Account {
        try await auth.register(handle: handle, password: Self.password, roles: roles)
    }

    func login(_ handle: String, device: String = "Laptop", address: String? = "192.0.2.10") async throws -> LoginResult {
        try await auth.login(handle: handle, password: Self.password, client: try ClientInfo(deviceName: device, address: address))
    }

    /// The Ed25519 public key of the fixture's signing key.
    var publicKey: [UInt8] { TokenForge.publicKey(seed: seed) }
}

/// Asserts that `body` throws an ``AuthError`` with `code`, and returns the error.
@discardableResult
func expectAuthError<T>(
    _ code: AuthError.Code, _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async -> AuthError? {
    do {
        _ = try await body()
        Issue.record("expected \(code), got success \(comment)", sourceLocation: sourceLocation)
    } catch let error as AuthError {
        #expect(error.code == code, "\(comment): \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected AuthError \(code), got \(error) \(comment)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Hand-made JWS tokens, for the cases no correct issuer produces.
enum TokenForge {
    enum Signature {
        case ed25519(seed: [UInt8])
        case hmacSHA256(secret: [UInt8])
        case empty
        case raw(String)
    }

    static func encode(_ json: String) -> String { Base64URL.encode(Array(json.utf8)) }

    static func token(header: String, payload: String, signature: Signature) -> String {
        let input = "\(encode(header)).\(encode(payload))"
        switch signature {
        case .ed25519(let seed): return "\(input).\(Base64URL.encode(signEd25519(Array(input.utf8), seed: seed)))"
        case .hmacSHA256(let secret): return "\(input).\(Base64URL.encode(hmacSHA256(Array(input.utf8), key: secret)))"
        case .empty: return "\(input)."
        case .raw(let text): return "\(input).\(text)"
        }
    }

    static func publicKey(seed: [UInt8]) -> [UInt8] {
        var publicKey = [UInt8](repeating: 0, count: 32)
        var secretKey = [UInt8](repeating: 0, count: 64)
        _ = crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
        return publicKey
    }

    static func signEd25519(_ message: [UInt8], seed: [UInt8]) -> [UInt8] {
        var publicKey = [UInt8](repeating: 0, count: 32)
        var secretKey = [UInt8](repeating: 0, count: 64)
        _ = crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
        var signature = [UInt8](repeating: 0, count: 64)
        _ = crypto_sign_detached(&signature, nil, message, UInt64(message.count), secretKey)
        return signature
    }

    static func hmacSHA256(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var state = crypto_auth_hmacsha256_state()
        _ = crypto_auth_hmacsha256_init(&state, key, key.count)
        _ = crypto_auth_hmacsha256_update(&state, message, UInt64(message.count))
        var mac = [UInt8](repeating: 0, count: 32)
        _ = crypto_auth_hmacsha256_final(&state, &mac)
        return mac
    }

    /// A JSON object from ordered members whose values are raw JSON (so members can repeat or be left out).
    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    static func quoted(_ text: String) -> String {
        String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    }
}

/// The principal a login's access token speaks for, without verifying it (for calls made
/// after the test moved the clock past the token's life).
func principal(of login: LoginResult) -> AuthenticatedPrincipal {
    AuthenticatedPrincipal(
        userID: login.account.user.id, sessionID: login.tokens.session.id, roles: login.account.roles,
        issuedAt: login.tokens.session.createdAt, expiresAt: login.tokens.accessToken.expiresAt)
}
