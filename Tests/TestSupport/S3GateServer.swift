import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `Tests/Interop/s3_gate.py` as a child process: moto's S3 on a free loopback port behind a
/// gate that checks every request's SigV4 signature and presigned expiry with botocore.
/// Started by the tests that need an S3-compatible server, stopped by its PID.
///
/// Thread safety: `start` once, `stop` once; `port` may be read from any task.
public final class S3GateServer: @unchecked Sendable {
    /// Why the server did not start.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    private let process = SpawnedProcess()
    /// The loopback port moto listens on.
    public let port: Int
    private let log: URL
    private let credentials: (access: String, secret: String, region: String, bucket: String)

    /// The package root, from this file's location (Tests/TestSupport/).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The interop venv's python (`MESSAGING_INTEROP_PYTHON`, or `.build/interop-venv`).
    public static func python() throws -> String {
        if let configured = ProcessInfo.processInfo.environment["MESSAGING_INTEROP_PYTHON"], !configured.isEmpty {
            return configured
        }
        let venv = packageRoot.appendingPathComponent(".build/interop-venv/bin/python3").path
        guard FileManager.default.isExecutableFile(atPath: venv) else {
            throw StartError(description: "the S3 tests need python with botocore and moto: run scripts/interop-venv.sh (or make test), or set MESSAGING_INTEROP_PYTHON")
        }
        return venv
    }

    /// Starts the gate with these credentials, region and bucket (created empty); waits at
    /// most 60 s for "listening PORT".
    public init(access: String, secret: String, region: String, bucket: String) throws {
        credentials = (access, secret, region, bucket)
        let python = try Self.python()
        log = FileManager.default.temporaryDirectory.appendingPathComponent("s3-gate-\(UUID()).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        let stdout = Pipe()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            Self.packageRoot.appendingPathComponent("Tests/Interop/s3_gate.py").path, access, secret, region, bucket,
        ]
        process.standardOutput = stdout
        process.standardError = logHandle
        try process.run()
        try logHandle.close()
        // Read "listening PORT" on another thread, waiting at most 60 s.
        let line = LineBox()
        let done = DispatchSemaphore(value: 0)
        let reader = stdout.fileHandleForReading
        Thread.detachNewThread {
            var bytes = [UInt8]()
            while true {
                let data = reader.readData(ofLength: 1)
                if data.isEmpty || data.first == 0x0A { break }
                bytes += data
            }
            line.set(String(decoding: bytes, as: UTF8.self))
            done.signal()
        }
        let ready = done.wait(timeout: .now() + 60) == .success
        let text = line.get()
        guard ready, text.hasPrefix("listening "), let port = Int(text.dropFirst("listening ".count)) else {
            let pid = process.processIdentifier
            if pid > 0, process.isRunning {
                kill(pid, SIGKILL)
                process.waitUntilExit()
            }
            let logText = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw StartError(description: "moto (Tests/Interop/s3_gate.py) did not start: '\(text)'\n\(logText.suffix(3000))")
        }
        self.port = port
    }

    /// Every object in the bucket with its bytes, read straight from moto by botocore's own
    /// client (`Tests/Interop/s3_objects.py`), not through any server under test.
    public func objects() throws -> [String: Data] {
        let (status, output, errors) = try SpawnedProcess.run(
            URL(fileURLWithPath: try Self.python()),
            [
                Self.packageRoot.appendingPathComponent("Tests/Interop/s3_objects.py").path, "http://127.0.0.1:\(port)",
                credentials.access, credentials.secret, credentials.region, credentials.bucket,
            ],
            input: Data())
        guard status == 0, let listing = try JSONSerialization.jsonObject(with: output) as? [String: String] else {
            throw StartError(description: "s3_objects.py failed (\(status)): \(String(decoding: errors.suffix(3000), as: UTF8.self))")
        }
        var objects: [String: Data] = [:]
        for (key, base64) in listing { objects[key] = Data(base64Encoded: base64) ?? Data() }
        return objects
    }

    /// Stops the child by its PID: SIGTERM, then SIGKILL after 5 s.
    public func stop() {
        let pid = process.processIdentifier
        guard pid > 0 else { return }
        if process.isRunning { kill(pid, SIGTERM) }
        for _ in 0..<250 where process.isRunning { usleep(20_000) }
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: log)
    }

    private final class LineBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value = ""
        func set(_ text: String) { lock.lock(); value = text; lock.unlock() }
        func get() -> String { lock.lock(); defer { lock.unlock() }; return value }
    }
}
