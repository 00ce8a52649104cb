import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension LocalMediaStore {
    /// Stores an upload allowed by a verified `PUT` grant: exactly `grant.sizeLimit` bytes.
    ///
    /// - Throws: ``MediaError/Code/invalidRequest`` when the grant is not a `PUT` for `key`,
    ///   and what ``write(_:from:sizeLimit:expectedByteCount:)`` throws.
    @discardableResult
    public func write<Chunks: AsyncSequence>(_ key: MediaObjectKey, from chunks: Chunks, grant: LocalMediaGrant) async throws -> Int64
    where Chunks.Element: Collection, Chunks.Element.Element == UInt8 {
        guard grant.method == "PUT", grant.key == key else {
            throw MediaError(code: .invalidRequest, message: "the media URL allows \(grant.method) of '\(grant.key)', not an upload of '\(key)'")
        }
        return try await write(key, from: chunks, sizeLimit: grant.sizeLimit, expectedByteCount: grant.sizeLimit)
    }

    /// Streams `chunks` into the object `key`: into a temporary file first, checking the
    /// size as the bytes arrive, then `fsync` and an atomic rename over any previous object.
    /// Only one chunk is in memory at a time.
    ///
    /// - Returns: the number of bytes stored.
    /// - Throws: ``MediaError/Code/sizeLimitExceeded`` as soon as more than `sizeLimit`
    ///   bytes arrive; ``MediaError/Code/sizeMismatch`` when the stream ends with another
    ///   count than `expectedByteCount`; ``MediaError/Code/storageFailed`` for an I/O error;
    ///   `CancellationError`, or the error of `chunks` itself. In every failure case the
    ///   temporary file is removed and the previous object, if any, is unchanged.
    @discardableResult
    public func write<Chunks: AsyncSequence>(
        _ key: MediaObjectKey, from chunks: Chunks, sizeLimit: Int64, expectedByteCount: Int64? = nil
    ) async throws -> Int64 where Chunks.Element: Collection, Chunks.Element.Element == UInt8 {
        let temporary = incomingDirectory.appendingPathComponent(UUID().uuidString).path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw Self.ioError("create a temporary file for '\(key)'")
        }
        var isOpen = true
        var stored = false
        defer {
            if isOpen { close(descriptor) }
            if !stored { unlink(temporary) }
        }
        var total: Int64 = 0
        for try await chunk in chunks {
            total += Int64(chunk.count)
            guard total <= sizeLimit else {
                throw MediaError(code: .sizeLimitExceeded, message: "the upload of '\(key)' is longer than its limit of \(sizeLimit) bytes; nothing was stored")
            }
            let written = chunk.withContiguousStorageIfAvailable { Self.writeAll(descriptor, UnsafeRawBufferPointer($0)) }
                ?? Array(chunk).withUnsafeBytes { Self.writeAll(descriptor, $0) }
            guard written else { throw Self.ioError("write '\(key)'") }
            try Task.checkCancellation()
        }
        if let expectedByteCount, total != expectedByteCount {
            throw MediaError(code: .sizeMismatch, message: "the upload of '\(key)' has \(total) bytes, not the declared \(expectedByteCount); nothing was stored")
        }
        // fsync, rename and the folder's fsync can block for long on a busy disk: they run on
        // the media I/O queue, never on a thread of the Swift concurrency pool.
        let destination = fileURL(for: key)
        let finish = await Self.onIOQueue { () -> FinishOutcome in
            var outcome = FinishOutcome()
            guard fsync(descriptor) == 0 else {
                outcome.error = Self.ioError("flush '\(key)'")
                return outcome
            }
            outcome.closed = true
            guard close(descriptor) == 0 else {
                outcome.error = Self.ioError("close '\(key)'")
                return outcome
            }
            do {
                try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            } catch {
                outcome.error = MediaError(code: .storageFailed, message: "cannot create the folder of media object '\(key)'", cause: error)
                return outcome
            }
            guard rename(temporary, destination.path) == 0 else {
                outcome.error = Self.ioError("move '\(key)' into place")
                return outcome
            }
            outcome.renamed = true
            // Make the rename itself durable.
            let folder = Glibc.open(destination.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if folder >= 0 {
                _ = fsync(folder)
                close(folder)
            }
            return outcome
        }
        if finish.closed { isOpen = false }
        if finish.renamed { stored = true }
        if let error = finish.error { throw error }
        return total
    }

    /// What the blocking end of a write did.
    struct FinishOutcome: Sendable {
        var closed = false
        var renamed = false
        var error: MediaError?
    }

    /// The queue that runs the blocking file operations (fsync, rename), so they never hold a
    /// thread of the Swift concurrency pool.
    static let ioQueue = DispatchQueue(label: "messaging.media.io", attributes: .concurrent)

    /// Runs `work` on ``ioQueue`` and returns its result.
    static func onIOQueue<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            ioQueue.async { continuation.resume(returning: work()) }
        }
    }

    /// Removes temporary files of uploads that never finished (the process stopped during an
    /// upload) and were last written more than `seconds` ago. Call it at startup or from a
    /// periodic job, with `seconds` longer than any upload can take.
    ///
    /// - Returns: how many files were removed.
    @discardableResult
    public func purgeIncoming(olderThan seconds: Int) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: incomingDirectory.path)) ?? []
        let limit = Date().addingTimeInterval(-TimeInterval(seconds))
        var removed = 0
        for name in names {
            let path = incomingDirectory.appendingPathComponent(name).path
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                  modified < limit, unlink(path) == 0 else { continue }
            removed += 1
        }
        return removed
    }

    /// The object's bytes as an asynchronous sequence of chunks of at most `chunkSize`
    /// bytes, with its size for `Content-Length`. The file is opened now, so a later
    /// delete or replacement does not change what is read.
    ///
    /// - Throws: ``MediaError/Code/notFound``; ``MediaError/Code/storageFailed``.
    public func read(_ key: MediaObjectKey, chunkSize: Int = 64 * 1024) throws(MediaError) -> LocalMediaReader {
        let descriptor = Glibc.open(fileURL(for: key).path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT || errno == ENOTDIR {
                throw MediaError(code: .notFound, message: "no media object has the key '\(key)'")
            }
            throw Self.ioError("open '\(key)'")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw MediaError(code: .notFound, message: "no media object has the key '\(key)'")
        }
        return LocalMediaReader(file: OpenFile(descriptor), byteCount: Int64(info.st_size), chunkSize: max(1, chunkSize))
    }

    static func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < buffer.count {
            let result = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if result < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += result
        }
        return true
    }

    static func ioError(_ what: String) -> MediaError {
        MediaError(code: .storageFailed, message: "cannot \(what) in the media directory: \(String(cString: strerror(errno))); check free space and permissions")
    }
}

/// An open file, closed when the last reference goes.
///
/// Thread safety: the descriptor is only read by one iterator at a time (see ``LocalMediaReader``).
final class OpenFile: @unchecked Sendable {
    // @unchecked: an immutable descriptor; reads through it are serialized by the single iterator.
    let descriptor: Int32
    init(_ descriptor: Int32) { self.descriptor = descriptor }
    deinit { close(descriptor) }
}

/// The bytes of one stored object, read in chunks.
///
/// Iterate it once: every iterator reads on from the same file position.
///
/// Thread safety: `Sendable`; iterate from one task.
public struct LocalMediaReader: AsyncSequence, Sendable {
    /// A chunk of the file.
    public typealias Element = [UInt8]

    let file: OpenFile
    /// The object's size in bytes when it was opened.
    public let byteCount: Int64
    let chunkSize: Int

    /// Reads the next chunk; `nil` at the end of the file.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let file: OpenFile
        let chunkSize: Int

        public mutating func next() async throws -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: chunkSize)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(file.descriptor, $0.baseAddress!, chunkSize) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw LocalMediaStore.ioError("read a media object")
                }
                if count == 0 { return nil }
                buffer.removeLast(chunkSize - count)
                return buffer
            }
        }
    }

    /// An iterator reading on from the file's current position.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(file: file, chunkSize: chunkSize) }
}
