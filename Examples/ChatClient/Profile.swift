import Foundation

/// What the client remembers between runs: the server, the tokens, and the last `seq`
/// seen per conversation (so `tail` resumes where it stopped). Stored as JSON in a file
/// only its owner can read or write (0600), in a directory only its owner can list (0700).
struct Profile: Codable, Sendable {
    var server: String
    var handle: String?
    var userID: String?
    var accessToken: String?
    var refreshToken: String?
    var cursors: [String: Int64] = [:]

    static func directory() -> URL {
        if let explicit = ProcessInfo.processInfo.environment["CHAT_CLIENT_HOME"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit, isDirectory: true)
        }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? FileManager.default.currentDirectoryPath
        return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".swift-messaging", isDirectory: true)
    }

    static func url(named name: String) throws -> URL {
        guard !name.isEmpty, name.count <= 64,
            name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) }),
            !name.hasPrefix(".")
        else {
            throw ClientError.usage("A profile name is 1–64 letters, digits, '-', '_' or '.', not starting with '.'; got \"\(name)\".")
        }
        return directory().appendingPathComponent("\(name).json")
    }

    static func load(named name: String) throws -> Profile? {
        let url = try url(named: name)
        guard let data = try? Data(contentsOf: url) else { return nil }
        do {
            return try JSONDecoder().decode(Profile.self, from: data)
        } catch {
            throw ClientError.usage("The profile file \(url.path) is damaged (\(error)); delete it and log in again.")
        }
    }

    func save(named name: String) throws {
        let url = try Self.url(named: name)
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        // Write to a temporary file created 0600 (open with O_EXCL and the mode, so it is
        // never readable by others, not even for a moment), flush it, then rename it over the
        // profile: never a half-written profile.
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        unlink(temporary.path)
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw ClientError.usage("Cannot write \(temporary.path): \(String(cString: strerror(errno))); check the permissions of \(directory.path).")
        }
        let written = data.withUnsafeBytes { buffer in write(descriptor, buffer.baseAddress, buffer.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == data.count, synced else {
            unlink(temporary.path)
            throw ClientError.usage("Cannot write \(temporary.path) (disk full?).")
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ClientError.usage("Cannot save \(url.path): \(reason).")
        }
    }
}
