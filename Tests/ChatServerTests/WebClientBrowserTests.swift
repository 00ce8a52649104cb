import TestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The web client served at `/` in a real headless Chromium (Debian's `chromium`, driven by
/// Selenium through `chromium-driver`; `make test` installs both and the interop venv has
/// Selenium): `Tests/Interop/web_client.py` spawns the built `ChatServer` binary (so it can
/// restart it on the same port and database) and two browser profiles, one per user.
/// Each scenario is one test; the screenshot of a conversation goes to
/// `.build/artifacts/web-client/web-client.png` (and the pages' screenshots when a scenario fails).
///
/// Run on their own in `make test` (two browsers and a server on two cores are no company
/// for the in-process server suites' timeouts).
@Suite("Web client in headless Chromium", .serialized, .timeLimit(.minutes(3)))
struct WebClientBrowserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let artifacts = root.appendingPathComponent(".build/artifacts/web-client")

    /// Runs one scenario of `web_client.py` (at most `limit`; then SIGTERM, which makes it
    /// close its browsers and stop its server, and SIGKILL 15 s later) and returns its output.
    static func run(_ scenario: String, limit: Duration = .seconds(100)) async throws -> String {
        guard let python = OpenAPITests.python() else {
            Issue.record("this test needs the interop venv (Selenium): run make test or scripts/interop-venv.sh, or set MESSAGING_INTEROP_PYTHON")
            throw TestFailure.unexpected("no interop python")
        }
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            Issue.record("\(tool) is missing: run make test, or bash scripts/ensure-packages.sh chromium chromium-driver")
            throw TestFailure.unexpected("no \(tool)")
        }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("web-client-\(scenario)-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let output = try FileHandle(forWritingTo: log)
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            root.appendingPathComponent("Tests/Interop/web_client.py").path, try CommandLineTests.executable().path, scenario,
            artifacts.path,
        ]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try? output.close()
        let deadline = ContinuousClock.now.advanced(by: limit)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        let timedOut = process.isRunning
        if timedOut {
            kill(process.processIdentifier, SIGTERM)
            let grace = ContinuousClock.now.advanced(by: .seconds(15))
            while process.isRunning, ContinuousClock.now < grace { try await Task.sleep(for: .milliseconds(200)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(!timedOut, "web_client.py \(scenario) did not finish within \(limit):\n\(text)")
        #expect(process.terminationStatus == 0, "web_client.py \(scenario) failed:\n\(text)")
        #expect(text.contains("ok \(scenario) ("), "web_client.py \(scenario) did not report success:\n\(text)")
        return text
    }

    @Test("two browsers register, start a conversation and exchange messages live: unread count, read receipt, presence, typing, a reaction, an attachment up and down; a screenshot is saved")
    func liveConversation() async throws {
        _ = try await Self.run("live")
        let screenshot = Self.artifacts.appendingPathComponent("web-client.png")
        let size = (try FileManager.default.attributesOfItem(atPath: screenshot.path)[.size] as? Int) ?? 0
        #expect(size > 10_000, "the screenshot \(screenshot.path) is missing or empty")
    }

    @Test("message bodies full of HTML and script show verbatim as text and run nothing (live and after a reload)")
    func htmlIsText() async throws {
        _ = try await Self.run("xss")
    }

    @Test("a reload keeps the session and the history; scrolling up loads the older pages by keyset, without duplicates")
    func reloadResumesHistory() async throws {
        _ = try await Self.run("reload")
    }

    @Test("a ChatServer restart: both pages reconnect and resume; a message written while it was down is sent and stored once; nothing is lost or shown twice")
    func restartLosesNothing() async throws {
        _ = try await Self.run("restart")
    }

    @Test("two tabs of one session reloading at the same moment both stay signed in (their refreshes never present one refresh token twice)")
    func tabsRefreshTogether() async throws {
        _ = try await Self.run("tabs")
    }

    @Test("with WebSocket blocked (the page's HTTP proxy refuses CONNECT and upgrades) it falls back to Server-Sent Events and chats with a WebSocket page")
    func serverSentEventsFallback() async throws {
        _ = try await Self.run("sse")
    }
}
