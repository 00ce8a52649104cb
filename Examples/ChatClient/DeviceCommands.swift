import ArgumentParser
import Foundation
import MessagingE2EE

/// Whether a conversation is end-to-end encrypted (`GET /v1/conversations/{id}` →
/// `conversation.encrypted`; fixed at creation).
func isEncrypted(_ conversation: String, api: API) async throws -> Bool {
    let answer = try await api.call("GET", "/v1/conversations/\(conversation)")
    return answer["conversation"]?["encrypted"]?.bool == true
}

/// `device`: this profile's device id and fingerprint; `--publish` sends its bundle again.
struct Device: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show this profile's device (id, fingerprint) for end-to-end encryption.",
        discussion: """
            Compare the fingerprint with what other members see (`ChatClient devices list`)
            to make sure the server did not substitute keys. The keys are made at login; set
            CHAT_DEVICE_PASSWORD when they are made to protect them with a password.
            """)
    @OptionGroup var options: CommonOptions
    @Flag(help: "Publish the device's bundle to the server (again).") var publish = false

    func run() async throws {
        try await runReporting {
            let api = try options.api()
            guard let userID = api.profile.userID else {
                throw ClientError.usage("Not logged in: run `ChatClient login <handle> --profile \(options.profile)` first.")
            }
            try DeviceKeys.checkOwner(profile: options.profile, userID: userID)
            let path = try DeviceKeys.url(profile: options.profile).path
            guard let file = try DeviceKeys.read(profile: options.profile) else {
                throw ClientError.usage("Profile \(options.profile) has no device keys yet: run `ChatClient login <handle> --profile \(options.profile)`.")
            }
            let bundle: DeviceBundle
            do {
                bundle = try DeviceBundle(textEncoded: file.bundle)
            } catch {
                throw ClientError.usage("The device key file \(path) is damaged (\(error)).")
            }
            print("device \(file.deviceId)")
            print("user \(file.userId)")
            print("fingerprint \(bundle.fingerprint)")
            print("keys \(path) (\(file.protection == "password" ? "password-protected" : "not password-protected"))")
            if publish {
                try await DeviceKeys.publish(api: api, bundle: file.bundle)
                print("published")
            }
        }
    }
}

/// `devices list|remove`.
struct Devices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the devices of an encrypted conversation, or remove one of your devices.",
        subcommands: [List.self, Remove.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The devices of an encrypted conversation: id, owner, fingerprint, key, trust.")
        @OptionGroup var options: CommonOptions
        @Argument(help: "Conversation id.") var conversation: String

        func run() async throws {
            try await runReporting {
                let api = try options.api()
                let conversation = try conversationID(conversation)
                let session = try await E2EESession.open(api: api)
                let answer = try await api.call("GET", "/v1/conversations/\(conversation)/devices")
                print("key epoch \(answer["keyEpoch"]?.int ?? 0) (required at least \(answer["requiredEpoch"]?.int ?? 1))")
                for entry in answer["devices"]?.array ?? [] {
                    let id = entry["id"]?.string ?? "?"
                    let user = entry["user"]?.string ?? ""
                    var line = "\(id)  \(await api.handle(of: user))"
                    switch await session.verify(device: id, user: user, bundle: entry["bundle"]?.string ?? "") {
                    case .trusted(let bundle): line += "  \(bundle.fingerprint)"
                    case .refused(let reason): line += "  NOT TRUSTED: \(reason)"
                    }
                    line += entry["hasKey"]?.bool == true ? "  has key" : "  no key"
                    if id.lowercased() == session.device { line += "  (this device)" }
                    print(line)
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove one of your devices: it gets no key of any later epoch.",
            discussion: """
                Encrypted conversations it was in need a new key epoch, which the next send
                starts. Removing this profile's own device retires its key file (renamed to
                <profile>.device.removed-<time>); the next login makes a new device.
                """)
        @OptionGroup var options: CommonOptions
        @Argument(help: "Device id (see `ChatClient device` or `ChatClient devices list`).") var device: String

        func run() async throws {
            try await runReporting {
                guard let id = UUID(uuidString: device)?.uuidString.lowercased() else {
                    throw ClientError.usage("\"\(device)\" is not a device id (a UUID).")
                }
                let api = try options.api()
                try await api.call("DELETE", "/v1/devices/\(id)")
                print("removed device \(id)")
                if let file = try DeviceKeys.read(profile: options.profile), file.deviceId.lowercased() == id {
                    let url = try DeviceKeys.url(profile: options.profile)
                    let retired = url.deletingLastPathComponent()
                        .appendingPathComponent("\(url.lastPathComponent).removed-\(Int64(Date().timeIntervalSince1970 * 1000))")
                    if rename(url.path, retired.path) == 0 {
                        print("this was this profile's device: its keys moved to \(retired.path); log in again to make a new device")
                    } else {
                        warn("this was this profile's device; move \(url.path) away and log in again to make a new device")
                    }
                }
            }
        }
    }
}
