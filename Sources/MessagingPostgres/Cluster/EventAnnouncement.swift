import Foundation
import MessagingCore
import MessagingDelivery
import MessagingPresence

/// The text of an event notification on ``PostgresChannels/events``.
///
/// `i|CONVERSATION|SEQ|LEAVING|JSON` carries the event's protocol frame inline (`LEAVING` is
/// the user whose membership the event ends, or empty); `m|CONVERSATION|SEQ|SENDER|JSON` the
/// frame of a message event with content, and its message's sender (what a session of a user
/// who blocks the sender withholds); in `i|…`, LEAVING is `*` when the event ends every
/// membership (a deleted conversation); `r|CONVERSATION|SEQ` names an event
/// whose frame would pass NOTIFY's 8,000-byte limit: listeners fetch it from the store.
enum EventAnnouncement: Equatable {
    case inline(conversationID: ConversationID, seq: Int64, leaving: UserID?, sender: UserID?, json: String, endsConversation: Bool = false)
    case reference(conversationID: ConversationID, seq: Int64)

    /// The largest notification sent inline, in bytes; PostgreSQL refuses payloads of 8,000
    /// bytes or more.
    static let inlineLimit = 7_900

    /// The notification for a committed event.
    static func payload(for event: ConversationEvent) throws -> String {
        let encoded = try EncodedEvent(event)
        let head = if let sender = encoded.messageSender {
            "m|\(event.conversationID)|\(event.seq)|\(sender)|"
        } else {
            "i|\(event.conversationID)|\(event.seq)|\(encoded.endsConversation ? "*" : encoded.endsMembershipOf.map { "\($0)" } ?? "")|"
        }
        let count = head.utf8.count + encoded.payloadCount
        guard count <= inlineLimit else { return "r|\(event.conversationID)|\(event.seq)" }
        return head + String(decoding: encoded.bytes, as: UTF8.self)
    }

    /// Parses a notification; `nil` when it is not one this library sends.
    init?(_ payload: String) {
        let parts = payload.split(separator: "|", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count >= 3, let conversation = ConversationID(String(parts[1])), let seq = Int64(parts[2]), seq > 0 else {
            return nil
        }
        switch parts[0] {
        case "r" where parts.count == 3:
            self = .reference(conversationID: conversation, seq: seq)
        case "i" where parts.count == 5:
            var leaving: UserID?
            if parts[3] == "*" {
                self = .inline(
                    conversationID: conversation, seq: seq, leaving: nil, sender: nil, json: String(parts[4]), endsConversation: true)
                return
            }
            if !parts[3].isEmpty {
                guard let user = UserID(String(parts[3])) else { return nil }
                leaving = user
            }
            self = .inline(conversationID: conversation, seq: seq, leaving: leaving, sender: nil, json: String(parts[4]))
        case "m" where parts.count == 5:
            guard let sender = UserID(String(parts[3])) else { return nil }
            self = .inline(conversationID: conversation, seq: seq, leaving: nil, sender: sender, json: String(parts[4]))
        default:
            return nil
        }
    }
}

/// The text of a revocation notification on ``PostgresChannels/revocations``:
/// `SESSION|USER|REASON|MILLISECONDS`.
enum RevocationAnnouncement {
    static func payload(for revocation: SessionRevocation) -> String {
        "\(revocation.sessionID)|\(revocation.userID)|\(revocation.reason.rawValue)|\(revocation.revokedAt.millisecondsSince1970)"
    }

    /// Parses a notification; `nil` when it is not one this library sends.
    static func revocation(from payload: String) -> SessionRevocation? {
        let parts = payload.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 4, let session = SessionID(String(parts[0])), let user = UserID(String(parts[1])),
            !parts[2].isEmpty, parts[2].utf8.count <= 64, let millis = Int64(parts[3])
        else { return nil }
        return SessionRevocation(
            sessionID: session, userID: user, reason: RevocationReason(rawValue: String(parts[2])),
            revokedAt: Timestamp(millisecondsSince1970: millis))
    }
}

/// The payload of a presence announcement: the changed users' ids joined by `,`, then `|`
/// and the announcing node's id (empty when unknown). At most 150 ids per payload, so a
/// payload stays far below NOTIFY's 8,000 bytes.
enum PresenceAnnouncement {
    static let idsPerPayload = 150

    static func payloads(for users: [UserID], node: PresenceNodeID?) -> [String] {
        var seen: Set<UserID> = []
        let unique = users.filter { seen.insert($0).inserted }
        // A node id too long to fit is left out: every feed then reads the change (harmless).
        let name = node.map(\.rawValue).flatMap { $0.utf8.count <= 1_000 ? $0 : nil } ?? ""
        return stride(from: 0, to: unique.count, by: idsPerPayload).map { start in
            unique[start..<min(start + idsPerPayload, unique.count)].map { "\($0)" }.joined(separator: ",") + "|" + name
        }
    }

    /// Parses a notification: the users and the announcing node (`nil` when unnamed);
    /// `nil` when it is not one this library sends.
    static func parse(_ payload: String) -> (users: [UserID], node: String?)? {
        guard let bar = payload.lastIndex(of: "|") else { return nil }
        let list = payload[..<bar]
        let name = String(payload[payload.index(after: bar)...])
        var users: [UserID] = []
        for part in list.split(separator: ",") {
            guard users.count < idsPerPayload, let user = UserID(String(part)) else { return nil }
            users.append(user)
        }
        guard !users.isEmpty else { return nil }
        return (users, name.isEmpty ? nil : name)
    }
}

/// The payload of a feed announcement: `user:seq` pairs (the highest `seq` a transaction
/// appended to each user's feed) joined by `,`, at most 150 per payload (far below NOTIFY's
/// 8,000 bytes).
enum FeedAnnouncement {
    static let usersPerPayload = 150

    static func payloads(for entries: [UserFeedEvent]) -> [String] {
        var heads: [UserID: Int64] = [:]
        var order: [UserID] = []
        for entry in entries {
            if heads[entry.userID] == nil { order.append(entry.userID) }
            heads[entry.userID] = max(heads[entry.userID] ?? 0, entry.seq)
        }
        return stride(from: 0, to: order.count, by: usersPerPayload).map { start in
            order[start..<min(start + usersPerPayload, order.count)].map { "\($0):\(heads[$0] ?? 0)" }.joined(separator: ",")
        }
    }

    /// Parses a notification; `nil` when it is not one this library sends.
    static func parse(_ payload: String) -> [(UserID, Int64)]? {
        var heads: [(UserID, Int64)] = []
        for part in payload.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = part.split(separator: ":", omittingEmptySubsequences: false)
            guard heads.count < usersPerPayload, pair.count == 2, let user = UserID(String(pair[0])),
                let seq = Int64(pair[1]), seq > 0
            else { return nil }
            heads.append((user, seq))
        }
        return heads.isEmpty ? nil : heads
    }
}

/// The payload of a frame passed between nodes outside the log: `conversation|node|json`.
enum EphemeralAnnouncement {
    static let maximumBytes = 7_000

    static func payload(for event: EncodedEvent, node: String) -> String? {
        let json = String(decoding: event.bytes, as: UTF8.self)
        let payload = "\(event.conversationID)|\(node)|\(json)"
        return payload.utf8.count <= maximumBytes ? payload : nil
    }

    static func parse(_ payload: String) -> (ConversationID, String, String)? {
        let parts = payload.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let conversation = ConversationID(String(parts[0])), !parts[1].isEmpty,
            parts[2].first == "{"
        else { return nil }
        return (conversation, String(parts[1]), String(parts[2]))
    }
}
