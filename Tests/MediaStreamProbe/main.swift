// A child process for the media memory test (LocalMediaStoreTests): streams SIZE MiB into a
// LocalMediaStore in 64 KiB chunks, reads it back in 256 KiB chunks, and reports its own
// resident memory from /proc/self/status, so the measure is not disturbed by the other tests
// running in the test process.
//
//   MediaStreamProbe DIRECTORY SIZE_MIB
//
// Prints one line: "bytes=N rss_before=B rss_peak=P" (bytes; rss_peak is VmHWM, the
// process's high-water mark); exit status 0 on success.
import Foundation
import MessagingMedia

func status(_ field: String) -> Int64 {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        return (line.split(separator: " ").dropFirst().first.flatMap { Int64($0) } ?? -1) * 1024
    }
    return -1
}

struct Chunks: AsyncSequence {
    typealias Element = [UInt8]
    let count: Int
    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: Int
        mutating func next() async -> [UInt8]? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            return [UInt8](repeating: UInt8(truncatingIfNeeded: remaining), count: 64 * 1024)
        }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: count) }
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let mebibytes = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: MediaStreamProbe DIRECTORY SIZE_MIB\n".utf8))
    exit(2)
}
let store = try LocalMediaStore(
    directory: URL(fileURLWithPath: arguments[1]), baseURL: URL(string: "http://127.0.0.1/media")!,
    signingKey: [UInt8](repeating: 3, count: 32))
let key = try MediaObjectKey("probe/large.bin")
let size = Int64(mebibytes) * 1024 * 1024
let before = status("VmRSS")
let written = try await store.write(key, from: Chunks(count: mebibytes * 16), sizeLimit: size, expectedByteCount: size)
var read: Int64 = 0
for try await chunk in try store.read(key, chunkSize: 256 * 1024) { read += Int64(chunk.count) }
guard written == size, read == size else {
    FileHandle.standardError.write(Data("wrote \(written), read \(read), expected \(size)\n".utf8))
    exit(1)
}
print("bytes=\(size) rss_before=\(before) rss_peak=\(status("VmHWM"))")
