import Foundation
import MessagingCore
import MessagingE2EE

/// This device's long-term keys for end-to-end encrypted conversations (`Documentation/E2EE.md`
/// §4), one device per profile, in `<profile>.device` next to the profile (0600, created once
/// with `O_EXCL`, never overwritten).
///
/// The file is JSON: `protection` says how `keys` is stored — `"none"`: the secret-key export
/// (E2EE §4.2) in text form; `"password"`: the password-protected export (§4.3, Argon2id) in
/// text form, made when `CHAT_DEVICE_PASSWORD` is set at creation and opened with it later.
/// `deviceId`, `userId` and the public `bundle` (text form) are kept in clear, so logging in and
/// publishing the bundle never need the password.
struct DeviceFile: Codable, Sendable {
    /// `"none"` or `"password"`.
    var protection: String
    /// This device's id (a random UUID, lowercase).
    var deviceId: String
    /// The user the device belongs to (the profile's user id, lowercase).
    var userId: String
    /// The public, self-signed device bundle (E2EE §4.1), text form.
    var bundle: String
    /// The secret keys: the plaintext export or the password-protected export, text form.
    var keys: String
}

/// Creating, reading, unlocking and publishing the device keys of a profile.
enum DeviceKeys {
    /// The environment variable holding the password of the device keys.
    static let passwordVariable = "CHAT_DEVICE_PASSWORD"

    /// `<profile>.device` in the profile directory.
    static func url(profile name: String) throws -> URL {
        try Profile.url(named: name).deletingLastPathComponent().appendingPathComponent("\(name).device")
    }

    /// The device file of a profile, or nil when the profile has none yet.
    static func read(profile name: String) throws -> DeviceFile? {
        let url = try url(profile: name)
        guard let data = try? Data(contentsOf: url) else { return nil }
        guard let file = try? JSONDecoder().decode(DeviceFile.self, from: data), ["none", "password"].contains(file.protection) else {
            throw ClientError.usage(
                "The device key file \(url.path) is damaged; move it away and log in again to make a new device (encrypted messages sent to the old one stay unreadable here).")
        }
        return file
    }

    /// Refuses a login whose user is not the one the profile's device keys belong to.
    static func checkOwner(profile name: String, userID: String) throws {
        guard let file = try read(profile: name), file.userId.lowercased() != userID.lowercased() else { return }
        throw ClientError.usage(
            "The device keys of profile \"\(name)\" (\(try url(profile: name).path)) belong to user \(file.userId), not to \(userID): use another profile for this account (--profile NAME or CHAT_PROFILE).")
    }

    /// Makes a new device for `userID` and stores it; when another process made one at the
    /// same moment, returns nil (read that one instead).
    static func create(profile name: String, userID: String) throws -> (file: DeviceFile, identity: DeviceIdentity)? {
        guard let user = UUID(uuidString: userID) else {
            throw ClientError.usage("The profile has no valid user id; log in again.")
        }
        // The server's ids are UUIDv7 (time-ordered); bundles carry any 16 bytes, the directory does not.
        let deviceID = UUID(uuidString: UUIDv7Generator().next().uuidString)!
        let identity: DeviceIdentity
        do {
            identity = try DeviceIdentity.generate(deviceID: deviceID, userID: user)
        } catch {
            throw ClientError.usage("Cannot make device keys: \(error). Is libsodium installed?")
        }
        var file = DeviceFile(
            protection: "none", deviceId: deviceID.uuidString.lowercased(), userId: userID.lowercased(),
            bundle: identity.makeBundle().textEncoded, keys: "")
        if let password = environmentPassword() {
            do {
                file.keys = try identity.exportSecretKeys(password: password).textEncoded
                file.protection = "password"
            } catch let error as E2EEError where error.code == .weakPassword {
                throw ClientError.usage(
                    "\(passwordVariable) is too short: use at least \(PasswordProtectedKeys.minimumPasswordLength) bytes (or unset it to store the device keys without a password), then log in again.")
            }
        } else {
            file.keys = identity.exportSecretKeysText()
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard try PrivateFile.save(try encoder.encode(file), to: try url(profile: name), replacing: false) else { return nil }
        return (file, identity)
    }

    /// Unlocks the secret keys of `file` (asking for the password when they are protected and
    /// `CHAT_DEVICE_PASSWORD` is not set, if there is a terminal).
    static func unlock(_ file: DeviceFile, profile name: String) throws -> DeviceIdentity {
        let path = (try? url(profile: name).path) ?? "\(name).device"
        let identity: DeviceIdentity
        if file.protection == "password" {
            let password = try devicePassword(path: path)
            let export: PasswordProtectedKeys
            do {
                export = try PasswordProtectedKeys(textEncoded: file.keys)
            } catch {
                throw ClientError.usage("The device key file \(path) is damaged (\(error)).")
            }
            do {
                identity = try DeviceIdentity(importing: export, password: password)
            } catch let error as E2EEError where error.code == .authenticationFailed {
                throw ClientError.usage("Wrong device key password for \(path): check \(passwordVariable).")
            } catch {
                throw ClientError.usage("Cannot open the device keys in \(path): \(error).")
            }
        } else {
            do {
                identity = try DeviceIdentity(importingSecretKeysText: file.keys)
            } catch {
                throw ClientError.usage("The device key file \(path) is damaged (\(error)); move it away and log in again to make a new device.")
            }
        }
        guard identity.deviceID.uuidString.lowercased() == file.deviceId.lowercased(),
            identity.userID.uuidString.lowercased() == file.userId.lowercased()
        else {
            throw ClientError.usage("The device key file \(path) is inconsistent (its ids do not match its keys); move it away and log in again.")
        }
        return identity
    }

    /// The profile's device: read and unlocked, or created (and published) when the profile
    /// has none. Refuses keys that belong to another user than the profile's.
    static func identity(api: API) async throws -> DeviceIdentity {
        let name = api.profileName
        guard let userID = api.profile.userID else {
            throw ClientError.usage("Not logged in: run `ChatClient login <handle> --profile \(name)` first.")
        }
        try checkOwner(profile: name, userID: userID)
        if let file = try read(profile: name) { return try unlock(file, profile: name) }
        if let made = try create(profile: name, userID: userID) {
            note("made new device keys \(made.file.deviceId) in \(try url(profile: name).path) (\(made.file.protection == "password" ? "password-protected" : "not password-protected"))")
            await publishReporting(api: api, bundle: made.file.bundle)
            return made.identity
        }
        guard let file = try read(profile: name) else { throw ClientError.usage("Cannot read the device keys of profile \(name).") }
        return try unlock(file, profile: name)
    }

    /// After `login`/`register`: makes the device keys when absent (refusing keys of another
    /// user), then publishes the bundle. A refused publication is reported but keeps the login.
    static func prepareAfterLogin(api: API) async throws {
        let name = api.profileName
        guard let userID = api.profile.userID else { return }
        try checkOwner(profile: name, userID: userID)
        var file = try read(profile: name)
        if file == nil {
            if let made = try create(profile: name, userID: userID) {
                file = made.file
                print(
                    "made device \(made.file.deviceId) for end-to-end encryption (keys in \(try url(profile: name).path), \(made.file.protection == "password" ? "password-protected" : "not password-protected"))"
                )
            } else {
                file = try read(profile: name)
            }
        }
        guard let file else { return }
        await publishReporting(api: api, bundle: file.bundle)
    }

    /// `POST /v1/devices` (201 when new, 200 when the server already has this bundle).
    static func publish(api: API, bundle: String) async throws {
        try await api.call("POST", "/v1/devices", body: ["bundle": .string(bundle)])
    }

    /// Publishes and reports a refusal on stderr without failing.
    static func publishReporting(api: API, bundle: String) async {
        do {
            try await publish(api: api, bundle: bundle)
        } catch ClientError.server(let status, let code, let message) where code == "conflict" {
            warn(
                "the server refuses this device's key bundle: \(message) [\(code), HTTP \(status)]. The device was removed or its id is taken: move \((try? url(profile: api.profileName).path) ?? "the .device file") away and log in again to make a new device."
            )
        } catch {
            warn(
                "could not publish this device's key bundle: \(error). Encrypted conversations need it: run `ChatClient device --publish --profile \(api.profileName)` later."
            )
        }
    }

    static func environmentPassword() -> String? {
        guard let value = ProcessInfo.processInfo.environment[passwordVariable], !value.isEmpty else { return nil }
        return value
    }

    private static func devicePassword(path: String) throws -> String {
        if let value = environmentPassword() { return value }
        guard isatty(STDIN_FILENO) != 0, let pointer = getpass("Password of the device keys in \(path): ") else {
            throw ClientError.usage("The device keys in \(path) are password-protected: set \(passwordVariable) (or run in a terminal to be asked).")
        }
        return String(cString: pointer)
    }
}

/// Prints a warning line on stderr (the command goes on).
func warn(_ text: String) {
    FileHandle.standardError.write(Data("warning: \(text)\n".utf8))
}
