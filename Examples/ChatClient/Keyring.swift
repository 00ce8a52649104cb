import Foundation
import MessagingClient

/// What this device remembers about encrypted conversations, in `<profile>.keys.json` next to
/// the profile (0600, replaced atomically like the profile):
///
/// - `device`: the device the stored envelopes are addressed to; when the device keys change,
///   the envelopes and the cursor are dropped (the pins are kept);
/// - `envelopeCursor`: the highest inbox `seq` processed (`GET /v1/devices/{id}/envelopes?after=`);
/// - `envelopes`: conversation id → epoch → key envelope (E2EE §5, text form) addressed to this
///   device. Only envelopes that opened are stored; the keys themselves are never written
///   (devices keep envelopes rather than raw keys, E2EE §8);
/// - `pins`: device id → `{user, bundle}`, the first bundle seen for each device (trust on first
///   use): a later, different bundle for a pinned device id is rejected.
struct Keyring: Codable, Sendable {
    /// A device bundle trusted on first use (the same shape as MessagingClient's pins).
    typealias Pin = ClientKeyring.Pin

    var device: String?
    var envelopeCursor: Int64
    var envelopes: [String: [String: String]]
    var pins: [String: Pin]

    init(device: String?) {
        self.device = device
        envelopeCursor = 0
        envelopes = [:]
        pins = [:]
    }

    /// `<profile>.keys.json` in the profile directory.
    static func url(profile name: String) throws -> URL {
        try Profile.url(named: name).deletingLastPathComponent().appendingPathComponent("\(name).keys.json")
    }

    /// The keyring of `device` (an empty one when none is stored; envelopes of another device
    /// are dropped, pins kept).
    static func load(profile name: String, device: String) throws -> Keyring {
        let url = try url(profile: name)
        guard let data = try? Data(contentsOf: url) else { return Keyring(device: device) }
        var keyring: Keyring
        do {
            keyring = try JSONDecoder().decode(Keyring.self, from: data)
        } catch {
            throw ClientError.usage(
                "The keyring \(url.path) is damaged (\(error)); move it away: the next command fetches the keys again from the server (pinned bundles are trusted anew).")
        }
        if keyring.device?.lowercased() != device.lowercased() {
            keyring.device = device.lowercased()
            keyring.envelopeCursor = 0
            keyring.envelopes = [:]
        }
        return keyring
    }

    func save(profile name: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try PrivateFile.save(try encoder.encode(self), to: try Self.url(profile: name))
    }

    /// The stored envelope for `(conversation, epoch)`.
    func envelope(conversation: String, epoch: UInt64) -> String? {
        envelopes[conversation.lowercased()]?[String(epoch)]
    }

    mutating func store(envelope text: String, conversation: String, epoch: UInt64) {
        envelopes[conversation.lowercased(), default: [:]][String(epoch)] = text
    }
}
