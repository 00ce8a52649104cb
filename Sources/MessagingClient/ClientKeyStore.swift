import Foundation
import MessagingE2EE
import Synchronization

/// Where a ``ClientEncryption`` keeps this device's secret keys and its ``ClientKeyring``:
/// the port a host implements to persist them where it wants (a keychain, a database, a
/// file). ``InMemoryKeyStore`` and ``FileKeyStore`` are the two provided.
///
/// The identity is handed over as the secret-key export of E2EE §4.2 (text form): whoever
/// reads it can read this device's messages, so store it like a password.
///
/// Thread safety: implementations must be safe to call from any task.
public protocol ClientKeyStore: Sendable {
    /// The stored secret-key export, or `nil` when none is stored yet.
    func loadIdentity() throws -> String?
    /// Stores the secret-key export (called once, when ``ClientEncryption/open(userID:store:logger:)``
    /// makes a new device).
    func saveIdentity(_ export: String) throws
    /// The stored keyring, or `nil` when none is stored yet.
    func loadKeyring() throws -> ClientKeyring?
    /// Replaces the stored keyring (called after every change: a pin, an envelope, the cursor).
    func saveKeyring(_ keyring: ClientKeyring) throws
}

/// A ``ClientKeyStore`` that forgets everything when the process ends (tests, bots that
/// make a new device at every start).
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks.
public final class InMemoryKeyStore: ClientKeyStore {
    private let state = Mutex<(identity: String?, keyring: ClientKeyring?)>((nil, nil))

    /// An empty store.
    public init() {}

    public func loadIdentity() throws -> String? { state.withLock { $0.identity } }
    public func saveIdentity(_ export: String) throws { state.withLock { $0.identity = export } }
    public func loadKeyring() throws -> ClientKeyring? { state.withLock { $0.keyring } }
    public func saveKeyring(_ keyring: ClientKeyring) throws { state.withLock { $0.keyring = keyring } }
}

/// A ``ClientKeyStore`` in a directory: `device.keys` (the secret-key export, text form) and
/// `keyring.json`, each readable by the owner only (0600) and replaced atomically.
///
/// The secret keys are stored without a password; a host that wants one stores
/// `DeviceIdentity.exportSecretKeys(password:)` in a store of its own.
///
/// Thread safety: a value type holding a path; safe to share across tasks (two processes
/// writing the same directory at once keep the last keyring written).
public struct FileKeyStore: ClientKeyStore {
    /// The directory holding the two files.
    public let directory: URL

    /// A store in `directory` (created, 0700, at the first write when missing).
    public init(directory: URL) {
        self.directory = directory
    }

    public func loadIdentity() throws -> String? {
        try read("device.keys").map { String(decoding: $0, as: UTF8.self) }
    }

    public func saveIdentity(_ export: String) throws {
        try write(Data(export.utf8), to: "device.keys")
    }

    public func loadKeyring() throws -> ClientKeyring? {
        guard let data = try read("keyring.json") else { return nil }
        do {
            return try JSONDecoder().decode(ClientKeyring.self, from: data)
        } catch {
            throw RealtimeClientError(
                code: .keyStorage, message: "The keyring \(directory.appendingPathComponent("keyring.json").path) is damaged (\(error)).")
        }
    }

    public func saveKeyring(_ keyring: ClientKeyring) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(try encoder.encode(keyring), to: "keyring.json")
    }

    private func read(_ name: String) throws -> Data? {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw RealtimeClientError(code: .keyStorage, message: "Cannot read \(url.path): \(error).")
        }
    }

    private func write(_ data: Data, to name: String) throws {
        let url = directory.appendingPathComponent(name)
        let temporary = directory.appendingPathComponent(".\(name).\(UUID().uuidString.lowercased())")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
            guard rename(temporary.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw RealtimeClientError(code: .keyStorage, message: "Cannot write \(url.path): \(error).")
        }
    }
}
