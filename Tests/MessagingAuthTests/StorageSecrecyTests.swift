import Foundation
@testable import MessagingAuth
import MessagingCore
import Testing
import MessagingSodium

@Suite("Nothing secret is stored in clear")
struct StorageSecrecyTests {
    /// The bytes of the database file and its WAL (and shared-memory) files.
    private func databaseBytes(_ path: String) throws -> [(String, Data)] {
        var files: [(String, Data)] = []
        for suffix in ["", "-wal", "-shm"] {
            let file = path + suffix
            if FileManager.default.fileExists(atPath: file) {
                files.append((suffix.isEmpty ? "main" : suffix, try Data(contentsOf: URL(fileURLWithPath: file))))
            }
        }
        return files
    }

    @Test("after logins and refreshes, the SQLite files hold no token and no password in clear")
    func noClearTokens() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let login = try await fixture.login("alice")
        let refreshed = try await fixture.auth.refresh(login.tokens.refreshToken)

        let files = try databaseBytes(fixture.databasePath)
        #expect(files.contains { $0.0 == "-wal" }, "the WAL file is searched too")
        let secrets: [(String, Data)] = [
            ("login refresh token (text)", Data(login.tokens.refreshToken.encoded.utf8)),
            ("login refresh token (raw bytes)", Data(Base64URL.decode(login.tokens.refreshToken.encoded.utf8)!)),
            ("rotated refresh token (text)", Data(refreshed.refreshToken.encoded.utf8)),
            ("rotated refresh token (raw bytes)", Data(Base64URL.decode(refreshed.refreshToken.encoded.utf8)!)),
            ("access token", Data(login.tokens.accessToken.compact.utf8)),
            ("access token signature", Data(login.tokens.accessToken.compact.split(separator: ".")[2].utf8)),
            ("password", Data(AuthFixture.passwordText.utf8)),
        ]
        for (name, secret) in secrets {
            for (file, bytes) in files {
                #expect(bytes.range(of: secret) == nil, "\(name) found in the \(file) file")
            }
        }
        // The positive control: what is stored (the token hashes) is found, so the search works.
        let storedHash = Data(refreshed.refreshToken.hash.bytes)
        #expect(files.contains { $0.1.range(of: storedHash) != nil }, "the current token's hash is in the files")
        let rotatedHash = Data(login.tokens.refreshToken.hash.bytes)
        #expect(files.contains { $0.1.range(of: rotatedHash) != nil }, "the rotated token's hash is in the files")
    }
}
