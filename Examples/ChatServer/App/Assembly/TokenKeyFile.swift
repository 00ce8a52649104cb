import Foundation
import Logging
import MessagingAuth

#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// The file that holds the access-token signing key: loaded when present, generated
/// (Ed25519, 32 random bytes, mode 0600) when absent.
///
/// Format (JSON): `{"version":1,"keys":[{"id":"k-…","algorithm":"EdDSA","seed":"<base64>"}]}`.
/// The first key signs; the others stay valid for verification (rotation: put a new key
/// first, keep the old one for one access-token lifetime).
///
/// Thread safety: stateless; safe to call from any task.
public enum TokenKeyFile {
    /// What ``loadOrCreate(at:logger:)`` did.
    public enum Outcome: Sendable, Equatable {
        /// The file existed and was read.
        case loaded
        /// The file did not exist; a new key was generated and stored.
        case generated
    }

    private struct Contents: Codable {
        struct Key: Codable {
            var id: String
            var algorithm: String
            var seed: String
        }
        var version: Int
        var keys: [Key]
    }

    /// Reads the keys at `path`, or generates and stores a new signing key when the file does
    /// not exist. Refuses a file that others can read (`chmod 600` fixes it).
    public static func loadOrCreate(at path: String, logger: Logger) throws(ChatServerError) -> (AccessTokenKeys, Outcome) {
        if FileManager.default.fileExists(atPath: path) {
            return (try load(at: path), .loaded)
        }
        let id = "k-\(Int(Date().timeIntervalSince1970))"
        var generator = SystemRandomNumberGenerator()
        let seed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let contents = Contents(version: 1, keys: [.init(id: id, algorithm: "EdDSA", seed: Data(seed).base64EncodedString())])
        try write(contents, to: path)
        logger.notice(
            "generated a new access-token signing key and stored it (mode 0600); back this file up, losing it logs every user out",
            metadata: ["path": "\(path)", "kid": "\(id)"])
        return (try keys(from: contents, path: path), .generated)
    }

    /// Reads the keys at `path`.
    public static func load(at path: String) throws(ChatServerError) -> AccessTokenKeys {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw .keyFile("Cannot read the keys file at \(path) (errno \(errno)); check the path and its permissions.")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw .keyFile(
                "The keys file at \(path) can be read by other users (mode \(String(status.st_mode & 0o777, radix: 8))); run `chmod 600 \(path)`.")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .keyFile("Cannot read the keys file at \(path); check its permissions.", cause: error)
        }
        guard data.count <= 64 * 1024, let contents = try? JSONDecoder().decode(Contents.self, from: data) else {
            throw .keyFile(
                "The keys file at \(path) is not valid: expected {\"version\":1,\"keys\":[{\"id\",\"algorithm\":\"EdDSA\",\"seed\"}]}. Move it away to generate a new one (every user will have to log in again).")
        }
        return try keys(from: contents, path: path)
    }

    private static func keys(from contents: Contents, path: String) throws(ChatServerError) -> AccessTokenKeys {
        guard contents.version == 1, !contents.keys.isEmpty, contents.keys.count <= 16 else {
            throw .keyFile("The keys file at \(path) must have version 1 and 1 to 16 keys.")
        }
        var parsed: [AccessTokenKey] = []
        for entry in contents.keys {
            guard entry.algorithm == "EdDSA" else {
                throw .keyFile("The key '\(entry.id)' in \(path) has algorithm '\(entry.algorithm)'; only EdDSA is supported.")
            }
            guard let seed = Data(base64Encoded: entry.seed), seed.count == 32 else {
                throw .keyFile("The key '\(entry.id)' in \(path) needs a seed of 32 bytes in base64.")
            }
            do {
                parsed.append(try AccessTokenKey.ed25519(id: entry.id, seed: Array(seed)))
            } catch {
                throw .keyFile("The key '\(entry.id)' in \(path) is not usable: \(error.message)")
            }
        }
        do {
            return try AccessTokenKeys(signingKey: parsed[0], verificationKeys: Array(parsed.dropFirst()))
        } catch {
            throw .keyFile("The keys in \(path) do not form a valid key table: \(error.message)")
        }
    }

    /// Writes `contents` to a new file created with mode 0600, then renames it into place,
    /// so the key is never readable by others, not even for a moment.
    private static func write(_ contents: Contents, to path: String) throws(ChatServerError) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .keyFile("Cannot create the directory \(directory.path) for the keys file.", cause: error)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard let data = try? encoder.encode(contents) else { throw .keyFile("Cannot encode the keys file.") }
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw .keyFile("Cannot create \(temporary) (errno \(errno)); check that the directory is writable.")
        }
        let written = data.withUnsafeBytes { buffer in systemWrite(descriptor, buffer.baseAddress, buffer.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == data.count, synced == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw .keyFile("Cannot write the keys file at \(path) (errno \(errno)); check free space and permissions.")
        }
    }
}
