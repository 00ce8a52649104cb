import Foundation
import MessagingCore
import Synchronization
import TestSupport
import Testing
@testable import MessagingMedia

enum MediaPaths {
    /// The package root, found from this file's location (Tests/MessagingMediaTests/).
    static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let interop = root.appendingPathComponent("Tests/Interop")

    /// The interop venv's python (`MESSAGING_INTEROP_PYTHON`, or `.build/interop-venv`).
    static func python() throws -> String {
        if let configured = ProcessInfo.processInfo.environment["MESSAGING_INTEROP_PYTHON"], !configured.isEmpty {
            return configured
        }
        let venv = root.appendingPathComponent(".build/interop-venv/bin/python3").path
        guard FileManager.default.isExecutableFile(atPath: venv) else {
            throw TestFailure("the media interop tests need python with botocore and moto: run scripts/interop-venv.sh (or make test), or set MESSAGING_INTEROP_PYTHON")
        }
        return venv
    }

    /// An executable SwiftPM builds beside the test bundle (`swift build --build-tests`).
    static func builtExecutable(_ name: String) throws -> URL {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw TestFailure("\(name) was not found next to \(executable.path); build with `swift build --build-tests` (make test does)")
    }

    static func temporaryDirectory(_ label: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("media-\(label)-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A wall clock the test sets.
final class ManualClock: WallClock, Sendable {
    private let milliseconds: Mutex<Int64>
    init(_ date: Date) { milliseconds = Mutex(Int64(date.timeIntervalSince1970 * 1000)) }
    func now() -> Timestamp { Timestamp(millisecondsSince1970: milliseconds.withLock { $0 }) }
    func advance(seconds: Int64) { milliseconds.withLock { $0 += seconds * 1000 } }
}

/// `count` chunks of `size` bytes, each made when asked for.
struct GeneratedChunks: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let count: Int
    let size: Int
    var byte: UInt8 = 0x61

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: Int
        let size: Int
        let byte: UInt8
        mutating func next() async -> [UInt8]? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            return [UInt8](repeating: byte, count: size)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: count, size: size, byte: byte) }
}

/// A fixed list of chunks as an asynchronous sequence.
struct ChunkList: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let chunks: [[UInt8]]

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<[UInt8]>
        mutating func next() async -> [UInt8]? { remaining.popFirst() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: chunks[...]) }
}

extension Array where Element == [UInt8] {
    var async: ChunkList { ChunkList(chunks: self) }
}

/// A counter or maximum shared with a closure.
final class SharedValue: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64
    init(_ value: Int64) { self.value = value }
    func get() -> Int64 { lock.lock(); defer { lock.unlock() }; return value }
    func update(_ change: (inout Int64) -> Void) { lock.lock(); change(&value); lock.unlock() }
}
