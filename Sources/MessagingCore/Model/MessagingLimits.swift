/// Configurable limits that every use case enforces.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MessagingLimits: Hashable, Sendable {
    /// The largest text body in UTF-8 bytes. Default 16 KiB.
    public var maxBodyBytes: Int = 16 * 1024
    /// The largest encrypted (opaque) body in bytes. Default 64 KiB, room for a 16 KiB text plus envelope overhead.
    public var maxEncryptedBodyBytes: Int = 64 * 1024
    /// Distinct reactions one user may leave on one message. Default 20.
    public var maxReactionsPerUserPerMessage: Int = 20
    /// Mentions in one message. Default 50.
    public var maxMentions: Int = 50
    /// Attachment references in one message. Default 10.
    public var maxAttachments: Int = 10
    /// Conversation title length in characters. Default 128.
    public var maxTitleCharacters: Int = 128
    /// Conversation topic length in characters. Default 1,024.
    public var maxTopicCharacters: Int = 1024
    /// Largest history page. Default (and ceiling of the contract) 200.
    public var maxHistoryPage: Int = 200
    /// Largest page of events for sync. Default 500.
    public var maxEventPage: Int = 500
    /// Largest page of conversations. Default 200.
    public var maxConversationPage: Int = 200
    /// Largest page of search hits. Default 100.
    public var maxSearchPage: Int = 100
    /// How deep search results may be paged (offset + limit). Default 1,000.
    public var maxSearchDepth: Int = 1000
    /// Words in one search query. Default 16.
    public var maxSearchWords: Int = 16
    /// Members of one group or channel. Default 100,000.
    public var maxMembers: Int = 100_000
    /// Active end-to-end devices of one user. Default 10.
    public var maxDevicesPerUser: Int = 10
    /// Active end-to-end devices of all members of one encrypted conversation: a new key epoch
    /// is sealed to every one of them in a single upload, so this is at most
    /// ``DeviceService/maxEnvelopesPerUpload``. Default 1,000.
    public var maxEncryptedConversationDevices: Int = 1000

    /// The defaults listed on each property.
    public init() {}

    /// The defaults listed on each property.
    public static let `default` = MessagingLimits()
}
