import ArgumentParser
import Foundation

/// A command-line chat client built only on the public products (`MessagingWebSocket`,
/// `MessagingTransport`) and the server's documented HTTP API and realtime protocol.
@main
struct ChatClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ChatClient",
        abstract: "Chat from the terminal with a swift-messaging ChatServer.",
        discussion: """
            Tokens and the last seen seq of each conversation are kept in
            ~/.swift-messaging/<profile>.json (0600); use --profile to be several users
            on one machine. Start a server with `make run`.

            End-to-end encryption (`create --e2ee`): login makes this device's keys in
            <profile>.device (0600; password-protected when CHAT_DEVICE_PASSWORD is set
            when they are made, and then needed to use them) and publishes its bundle;
            <profile>.keys.json (0600) keeps the key envelopes and the pinned bundles of
            other devices. send, tail and history encrypt and decrypt transparently.
            """,
        subcommands: [
            Register.self, Login.self, Create.self, Invite.self, Send.self, Download.self, Tail.self, History.self, Search.self,
            Read.self, Device.self, Devices.self,
        ]
    )
}

/// Options every command takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Profile: which local login to use (env CHAT_PROFILE).")
    var profile: String = ProcessInfo.processInfo.environment["CHAT_PROFILE"] ?? "default"

    @Option(name: .long, help: "Server URL, remembered by login (env CHAT_SERVER; default http://127.0.0.1:8080).")
    var server: String?

    /// The API over the stored profile (a fresh one when none exists).
    func api() throws -> API {
        let environment = ProcessInfo.processInfo.environment["CHAT_SERVER"]
        var profile = try Profile.load(named: self.profile) ?? Profile(server: "http://127.0.0.1:8080")
        if let override = server ?? environment, !override.isEmpty {
            if override != profile.server {
                // Tokens belong to one server.
                profile = Profile(server: override)
            }
        }
        return try API(profile: profile, profileName: self.profile)
    }
}

/// Runs a command body, printing errors as one clear line and exiting with a meaningful code.
func runReporting(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ClientError {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(error.exitCode)
    }
}

func readPassword(_ given: String?, prompt: String) throws -> String {
    if let given, !given.isEmpty { return given }
    if let environment = ProcessInfo.processInfo.environment["CHAT_PASSWORD"], !environment.isEmpty { return environment }
    guard isatty(STDIN_FILENO) != 0, let pointer = getpass(prompt) else {
        throw ClientError.usage("No password: pass --password, set CHAT_PASSWORD, or run in a terminal to be asked.")
    }
    return String(cString: pointer)
}

func conversationID(_ raw: String) throws -> String {
    guard UUID(uuidString: raw) != nil else {
        throw ClientError.usage("\"\(raw)\" is not a conversation id; `ChatClient create` prints one (a UUID).")
    }
    return raw.lowercased()
}

struct Register: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create an account, then log in as it.")
    @OptionGroup var options: CommonOptions
    @Argument(help: "The handle (user name) to register.") var handle: String
    @Option(help: "Display name (default: the handle).") var displayName: String?
    @Option(help: "Password (or CHAT_PASSWORD, or asked for).") var password: String?

    func run() async throws {
        try await runReporting {
            let api = try options.api()
            let password = try readPassword(password, prompt: "Password for \(handle): ")
            let answer = try await api.call(
                "POST", "/v1/auth/register",
                body: ["handle": .string(handle), "password": .string(password), "displayName": .string(displayName ?? handle)],
                authenticated: false)
            let id = answer["user"]?["id"]?.string ?? "?"
            print("registered \(handle) (user \(id))")
            try await login(api: api, handle: handle, password: password, profile: options.profile)
        }
    }
}

func login(api: API, handle: String, password: String, profile: String) async throws {
    let answer = try await api.call(
        "POST", "/v1/auth/login",
        body: ["handle": .string(handle), "password": .string(password), "deviceName": "ChatClient"], authenticated: false)
    // Device keys belong to one user: refuse before storing another user's tokens here.
    if let user = answer["user"]?["id"]?.string { try DeviceKeys.checkOwner(profile: profile, userID: user) }
    try api.storeTokens(answer)
    try api.update { $0.handle = handle }
    print("logged in as \(handle) on \(api.base) (profile \(profile))")
    try await DeviceKeys.prepareAfterLogin(api: api)
}

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Log in and store the tokens in the profile (0600).")
    @OptionGroup var options: CommonOptions
    @Argument(help: "Your handle.") var handle: String
    @Option(help: "Password (or CHAT_PASSWORD, or asked for).") var password: String?

    func run() async throws {
        try await runReporting {
            let api = try options.api()
            try await login(api: api, handle: handle, password: try readPassword(password, prompt: "Password for \(handle): "), profile: options.profile)
        }
    }
}

func userID(of handle: String, api: API) async throws -> String {
    let answer = try await api.call("GET", "/v1/users/\(handle.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? handle)")
    guard let id = answer["user"]?["id"]?.string else { throw ClientError.usage("No user \"\(handle)\".") }
    return id
}

struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start a conversation with other users; prints its id.")
    @OptionGroup var options: CommonOptions
    @Argument(help: "Handles of the other members.") var members: [String] = []
    @Option(help: "Title (makes a group conversation).") var title: String?
    @Flag(help: "A group even with one other member.") var group = false
    @Flag(name: .customLong("e2ee"), help: "End-to-end encrypted: the server stores and relays messages it cannot read.") var e2ee = false

    func run() async throws {
        try await runReporting {
            let api = try options.api()
            var ids: [JSON] = []
            for handle in members { ids.append(.string(try await userID(of: handle, api: api))) }
            let kind = (group || title != nil || members.count != 1) ? "group" : "direct"
            var body: [String: JSON] = ["kind": .string(kind), "members": .array(ids)]
            if let title { body["title"] = .string(title) }
            if e2ee { body["encrypted"] = true }
            let answer = try await api.call("POST", "/v1/conversations", body: .object(body))
            guard let id = answer["conversation"]?["id"]?.string else {
                throw ClientError.unreachable("The server's answer has no conversation id.")
            }
            print(id)
            if e2ee {
                guard answer["conversation"]?["encrypted"]?.bool == true else {
                    throw ClientError.unreachable(
                        "The server created \(id) as a plain conversation (it does not support end-to-end encryption); do not send secrets there.")
                }
                note("end-to-end encrypted: messages are sealed on the members' devices; the server cannot read them")
            }
        }
    }
}

struct Invite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add a user to a conversation.")
    @OptionGroup var options: CommonOptions
    @Argument(help: "Conversation id.") var conversation: String
    @Argument(help: "Handle of the user to add.") var handle: String
    @Option(help: "Role: member or admin.") var role: String = "member"

    func run() async throws {
        try await runReporting {
            let api = try options.api()
            let conversation = try conversationID(conversation)
            let user = try await userID(of: handle, api: api)
            try await api.call(
                "POST", "/v1/conversations/\(conversation)/members", body: ["user": .string(user), "role": .string(role)])
            print("added \(handle) to \(conversation) as \(role)")
        }
    }
}

struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send a message.")
    @OptionGroup var options: CommonOptions
    @Argument(help: "Conversation id.") var conversation: String
    @Argument(help: "The text (several words are joined with spaces; optional with --file).") var text: [String] = []
    @Option(help: "Client message id: repeat it to retry a send safely (default: a new UUID).") var clientId: String?
    @Option(help: "A file to attach: uploaded first (encrypted in end-to-end encrypted conversations), with a progress line for large files.")
    var file: String?

    func run() async throws {
        try await runReporting {
            let api = try options.api()
            let conversation = try conversationID(conversation)
            let body = text.joined(separator: " ")
            guard !body.isEmpty || file != nil else {
                throw ClientError.usage("Nothing to send: give the text after the conversation id, or --file.")
            }
            let clientMessageID = clientId ?? UUID().uuidString.lowercased()
            let answer: JSON
            if let file {
                let url = URL(fileURLWithPath: file)
                _ = try Attachments.size(of: url)
                if try await isEncrypted(conversation, api: api) {
                    let session = try await E2EESession.open(api: api)
                    answer = try await session.send(file: url, clientMessageID: clientMessageID, to: conversation)
                    // No container format (E2EE.md §6.2): a caption is a second message.
                    if !body.isEmpty { _ = try await session.send(body, clientMessageID: clientMessageID + "-text", to: conversation) }
                } else {
                    let id = try await Attachments.upload(
                        url, as: url.lastPathComponent, contentType: Attachments.contentType(of: file), in: conversation, api: api)
                    answer = try await api.call(
                        "POST", "/v1/conversations/\(conversation)/messages",
                        body: [
                            "clientMessageId": .string(clientMessageID), "body": .string(body.isEmpty ? url.lastPathComponent : body),
                            "attachments": .array([.string(id)]),
                        ])
                }
                let id = answer["message"]?["id"]?.string ?? "?"
                print("message \(id)")
            } else if try await isEncrypted(conversation, api: api) {
                answer = try await E2EESession.open(api: api).send(body, clientMessageID: clientMessageID, to: conversation)
            } else {
                answer = try await api.call(
                    "POST", "/v1/conversations/\(conversation)/messages",
                    body: ["clientMessageId": .string(clientMessageID), "body": .string(body)])
            }
            let seq = answer["message"]?["seq"]?.int.map(String.init) ?? "?"
            let duplicate = answer["duplicate"]?.bool == true
            print(duplicate ? "already sent (seq \(seq)); nothing new stored" : "sent (seq \(seq))")
        }
    }
}

struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a conversation's messages, oldest first.")
    @OptionGroup var options: CommonOptions
    @Argument(help: "Conversation id.") var conversation: String
    @Option(help: "How many (1–200).") var limit: Int = 50
    @Option(help: "Only messages before this seq.") var before: Int64?

    func run() async throws {
        try await runReporting {
            guard (1...200).contains(limit) else { throw ClientError.usage("--limit must be 1–200.") }
            let api = try options.api()
            let conversation = try conversationID(conversation)
            var query = ["limit": "\(limit)"]
            if let before { query["before"] = "\(before)" }
            let answer = try await api.call("GET", "/v1/conversations/\(conversation)/messages", query: query)
            let messages = (answer["messages"]?.array ?? []).sorted { ($0["seq"]?.int ?? 0) < ($1["seq"]?.int ?? 0) }
            if messages.isEmpty { print("(no messages)") }
            let decryptor = MessageDecryptor(api: api, conversation: conversation)
            for message in messages {
                let sender = await api.handle(of: message["sender"]?.string ?? "")
                print(Format.message(message, sender: sender, text: await decryptor.text(of: message)))
            }
            if answer["hasMore"]?.bool == true, let first = messages.first?["seq"]?.int {
                print("… older messages: --before \(first)")
            }
        }
    }
}

struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Search the messages of your conversations.")
    @OptionGroup var options: CommonOptions
    @Argument(help: "Words to find.") var query: [String]
    @Option(help: "Only in this conversation.") var conversation: String?
    @Option(help: "How many (1–100).") var limit: Int = 20

    func run() async throws {
        try await runReporting {
            let api = try options.api()
            let text = query.joined(separator: " ")
            guard !text.isEmpty else { throw ClientError.usage("Give the words to search for.") }
            var parameters = ["q": text, "limit": "\(limit)"]
            if let conversation { parameters["conversation"] = try conversationID(conversation) }
            let answer = try await api.call("GET", "/v1/search", query: parameters)
            let results = answer["results"]?.array ?? []
            if results.isEmpty { print("(no matches)") }
            if let excluded = answer["excludedEncryptedConversations"]?.int, excluded > 0 {
                note("\(excluded) end-to-end encrypted conversation(s) not searched: the server cannot read them")
            }
            for result in results {
                let message = result["message"] ?? result
                let conversation = message["conversation"]?.string ?? "?"
                print("\(conversation)  \(Format.message(message, sender: await api.handle(of: message["sender"]?.string ?? "")))")
            }
        }
    }
}

struct Read: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Mark a conversation read up to a seq (default: the last one tail saw).")
    @OptionGroup var options: CommonOptions
    @Argument(help: "Conversation id.") var conversation: String
    @Option(help: "Read up to this seq.") var seq: Int64?

    func run() async throws {
        try await runReporting {
            let api = try options.api()
            let conversation = try conversationID(conversation)
            guard let seq = seq ?? api.profile.cursors[conversation] else {
                throw ClientError.usage("No seq known for this conversation yet: pass --seq N (or run tail first).")
            }
            let answer = try await api.call("POST", "/v1/conversations/\(conversation)/read", body: ["seq": .number(Double(seq))])
            print("read up to seq \(answer["readSeq"]?.int ?? seq)")
        }
    }
}

/// How messages and events are printed.
enum Format {
    /// One line: `[seq] time sender: text`; `decrypted` is the text of an encrypted message
    /// (or why it cannot be decrypted).
    static func message(_ message: JSON, sender who: String, text decrypted: String? = nil) -> String {
        let seq = message["seq"]?.int.map { String($0) } ?? "?"
        let time = message["createdAt"]?.int.map(clock) ?? ""
        let text: String
        if message["deletedAt"].map({ $0 != .null }) == true {
            text = "(deleted)"
        } else if let decrypted {
            text = decrypted
        } else if let body = message["text"]?.string ?? message["body"]?.string ?? message["body"]?["text"]?.string {
            text = body + (message["editedAt"].map({ $0 != .null }) == true ? " (edited)" : "")
        } else if message["ciphertext"] != nil || message["body"]?["ciphertext"] != nil {
            text = "(encrypted)"
        } else {
            text = "(no text)"
        }
        return "[\(seq)] \(time) \(who): \(text)"
    }

    static func clock(_ milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
