import ArgumentParser
import Foundation
import MessagingE2EE
import MessagingSodium

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Uploading and downloading attachment files through the server's upload slots and download
/// URLs (ChatServer.md, *Media*), with a progress line on standard error for large files.
enum Attachments {
    /// Files at least this large get a progress line.
    static let progressThreshold: Int64 = 1 << 20

    /// A media type from a file's extension; `application/octet-stream` when unknown.
    static func contentType(of path: String) -> String {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "gif": "image/gif"
        case "webp": "image/webp"
        case "pdf": "application/pdf"
        case "txt", "md": "text/plain"
        case "mp3": "audio/mpeg"
        case "mp4": "video/mp4"
        default: "application/octet-stream"
        }
    }

    static func size(of url: URL) throws -> Int64 {
        guard let size = try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber else {
            throw ClientError.usage("Cannot read \(url.path); check that the file exists and is readable.")
        }
        return size.int64Value
    }

    /// Asks for an upload slot, uploads `file` to it, and returns the attachment id.
    static func upload(
        _ file: URL, as name: String, contentType: String, in conversation: String, api: API
    ) async throws -> String {
        let size = try size(of: file)
        let slot = try await api.call(
            "POST", "/v1/conversations/\(conversation)/attachments",
            body: ["fileName": .string(name), "contentType": .string(contentType), "size": .number(Double(size))])
        guard let id = slot["attachment"]?["id"]?.string, let text = slot["upload"]?["url"]?.string, let url = URL(string: text) else {
            throw ClientError.unreachable("The server's upload slot has no attachment id or URL; is it a swift-messaging ChatServer?")
        }
        var request = URLRequest(url: url)
        request.httpMethod = slot["upload"]?["method"]?.string ?? "PUT"
        request.timeoutInterval = 3600
        if case .object(let headers)? = slot["upload"]?["headers"] {
            for (field, value) in headers { request.setValue(value.string, forHTTPHeaderField: field) }
        }
        let progress = Progress(label: "upload \(name)", total: size)
        let session = URLSession(configuration: .ephemeral, delegate: progress, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.upload(for: request, fromFile: file)
        progress.done()
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            let message = JSON.parse(data)?["error"]?["message"]?.string ?? String(decoding: data.prefix(300), as: UTF8.self)
            throw ClientError.server(status: status, code: "upload_failed", message: "The upload was refused: \(message)")
        }
        return id
    }

    /// Downloads an attachment into a temporary file and returns it with the attachment record.
    static func download(_ attachment: String, api: API) async throws -> (file: URL, record: JSON) {
        let grant = try await api.call("GET", "/v1/attachments/\(attachment)/download")
        guard let text = grant["url"]?.string, let url = URL(string: text) else {
            throw ClientError.unreachable("The server's download answer has no URL.")
        }
        let record = grant["attachment"] ?? .null
        var request = URLRequest(url: url)
        request.timeoutInterval = 3600
        let total = Int64(record["size"]?.int ?? 0)
        let progress = Progress(label: "download \(record["fileName"]?.string ?? attachment)", total: total)
        let session = URLSession(configuration: .ephemeral, delegate: progress, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let (temporary, response) = try await session.download(for: request)
        progress.done()
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            try? FileManager.default.removeItem(at: temporary)
            throw ClientError.server(status: status, code: "download_failed", message: "The download was refused (HTTP \(status)).")
        }
        // Moved out of URLSession's temporary location before it is reused.
        let kept = FileManager.default.temporaryDirectory.appendingPathComponent("chatclient-\(UUID().uuidString)")
        try FileManager.default.moveItem(at: temporary, to: kept)
        return (kept, record)
    }

    /// The digest of a file (E2EE.md §6.3), lowercase hex: SHA-256 over the SHA-256 of each
    /// 1 MiB piece in order (the last one may be shorter), so a file of any size is hashed
    /// in constant memory.
    static func sha256(of url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var digests: [UInt8] = []
        while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty { digests += Sodium.sha256([UInt8](piece)) }
        return Sodium.hex(Sodium.sha256(digests))
    }

    /// A file name safe to create in the current directory: the last path component, no
    /// leading dots; `attachment` when nothing is left.
    static func safeFileName(_ name: String?) -> String {
        let last = (name ?? "").split(separator: "/").last.map(String.init) ?? ""
        let trimmed = String(last.drop { $0 == "." || $0 == " " })
        return trimmed.isEmpty ? "attachment" : trimmed
    }
}

/// The locator of an encrypted attachment inside its media reference (E2EE.md §6.3):
/// `attachment:ID;sha256=HEX;name=PERCENT-ENCODED-NAME`.
struct EncryptedAttachmentLocator: Equatable {
    let attachmentID: String
    let sha256: String
    let fileName: String

    var text: String {
        let name = fileName.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "file"
        return "attachment:\(attachmentID);sha256=\(sha256);name=\(name)"
    }

    init(attachmentID: String, sha256: String, fileName: String) {
        self.attachmentID = attachmentID
        self.sha256 = sha256
        self.fileName = fileName
    }

    init?(_ text: String) {
        guard text.hasPrefix("attachment:") else { return nil }
        var id: String?, digest: String?, name: String?
        for (index, part) in text.dropFirst("attachment:".count).split(separator: ";").enumerated() {
            if index == 0 { id = String(part); continue }
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { return nil }
            switch pair[0] {
            case "sha256": digest = pair[1]
            case "name": name = pair[1].removingPercentEncoding
            default: continue
            }
        }
        guard let id, let digest, digest.count == 64 else { return nil }
        self.init(attachmentID: id, sha256: digest, fileName: name ?? "attachment")
    }
}

/// Prints `label: 42% (84/200 MiB)` on standard error while a transfer runs, for files of
/// at least ``Attachments/progressThreshold`` bytes.
final class Progress: NSObject, URLSessionTaskDelegate, URLSessionDownloadDelegate, @unchecked Sendable {
    private let label: String
    private let total: Int64
    private let lock = NSLock()
    private var lastPercent = -1

    init(label: String, total: Int64) {
        self.label = label
        self.total = total
    }

    private func show(_ done: Int64) {
        guard total >= Attachments.progressThreshold else { return }
        let percent = Int(min(100, done * 100 / max(total, 1)))
        lock.lock()
        defer { lock.unlock() }
        guard percent != lastPercent else { return }
        lastPercent = percent
        let line = "\r\(label): \(percent)% (\(done >> 20)/\(total >> 20) MiB)"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func done() {
        guard total >= Attachments.progressThreshold else { return }
        show(total)
        FileHandle.standardError.write(Data("\n".utf8))
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64, totalBytesSent: Int64,
        totalBytesExpectedToSend: Int64
    ) {
        show(totalBytesSent)
    }

    func urlSession(
        _ session: URLSession, downloadTask: URLSessionDownloadTask, didWriteData bytesWritten: Int64, totalBytesWritten: Int64,
        totalBytesExpectedToWrite: Int64
    ) {
        show(totalBytesWritten)
    }

    func urlSession(_ session: URLSession, downloadTask: URLSessionDownloadTask, didFinishDownloadingTo location: URL) {}
}

struct Download: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Save the attachment of a message (decrypted in end-to-end encrypted conversations).")
    @OptionGroup var options: CommonOptions
    @Argument(help: "Message id.") var message: String
    @Option(help: "Where to save it (default: the attachment's name in the current directory).") var out: String?

    func run() async throws {
        try await runReporting {
            let api = try options.api()
            guard UUID(uuidString: message) != nil else { throw ClientError.usage("Bad message id \(message).") }
            let (found, conversation) = try await Self.find(message.lowercased(), api: api)
            let encrypted = found["kind"]?.string == "encrypted"
            guard let attachment = found["attachments"]?.array?.first, let id = attachment["id"]?.string else {
                throw ClientError.usage("Message \(message) has no attachment.")
            }
            if encrypted {
                let session = try await E2EESession.open(api: api)
                let plaintext: [UInt8]
                do {
                    plaintext = try await session.openPlaintext(found, in: conversation)
                } catch {
                    throw ClientError.usage("Cannot decrypt message \(message): \(error).")
                }
                guard let reference = try? MediaReference(serialized: plaintext),
                      let locator = EncryptedAttachmentLocator(reference.locator), locator.attachmentID == id
                else {
                    throw ClientError.usage("Message \(message) does not carry the key of its attachment.")
                }
                let (blob, _) = try await Attachments.download(id, api: api)
                defer { try? FileManager.default.removeItem(at: blob) }
                guard try Attachments.sha256(of: blob) == locator.sha256 else {
                    throw ClientError.usage("The downloaded attachment is not the one the sender encrypted (its digest differs); nothing saved.")
                }
                let target = URL(fileURLWithPath: out ?? Attachments.safeFileName(locator.fileName))
                FileManager.default.createFile(atPath: target.path, contents: nil, attributes: [.posixPermissions: 0o600])
                let input = try FileHandle(forReadingFrom: blob)
                let output = try FileHandle(forWritingTo: target)
                do {
                    try MediaDecryptor.decrypt(reading: input, writing: output, reference: reference)
                    try? input.close()
                    try? output.close()
                } catch {
                    try? input.close()
                    try? output.close()
                    try? FileManager.default.removeItem(at: target)
                    throw ClientError.usage("The attachment does not decrypt (\(error)); nothing saved.")
                }
                print("saved \(target.path) (\(reference.plaintextLength) bytes, decrypted)")
            } else {
                let (file, record) = try await Attachments.download(id, api: api)
                let target = URL(fileURLWithPath: out ?? Attachments.safeFileName(record["fileName"]?.string ?? attachment["name"]?.string))
                try? FileManager.default.removeItem(at: target)
                try FileManager.default.moveItem(at: file, to: target)
                print("saved \(target.path) (\(try Attachments.size(of: target)) bytes)")
            }
        }
    }

    /// The message with `id` in one of the caller's conversations, and that conversation.
    static func find(_ id: String, api: API) async throws -> (JSON, String) {
        var cursor: String?
        repeat {
            let page = try await api.call("GET", "/v1/conversations", query: cursor.map { ["cursor": $0] } ?? [:])
            for conversation in page["conversations"]?.array ?? [] {
                guard let room = conversation["conversation"]?["id"]?.string ?? conversation["id"]?.string else { continue }
                if let answer = try? await api.call("GET", "/v1/conversations/\(room)/messages/\(id)"), let message = answer["message"] {
                    return (message, room)
                }
            }
            cursor = page["nextCursor"]?.string
        } while cursor != nil
        throw ClientError.usage("No message \(id) in your conversations.")
    }
}
