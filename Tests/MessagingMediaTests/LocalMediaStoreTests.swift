import Foundation
import MessagingCore
import TestSupport
import Testing
@testable import MessagingMedia

@Suite("LocalMediaStore")
struct LocalMediaStoreTests {
    static let signingKey = [UInt8](repeating: 0x5A, count: 32)
    static let base = URL(string: "https://chat.example.com/media")!

    static func makeStore(_ directory: URL, clock: any WallClock = SystemWallClock()) throws -> LocalMediaStore {
        try LocalMediaStore(directory: directory, baseURL: base, signingKey: signingKey, clock: clock)
    }

    /// What a host route does: the key is the decoded path after `/media/`, the query decoded.
    static func verify(_ store: LocalMediaStore, _ method: String, _ url: URL) throws(MediaError) -> LocalMediaGrant {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
        let path = components.percentEncodedPath.dropFirst("/media/".count).removingPercentEncoding!
        return try store.verify(method: method, key: String(path), queryItems: components.queryItems ?? [])
    }

    static func bytes<S: AsyncSequence>(_ sequence: S) async throws -> [UInt8] where S.Element == [UInt8] {
        var all = [UInt8]()
        for try await chunk in sequence { all += chunk }
        return all
    }

    @Test("an upload URL verifies, the stream is stored, HEAD and a download URL read it back")
    func roundTrip() async throws {
        let directory = try MediaPaths.temporaryDirectory("local")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Self.makeStore(directory)
        let key = try MediaObjectKey("uploads/ü b+c=&%/r\u{e9}sum\u{e9}.pdf")
        let content = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let slot = try MediaUploadSlot(key: key, contentType: "application/pdf", byteCount: Int64(content.count), expiresInSeconds: 60)
        let target = try await store.uploadTarget(for: slot)
        #expect(target.url.absoluteString.hasPrefix("https://chat.example.com/media/uploads/%C3%BC%20b%2Bc%3D%26%25/"))
        let grant = try Self.verify(store, "PUT", target.url)
        #expect(grant.key == key && grant.sizeLimit == Int64(content.count) && grant.contentType == "application/pdf")
        try grant.checkUploadContentType("Application/PDF")
        #expect(throws: MediaError.self) { try grant.checkUploadContentType("text/html") }
        #expect(throws: MediaError.self) { try grant.checkUploadContentType(nil) }
        let chunks = stride(from: 0, to: content.count, by: 7_000).map { Array(content[$0..<min($0 + 7_000, content.count)]) }
        let written = try await store.write(key, from: chunks.async, grant: grant)
        #expect(written == Int64(content.count))
        #expect(try await store.head(key) == MediaObjectInfo(byteCount: Int64(content.count), contentType: nil))

        let download = try await store.downloadTarget(for: MediaDownloadRequest(
            key: key, contentType: "application/pdf", contentDisposition: "attachment; filename=\"resume.pdf\"", expiresInSeconds: 60))
        let readGrant = try Self.verify(store, "GET", download.url)
        #expect(readGrant.contentDisposition == "attachment; filename=\"resume.pdf\"")
        // A download URL does not allow an upload, and the other way round.
        #expect(throws: MediaError.self) { try Self.verify(store, "PUT", download.url) }
        #expect(throws: MediaError.self) { try Self.verify(store, "GET", target.url) }
        await #expect(throws: MediaError.self) { try await store.write(key, from: chunks.async, grant: readGrant) }

        let reader = try store.read(key, chunkSize: 4096)
        #expect(reader.byteCount == Int64(content.count))
        #expect(try await Self.bytes(reader) == content)

        try await store.delete(key)
        #expect(try await store.head(key) == nil)
        #expect(throws: MediaError.self) { try store.read(key) }
        try await store.delete(key)
    }

    @Test("tampered and expired URLs are refused")
    func tamperedAndExpired() async throws {
        let directory = try MediaPaths.temporaryDirectory("local-sig")
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = ManualClock(Date())
        let store = try Self.makeStore(directory, clock: clock)
        let key = try MediaObjectKey("a/b.png")
        let target = try await store.uploadTarget(for: MediaUploadSlot(key: key, contentType: "image/png", byteCount: 1000, expiresInSeconds: 30))
        _ = try Self.verify(store, "PUT", target.url)
        let original = target.url.absoluteString
        let expires = URLComponents(url: target.url, resolvingAgainstBaseURL: false)!.queryItems!.first { $0.name == "X-Media-Expires" }!.value!
        let tamperings = [
            original.replacingOccurrences(of: "X-Media-Size=1000", with: "X-Media-Size=1000000"),
            original.replacingOccurrences(of: "X-Media-Expires=\(expires)", with: "X-Media-Expires=\(Int64(expires)! + 3600)"),
            original.replacingOccurrences(of: "X-Media-Type=image%2Fpng", with: "X-Media-Type=text%2Fhtml"),
            original.replacingOccurrences(of: "/media/a/b.png", with: "/media/a/c.png"),
            String(original.dropLast()) + (original.hasSuffix("0") ? "1" : "0"),
        ]
        for text in tamperings {
            #expect(text != original)
            do {
                _ = try Self.verify(store, "PUT", URL(string: text)!)
                Issue.record("tampered URL accepted: \(text)")
            } catch {
                #expect(error.code == .invalidSignature)
            }
        }
        // Another key signs differently.
        let other = try LocalMediaStore(directory: directory, baseURL: Self.base, signingKey: [UInt8](repeating: 1, count: 32), clock: clock)
        #expect(throws: MediaError.self) { try Self.verify(other, "PUT", target.url) }
        // Missing parameters.
        #expect(throws: MediaError.self) { try store.verify(method: "PUT", key: "a/b.png", queryItems: []) }

        clock.advance(seconds: 30)
        _ = try Self.verify(store, "PUT", target.url)
        clock.advance(seconds: 1)
        do {
            _ = try Self.verify(store, "PUT", target.url)
            Issue.record("expired URL accepted")
        } catch {
            #expect(error.code == .expired)
        }
    }

    @Test("the size limit is enforced while streaming; the partial file is removed")
    func sizeLimit() async throws {
        let directory = try MediaPaths.temporaryDirectory("local-size")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Self.makeStore(directory)
        let key = try MediaObjectKey("big.bin")
        let consumed = SharedValue(0)
        let chunks = GeneratedChunks(count: 64, size: 64 * 1024).map { chunk -> [UInt8] in
            consumed.update { $0 += 1 }
            return chunk
        }
        do {
            try await store.write(key, from: chunks, sizeLimit: 1024 * 1024 + 1)
            Issue.record("an upload over its limit was stored")
        } catch let error as MediaError {
            #expect(error.code == .sizeLimitExceeded)
        }
        // Stopped at the first chunk past the limit (17 of 64), not at the end of the stream.
        #expect(consumed.get() == 17)
        #expect(try await store.head(key) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("incoming").path).isEmpty)

        // Too short for the declared size: refused too, and an older object stays as it was.
        try await store.write(key, from: [[UInt8](repeating: 7, count: 10)].async, sizeLimit: 10)
        do {
            try await store.write(key, from: [[UInt8](repeating: 8, count: 50)].async, sizeLimit: 100, expectedByteCount: 100)
            Issue.record("a short upload was stored")
        } catch let error as MediaError {
            #expect(error.code == .sizeMismatch)
        }
        #expect(try await Self.bytes(store.read(key)) == [UInt8](repeating: 7, count: 10))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("incoming").path).isEmpty)
    }

    /// Measured in a child process (MediaStreamProbe), whose resident memory only this
    /// upload changes; the test process runs hundreds of other tests at the same time.
    @Test("a 200 MiB upload and download stream with bounded memory (< 64 MiB resident growth)")
    func largeUpload() throws {
        let directory = try MediaPaths.temporaryDirectory("local-large")
        defer { try? FileManager.default.removeItem(at: directory) }
        let probe = try MediaPaths.builtExecutable("MediaStreamProbe")
        // Under AddressSanitizer (make test's second run) freed memory is held in a quarantine
        // of 256 MiB by default: without one the probe's resident memory is its own again.
        var environment = ProcessInfo.processInfo.environment
        if let options = environment["ASAN_OPTIONS"] { environment["ASAN_OPTIONS"] = options + ":quarantine_size_mb=0" }
        let run = try SpawnedProcess.run(probe, [directory.path, "200"], input: Data(), environment: environment)
        let output = String(decoding: run.output, as: UTF8.self)
        try #require(run.status == 0, "MediaStreamProbe failed: \(String(decoding: run.errors, as: UTF8.self))")
        var values: [String: Int64] = [:]
        for field in output.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = field.split(separator: "=")
            if parts.count == 2 { values[String(parts[0])] = Int64(parts[1]) }
        }
        let bytes = try #require(values["bytes"]), before = try #require(values["rss_before"]), peak = try #require(values["rss_peak"])
        #expect(bytes == 200 * 1024 * 1024)
        #expect(before > 0 && peak >= before)
        let growth = peak - before
        #expect(growth < 64 * 1024 * 1024, "resident memory grew by \(growth / 1_048_576) MiB while streaming 200 MiB")
        print("200 MiB streamed: resident \(before / 1_048_576) MiB before, high-water mark \(peak / 1_048_576) MiB")
    }

    @Test("concurrent uploads: every object whole, the same key ends as one of the uploads")
    func concurrentUploads() async throws {
        let directory = try MediaPaths.temporaryDirectory("local-concurrent")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Self.makeStore(directory)
        let shared = try MediaObjectKey("shared/one.bin")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<16 {
                group.addTask {
                    let key = try MediaObjectKey("many/\(index).bin")
                    try await store.write(key, from: GeneratedChunks(count: 16, size: 65_536, byte: UInt8(index)), sizeLimit: 1 << 20, expectedByteCount: 1 << 20)
                }
            }
            for index in 0..<6 {
                group.addTask {
                    try await store.write(shared, from: GeneratedChunks(count: 8, size: 65_536, byte: UInt8(100 + index)), sizeLimit: 1 << 20)
                }
            }
            try await group.waitForAll()
        }
        for index in 0..<16 {
            let content = try await Self.bytes(store.read(MediaObjectKey("many/\(index).bin")))
            #expect(content.count == 1 << 20 && content.allSatisfy { $0 == UInt8(index) })
        }
        let last = try await Self.bytes(store.read(shared))
        #expect(last.count == 8 * 65_536)
        #expect(Set(last).count == 1 && (100..<106).contains(Int(last[0])))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("incoming").path).isEmpty)
    }

    @Test("temporary files of unfinished uploads are purged")
    func purge() async throws {
        let directory = try MediaPaths.temporaryDirectory("local-purge")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Self.makeStore(directory)
        let incoming = directory.appendingPathComponent("incoming")
        let old = incoming.appendingPathComponent("left-by-a-crash")
        let fresh = incoming.appendingPathComponent("in-progress")
        _ = FileManager.default.createFile(atPath: old.path, contents: Data(count: 10))
        _ = FileManager.default.createFile(atPath: fresh.path, contents: Data(count: 10))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: old.path)
        #expect(store.purgeIncoming(olderThan: 3600) == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: incoming.path) == ["in-progress"])
    }

    @Test("configuration is checked")
    func configuration() throws {
        let directory = try MediaPaths.temporaryDirectory("local-config")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: MediaError.self) { try LocalMediaStore(directory: directory, baseURL: Self.base, signingKey: [1, 2, 3]) }
        #expect(throws: MediaError.self) { try LocalMediaStore(directory: directory, baseURL: URL(string: "ftp://x/media")!, signingKey: Self.signingKey) }
    }
}
