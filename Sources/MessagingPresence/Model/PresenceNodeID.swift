/// Names one node (process) of a deployment in a shared ``PresenceStore``.
///
/// Thread safety: a value type; safe to share across tasks.
public struct PresenceNodeID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The name.
    public let rawValue: String

    /// Makes a node id.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
}
