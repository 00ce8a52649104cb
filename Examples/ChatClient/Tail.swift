import ArgumentParser
import Foundation
import Logging
import MessagingClient
import MessagingCore
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

/// What `tail` does, on `MessagingClient`'s `RealtimeClient`: it connects, follows the
/// reconnect rule of `Documentation/Protocol.md` §10 (full-jitter backoff, reset once a
/// connection caught up), resumes from the last `seq` printed, drops duplicates and
/// acknowledges; this prints each event once and remembers how far it got.
struct Follower {
    let api: API
    let conversation: String
    var last: Int64
    let limit: Int?
    /// Opens encrypted messages (only touches the device keys when one arrives).
    let decryptor: MessageDecryptor
    var printed = 0

    mutating func run(maxRetries: Int?) async throws {
        guard let id = ConversationID(conversation) else { throw ClientError.usage("\(conversation) is not a conversation id.") }
        let api = api
        let client = RealtimeClient(
            transport: WebSocketClientTransport(url: api.realtimeURL, logger: Logger(label: "ChatClient")),
            configuration: RealtimeClient.Configuration(maxFailedConnections: maxRetries),
            token: { refresh in
                // A refresh that fails (login expired or revoked) ends tail with that error.
                if refresh { try await api.refresh() }
                guard let token = api.profile.accessToken else { throw ClientError.usage("Not logged in; run `ChatClient login` first.") }
                return token
            },
            logger: Logger(label: "ChatClient"))
        try await client.subscribe(id, after: last)
        let startedAfter = last
        let outcome: Result<Void, any Error> = await withTaskGroup(of: Result<Void, any Error>?.self) { group in
            group.addTask {
                do {
                    try await client.run()
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            defer { group.cancelAll() }
            for await update in client.updates {
                switch update {
                case .event(let event):
                    guard let json = JSON.parse(Array(event.json.text.utf8)) else { continue }
                    await decryptor.observe(json)
                    // One unbuffered write per event: piped output (`tail … | tee`) loses nothing
                    // when the client is stopped with Ctrl-C.
                    FileHandle.standardOutput.write(Data((await Self.describe(json, api: api, decryptor: decryptor) + "\n").utf8))
                    last = event.seq
                    printed += 1
                    // Remember how far we got at once: `read` and the next `tail` start here.
                    let seq = event.seq
                    try? api.update { $0.cursors[conversation] = seq }
                    if let limit, printed >= limit { return .success(()) }
                case .connected:
                    note("following \(conversation) from seq \(printed == 0 ? startedAfter : last) (caught up)")
                case .disconnected(let close):
                    note("connection ended\(close.map { ": \($0.code) \($0.reason)" } ?? ""); resuming after seq \(last)")
                case .subscriptionEnded(_, let error):
                    return .failure(ClientError.usage("Cannot follow the conversation: \(error.message) [\(error.serverCode ?? "?")]"))
                default:
                    continue
                }
            }
            // The updates ended: run() returned; its outcome says why.
            let ended: Result<Void, any Error>?? = await group.next()
            return (ended ?? nil) ?? .success(())
        }
        switch outcome {
        case .success:
            return
        case .failure(let error as RealtimeClientError) where error.code == .sessionEnded:
            throw ClientError.usage("\(error.message)")
        case .failure(let error as RealtimeClientError) where error.code == .notConnected:
            throw ClientError.unreachable("Gave up after \(maxRetries ?? 0) failed reconnects; the last seq seen is \(last).")
        case .failure(let error):
            throw error
        }
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

func note(_ text: String) {
    FileHandle.standardError.write(Data("-- \(text)\n".utf8))
}
