import Foundation

/// What the client remembers between runs: the server, the tokens, and the last `seq`
/// seen per conversation (so `tail` resumes where it stopped). Stored as JSON in a file
/// only its owner can read or write (0600), in a directory only its owner can list (0700).
/// The device keys (`<profile>.device`, see ``DeviceKeys``) and the keyring
/// (`<profile>.keys.json`, see ``Keyring``) live next to it.
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
            !name.hasPrefix("."), !name.hasSuffix(".keys")
        else {
            throw ClientError.usage(
                "A profile name is 1–64 letters, digits, '-', '_' or '.', not starting with '.' nor ending in \".keys\" (the keyring's name); got \"\(name)\".")
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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Never a half-written profile, never readable by others (see PrivateFile).
        try PrivateFile.save(try encoder.encode(self), to: try Self.url(named: name))
    }
}
