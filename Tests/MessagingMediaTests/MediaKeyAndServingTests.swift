import Foundation
import Testing
@testable import MessagingMedia

@Suite("Object keys and serving headers")
struct MediaKeyAndServingTests {
    @Test("keys that could leave the store's directory or confuse a path are refused")
    func invalidKeys() {
        let bad = [
            "", "/etc/passwd", "..", "../x", "a/../b", "a/./b", ".", "a//b", "a/", "a\\b", "a\u{0}b", "a\nb", "a\u{7F}",
            "a\u{85}b", String(repeating: "x", count: 1025), String(repeating: "é", count: 513),
        ]
        for raw in bad {
            do {
                _ = try MediaObjectKey(raw)
                Issue.record("accepted key \(raw.debugDescription)")
            } catch {
                #expect(error.code == .invalidKey)
            }
        }
    }

    @Test("unicode and reserved characters are allowed, and files stay under the directory")
    func validKeys() throws {
        let store = try LocalMediaStore(
            directory: URL(fileURLWithPath: "/tmp/media-keys-\(UUID())"), baseURL: URL(string: "http://127.0.0.1/media")!,
            signingKey: [UInt8](repeating: 9, count: 32))
        defer { try? FileManager.default.removeItem(at: store.directory) }
        for raw in ["a", "日本語/ファイル.png", "a b/+=&?#%.txt", "...hidden", "a..b/c", String(repeating: "x", count: 1024)] {
            let key = try MediaObjectKey(raw)
            #expect(store.fileURL(for: key).path.hasPrefix(store.directory.appendingPathComponent("objects").path + "/"))
        }
    }

    @Test("Content-Disposition is attachment except for allowed inline images; names are sanitized")
    func disposition() {
        let headers = MediaServingHeaders()
        #expect(headers.contentDisposition(contentType: "image/png", fileName: "a.png") == "inline; filename=\"a.png\"")
        #expect(headers.contentDisposition(contentType: "IMAGE/JPEG; q=1", fileName: nil) == "inline")
        #expect(headers.contentDisposition(contentType: "image/svg+xml", fileName: "x.svg") == "attachment; filename=\"x.svg\"")
        #expect(headers.contentDisposition(contentType: "text/html", fileName: "page.html") == "attachment; filename=\"page.html\"")
        #expect(MediaServingHeaders(inlineTypes: ["image/svg+xml", "text/html"]).inlineTypes.isEmpty)
        #expect(headers.contentDisposition(contentType: "application/pdf", fileName: "résumé.pdf")
            == "attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf")
        #expect(MediaServingHeaders.sanitizedFileName("../../etc/passwd") == "passwd")
        #expect(MediaServingHeaders.sanitizedFileName("C:\\Users\\x\\evil.exe") == "evil.exe")
        #expect(MediaServingHeaders.sanitizedFileName("a\"b\r\nX: y<z>.txt") == "a_b__X_ y_z_.txt")
        #expect(MediaServingHeaders.sanitizedFileName("...") == "file")
        #expect(MediaServingHeaders.sanitizedFileName("  .bashrc ") == "bashrc")
        #expect(MediaServingHeaders.sanitizedFileName("invoice\u{202E}fdp.exe") == "invoice_fdp.exe")
        let long = MediaServingHeaders.sanitizedFileName(String(repeating: "ä", count: 300) + ".jpeg")
        #expect(long.utf8.count <= 200 && long.hasSuffix(".jpeg"))
        let all = headers.headers(contentType: "text/plain", fileName: "notes.txt")
        #expect(all["X-Content-Type-Options"] == "nosniff")
        #expect(all["Content-Type"] == "text/plain")
        #expect(all["Content-Disposition"] == "attachment; filename=\"notes.txt\"")
        for value in all.values { #expect(MediaServingHeaders.isSafeHeaderValue(value)) }
    }

    @Test("content types are checked")
    func contentTypes() {
        for good in ["image/png", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "text/plain; charset=utf-8"] {
            #expect(MediaContentType.isValid(good))
        }
        for bad in ["", "image", "image/", "/png", "image/png\r\nX: y", "im age/png", "a/b/c", "text/\"x\""] {
            #expect(!MediaContentType.isValid(bad), "\(bad.debugDescription)")
        }
        #expect(throws: MediaError.self) { try MediaUploadSlot(key: MediaObjectKey("a"), contentType: "nope", byteCount: 1, expiresInSeconds: 60) }
        #expect(throws: MediaError.self) { try MediaUploadSlot(key: MediaObjectKey("a"), contentType: "image/png", byteCount: -1, expiresInSeconds: 60) }
        #expect(throws: MediaError.self) { try MediaUploadSlot(key: MediaObjectKey("a"), contentType: "image/png", byteCount: 1, expiresInSeconds: 0) }
    }
}
