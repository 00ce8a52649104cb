import ArgumentParser
import Foundation
import Logging
import MessagingTransport
import MessagingWebSocket
import MessagingWire
import Synchronization

/// `tail`: follows a conversation live over the realtime protocol, resuming from the last
/// `seq` it printed after any disconnect (server restart, network loss, "resync required").
struct Tail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a conversation's events live; survives server restarts (resumes from the last seq).")
    @OptionGroup var options: CommonOptions
    @Argument(help: "Conversation id.") var conversation: String
    @Option(help: "Start after this seq (default: where the last tail stopped; 0 replays everything).") var after: Int64?
    @Option(help: "Stop after printing this many events (default: run until interrupted).") var count: Int?
    @Option(help: "Give up after this many failed reconnects in a row (default: never).") var maxRetries: Int?

    func run() async throws {
        try await runReporting {
            let api = try options.api()
            let conversation = try conversationID(conversation)
            var follower = Follower(
                api: api, conversation: conversation, last: after ?? api.profile.cursors[conversation] ?? 0, limit: count,
                decryptor: MessageDecryptor(api: api, conversation: conversation))
            try await follower.run(maxRetries: maxRetries)
        }
    }
}

/// The reconnect loop of `tail` (the client rule of `Documentation/Protocol.md` §10,
/// ``MessagingTransport/ReconnectBackoff``): full-jitter backoff between attempts (0.25 s
/// doubling to 15 s), reset once a connection was ready and its `subscribe` answered (caught
/// up); resume from the last `seq` seen.
struct Follower {
    let api: API
    let conversation: String
    var last: Int64
    let limit: Int?
    /// Opens encrypted messages (only touches the device keys when one arrives).
    let decryptor: MessageDecryptor
    var printed = 0

    enum Ending: Sendable {
        case done
        case reconnect(afterMilliseconds: Int64?, close: CloseCode? = nil)
        case refreshToken
        case fatal(String)
    }

    mutating func run(maxRetries: Int?) async throws {
        var failures = 0
        var backoff = ReconnectBackoff()
        while true {
            let state = SessionState(last: last, printed: printed)
            let ending = await connectOnce(state: state)
            let progress = state.snapshot()
            if progress.last != last || progress.ready {
                failures = 0
                backoff.reset()
            }
            last = progress.last
            printed = progress.printed
            try api.update { $0.cursors[conversation] = last }
            switch ending {
            case .done:
                return
            case .fatal(let message):
                throw ClientError.usage(message)
            case .refreshToken:
                // A refresh that fails (login expired or revoked) ends tail with that error.
                failures += 1
                if failures > 3 { throw ClientError.usage("The server keeps refusing fresh access tokens; log in again.") }
                try await api.refresh()
                continue
            case .reconnect(let retryAfter, let close):
                failures += 1
                if let maxRetries, failures > maxRetries {
                    throw ClientError.unreachable("Gave up after \(maxRetries) failed reconnects; the last seq seen is \(last).")
                }
                let delay = backoff.nextDelay(closeCode: close, retryAfterMilliseconds: retryAfter)
                note("reconnecting in \(Int64(delay / .milliseconds(1))) ms (resuming after seq \(last))")
                try await Task.sleep(for: delay)
            }
        }
    }

    func connectOnce(state: SessionState) async -> Ending {
        let client = WebSocketTransportClient(
            url: api.realtimeURL, bearerToken: api.profile.accessToken, logger: Logger(label: "ChatClient"))
        let conversation = conversation
        let api = api
        let limit = limit
        let decryptor = decryptor
        do {
            let outcome = try await client.withConnection { connection -> Ending in
                try await Self.follow(
                    connection, conversation: conversation, state: state, api: api, limit: limit, decryptor: decryptor)
            }
            if case .done = outcome.value { return .done }
            guard let close = outcome.close else { return outcome.value }
            switch close.code {
            case .unauthorized: return .refreshToken
            case .forbidden: return .fatal("The session was revoked (\(close.reason)); log in again.")
            case .resyncRequired:
                note("server asked to resync (\(close.reason))")
                return .reconnect(afterMilliseconds: nil, close: close.code)
            case .goingAway: note("server going away (\(close.reason))")
            case .rateLimited:
                let retry = close.reason.split(separator: "=").last.flatMap { Int64($0) }
                return .reconnect(afterMilliseconds: retry, close: close.code)
            case .tooManyConnections: note("too many connections (\(close.reason))")
            default: note("connection closed: \(close.code) \(close.reason)")
            }
            return .reconnect(afterMilliseconds: nil, close: close.code)
        } catch {
            note("cannot connect: \(error)")
            return .reconnect(afterMilliseconds: nil)
        }
    }

    /// One connection: wait for `ready`, subscribe from the last seq, print events in
    /// order, acknowledge them, answer pings. Returns how it ended.
    static func follow(
        _ connection: WebSocketConnection, conversation: String, state: SessionState, api: API, limit: Int?,
        decryptor: MessageDecryptor
    ) async throws -> Ending {
        guard let first = try await connection.receive(), let ready = JSON.parse(first.bytes) else {
            return .reconnect(afterMilliseconds: nil)
        }
        if ready["type"]?.string == "error" {
            if ready["code"]?.string == "unauthorized" { return .refreshToken }
            return .fatal("The server refused the connection: \(ready["message"]?.string ?? "?")")
        }
        guard ready["type"]?.string == "ready" else { return .reconnect(afterMilliseconds: nil) }
        let after = state.snapshot().last
        try await connection.write(
            .text(Array((["type": "subscribe", "id": "sub", "conversation": .string(conversation), "after": .number(Double(after))] as JSON).data)))
        while let frame = try await connection.receive() {
            guard let json = JSON.parse(frame.bytes), let type = json["type"]?.string else { continue }
            switch type {
            case "ping":
                try await connection.write(.text(Array((["type": "pong"] as JSON).data)))
            case "ok" where json["id"]?.string == "sub":
                // Ready and caught up: the reconnect backoff starts over (§10).
                state.markReady()
                note("following \(conversation) from seq \(after) (caught up to seq \(json["result"]?["seq"]?.int ?? after))")
            case "error":
                let code = json["code"]?.string ?? "?"
                let message = json["message"]?.string ?? ""
                if json["id"]?.string == "sub" { return .fatal("Cannot follow the conversation: \(message) [\(code)]") }
                note("error: \(message) [\(code)]")
            case "event":
                guard let event = json["event"], event["conversation"]?.string?.lowercased() == conversation,
                    let seq = event["seq"]?.int
                else { continue }
                let last = state.snapshot().last
                if seq <= last { continue }  // at least once: a duplicate
                if seq > last + 1 {
                    note("GAP: expected seq \(last + 1), got \(seq); resubscribing from \(last)")
                    await connection.close(.normal, reason: "gap; resubscribing")
                    return .reconnect(afterMilliseconds: 0)
                }
                await decryptor.observe(event)
                // One unbuffered write per event: piped output (`tail … | tee`) loses nothing
                // when the client is stopped with Ctrl-C.
                FileHandle.standardOutput.write(Data((await describe(event, api: api, decryptor: decryptor) + "\n").utf8))
                state.advance(to: seq)
                // Remember how far we got at once: `read` and the next `tail` start here.
                try? api.update { $0.cursors[conversation] = seq }
                try await connection.write(
                    .text(Array((["type": "ack", "conversation": .string(conversation), "seq": .number(Double(seq))] as JSON).data)))
                if let limit, state.snapshot().printed >= limit {
                    await connection.close(.normal, reason: "done")
                    return .done
                }
            default:
                continue
            }
        }
        return .reconnect(afterMilliseconds: nil)
    }

    static func describe(_ event: JSON, api: API, decryptor: MessageDecryptor) async -> String {
        let kind = event["kind"]?.string ?? "event"
        let seq = event["seq"]?.int ?? 0
        if let message = event["message"], message["seq"] != nil || message["id"] != nil {
            var line = Format.message(
                message, sender: await api.handle(of: message["sender"]?.string ?? ""), text: await decryptor.text(of: message))
            if message["seq"]?.int != seq { line = "[\(seq)] \(kind): " + line }
            return line
        }
        let actor = await api.handle(of: event["actor"]?.string ?? "")
        var details: [String] = []
        if let user = event["user"]?.string { details.append("user=\(await api.handle(of: user))") }
        for key in ["role", "emoji", "title", "device", "senderDevice"] { if let value = event[key]?.string { details.append("\(key)=\(value)") } }
        // key.distributed: {epoch, senderDevice, devices, rotated}
        if let epoch = event["epoch"]?.int { details.append("epoch=\(epoch)") }
        if let devices = event["devices"]?.array { details.append("devices=\(devices.count)") }
        if let rotated = event["rotated"]?.bool { details.append("rotated=\(rotated)") }
        return "[\(seq)] \(kind) by \(actor) \(details.joined(separator: " "))"
    }
}

/// Progress shared between the connection's task and the reconnect loop.
final class SessionState: Sendable {
    private let state: Mutex<(last: Int64, printed: Int, ready: Bool)>
    init(last: Int64, printed: Int) { state = Mutex((last, printed, false)) }
    func snapshot() -> (last: Int64, printed: Int, ready: Bool) { state.withLock { $0 } }
    func advance(to seq: Int64) { state.withLock { $0.last = seq; $0.printed += 1 } }
    func markReady() { state.withLock { $0.ready = true } }
}

func note(_ text: String) {
    FileHandle.standardError.write(Data("-- \(text)\n".utf8))
}
