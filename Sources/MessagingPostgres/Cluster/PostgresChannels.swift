import MessagingCore

/// The LISTEN/NOTIFY channels of one deployment: every node of a cluster uses the same
/// prefix; deployments (or test runs) sharing one database use different ones.
///
/// Channels are database-wide in PostgreSQL (not per schema), so two deployments in two
/// schemas of one database must not share a prefix.
///
/// Thread safety: a value type; safe to share across tasks.
public struct PostgresChannels: Hashable, Sendable {
    /// The prefix of every channel name: lower-case letters, digits and `_`, starting
    /// with a letter, at most 40 characters.
    public let prefix: String

    /// The channels of a deployment named `prefix`; throws `invalidInput` when `prefix`
    /// is not a lower-case identifier of at most 40 characters.
    public init(prefix: String) throws(MessagingError) {
        let allowed = prefix.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
        guard let first = prefix.utf8.first, first >= 0x61, first <= 0x7A, allowed, prefix.utf8.count <= 40 else {
            throw MessagingError(
                code: .invalidInput,
                message: "A channel prefix must start with a lower-case letter and hold only a-z, 0-9 and _ (at most 40 characters).")
        }
        self.prefix = prefix
    }

    private init(unchecked prefix: String) { self.prefix = prefix }

    /// The default channels, prefix `swift_messaging`.
    public static let standard = PostgresChannels(unchecked: "swift_messaging")

    /// Where committed conversation events are announced.
    public var events: String { prefix + "_events" }

    /// Where session revocations are announced.
    public var revocations: String { prefix + "_revocations" }

    /// Where entries appended to users' feeds are announced (``PostgresEventBus`` wakes the
    /// feed followers of its node).
    public var feed: String { prefix + "_feed" }

    /// Where frames outside the log (read receipts) are passed between nodes.
    public var ephemeral: String { prefix + "_ephemeral" }

    /// Where changes of presence entries and records are announced (``PostgresPresenceFeed``).
    public var presence: String { prefix + "_presence" }
}
