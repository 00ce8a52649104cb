import Foundation

/// Files only their owner can read or write (0600) in a directory only its owner can list
/// (0700): the profile, the device keys and the keyring.
enum PrivateFile {
    /// Writes `data` to `url` without ever leaving a half-written or world-readable file:
    /// a temporary file is created 0600 (`open` with `O_EXCL` and the mode, so it is never
    /// readable by others, not even for a moment), flushed, then renamed over `url`
    /// (`replacing`) or hard-linked to it (not `replacing`: fails when `url` exists).
    ///
    /// Returns false only when `replacing` is false and `url` already exists.
    @discardableResult
    static func save(_ data: Data, to url: URL, replacing: Bool = true) throws -> Bool {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
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
        if replacing {
            if rename(temporary.path, url.path) != 0 {
                let reason = String(cString: strerror(errno))
                unlink(temporary.path)
                throw ClientError.usage("Cannot save \(url.path): \(reason).")
            }
            return true
        }
        defer { unlink(temporary.path) }
        if link(temporary.path, url.path) != 0 {
            if errno == EEXIST { return false }
            throw ClientError.usage("Cannot save \(url.path): \(String(cString: strerror(errno))).")
        }
        return true
    }
}
