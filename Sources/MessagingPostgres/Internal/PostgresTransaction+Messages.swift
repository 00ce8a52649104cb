import Foundation
import MessagingCore
import PostgresNIO

// MARK: - MessageStore

extension PostgresTransaction {
    static let messageColumns = """
        m.id, m.conversation_id, m.seq, m.sender_id, m.client_message_id, m.kind, m.body_text, m.body_bytes, \
        m.reply_to_id, m.thread_root_id, m.mentions, m.attachments, m.created_at, m.edited_at, \
        m.deleted_at, m.content_digest, m.key_epoch, m.sender_device
        """
    static let messageColumnCount = 18

    static func message(_ row: Cells, at start: Int = 0) throws -> Message {
        guard let kind = MessageKind(rawValue: try row.string(start + 5)) else { throw PostgresCoding.corrupt("unknown message kind") }
        let deletedAt = try row.optionalTimestamp(start + 14)
        var body: MessageBody?
        if deletedAt == nil {
            switch kind {
            case .encrypted:
                guard let bytes = try row.optionalBytes(start + 7) else { throw PostgresCoding.corrupt("an encrypted message has no ciphertext") }
                body = .ciphertext(bytes)
            case .text, .system:
                guard let text = try row.optionalString(start + 6) else { throw PostgresCoding.corrupt("a text message has no text") }
                body = .text(text)
            }
        }
        var attachments: [AttachmentReference] = []
        if let json = try row.optionalString(start + 11) {
            attachments = try JSONDecoder().decode([AttachmentReference].self, from: Data(json.utf8))
        }
        var encryption: EncryptionHeader?
        if let epoch = try row.optionalInt64(start + 16) {
            guard epoch >= 1, let device: DeviceID = try row.optionalID(start + 17) else {
                throw PostgresCoding.corrupt("an encrypted message has an invalid epoch or sender device")
            }
            encryption = EncryptionHeader(epoch: UInt64(epoch), senderDeviceID: device)
        }
        return Message(
            id: try row.id(start), conversationID: try row.id(start + 1), senderID: try row.id(start + 3),
            seq: try row.int64(start + 2), clientMessageID: try ClientMessageID(try row.string(start + 4)), kind: kind,
            body: body, replyToID: try row.optionalID(start + 8), threadRootID: try row.optionalID(start + 9),
            mentions: try row.ids(start + 10), attachments: attachments, createdAt: try row.timestamp(start + 12),
            editedAt: try row.optionalTimestamp(start + 13), deletedAt: deletedAt,
            contentDigest: UInt64(bitPattern: try row.int64(start + 15)), encryption: encryption)
    }

    static func attachmentsJSON(_ list: [AttachmentReference]) throws -> String? {
        guard !list.isEmpty else { return nil }
        return String(decoding: try JSONEncoder().encode(list), as: UTF8.self)
    }

    static func mentions(_ list: [UserID]) -> [UUID]? { list.isEmpty ? nil : PostgresCoding.uuids(list) }

    func message(id: MessageID) throws -> Message? {
        try fetchOne(
            "SELECT \(unescaped: Self.messageColumns) FROM messages m WHERE m.id = \(PostgresCoding.uuid(id))",
            "reading a message") { try Self.message($0) }
    }

    func message(in conversation: ConversationID, sender: UserID, clientMessageID: ClientMessageID) throws -> Message? {
        try fetchOne(
            """
            SELECT \(unescaped: Self.messageColumns) FROM messages m
            WHERE m.conversation_id = \(PostgresCoding.uuid(conversation)) AND m.sender_id = \(PostgresCoding.uuid(sender))
              AND m.client_message_id = \(clientMessageID.rawValue)
            """, "reading a message by client id") { try Self.message($0) }
    }

    func messages(in conversation: ConversationID, before seq: Int64?, limit: Int) throws -> [Message] {
        try fetchAll(
            """
            SELECT \(unescaped: Self.messageColumns) FROM messages m
            WHERE m.conversation_id = \(PostgresCoding.uuid(conversation)) AND m.seq < \(seq ?? Int64.max)
            ORDER BY m.seq DESC LIMIT \(limit)
            """, "reading history") { try Self.message($0) }
    }

    func messages(in conversation: ConversationID, after seq: Int64?, limit: Int) throws -> [Message] {
        try fetchAll(
            """
            SELECT \(unescaped: Self.messageColumns) FROM messages m
            WHERE m.conversation_id = \(PostgresCoding.uuid(conversation)) AND m.seq > \(seq ?? 0)
            ORDER BY m.seq ASC LIMIT \(limit)
            """, "reading history") { try Self.message($0) }
    }

    func insert(_ message: Message) throws {
        var text: String?
        var bytes: Data?
        switch message.body {
        case .text(let value): text = value
        case .ciphertext(let value): bytes = value
        case nil: break
        }
        // Only text and system messages are searchable; ciphertext never reaches the index.
        let searchable = message.kind == .encrypted ? nil : text
        try execute(
            """
            INSERT INTO messages (id, conversation_id, seq, sender_id, client_message_id, kind, body_text, body_bytes,
                reply_to_id, thread_root_id, mentions, attachments, created_at, edited_at, deleted_at, content_digest,
                key_epoch, sender_device, search)
            VALUES (\(PostgresCoding.uuid(message.id)), \(PostgresCoding.uuid(message.conversationID)), \(message.seq),
                \(PostgresCoding.uuid(message.senderID)), \(message.clientMessageID.rawValue), \(message.kind.rawValue),
                \(text), \(bytes), \(PostgresCoding.uuid(message.replyToID)), \(PostgresCoding.uuid(message.threadRootID)),
                \(Self.mentions(message.mentions)), \(try Self.attachmentsJSON(message.attachments)),
                \(message.createdAt.millisecondsSince1970), \(message.editedAt?.millisecondsSince1970),
                \(message.deletedAt?.millisecondsSince1970), \(Int64(bitPattern: message.contentDigest)),
                \(message.encryption.map { Int64(clamping: $0.epoch) }), \(PostgresCoding.uuid(message.encryption?.senderDeviceID)),
                to_tsvector('simple'::regconfig, \(searchable)::text))
            """, "inserting a message")
    }

    func updateBody(of id: MessageID, to body: MessageBody, mentions: [UserID], editedAt: Timestamp) throws {
        var text: String?
        var bytes: Data?
        switch body {
        case .text(let value): text = value
        case .ciphertext(let value): bytes = value
        }
        try execute(
            """
            UPDATE messages SET body_text = \(text), body_bytes = \(bytes), mentions = \(Self.mentions(mentions)),
                edited_at = \(editedAt.millisecondsSince1970),
                search = CASE WHEN kind <> 'encrypted' AND deleted_at IS NULL THEN to_tsvector('simple'::regconfig, \(text)::text) END
            WHERE id = \(PostgresCoding.uuid(id))
            """, "editing a message")
    }

    func tombstone(_ id: MessageID, at time: Timestamp) throws {
        try execute(
            """
            UPDATE messages SET body_text = NULL, body_bytes = NULL, mentions = NULL, attachments = NULL, search = NULL,
                deleted_at = \(time.millisecondsSince1970)
            WHERE id = \(PostgresCoding.uuid(id))
            """, "deleting a message")
        try execute("DELETE FROM reactions WHERE message_id = \(PostgresCoding.uuid(id))", "deleting reactions")
        try execute("DELETE FROM pinned_messages WHERE message_id = \(PostgresCoding.uuid(id))", "deleting a pin")
        // Its uploads are released, expired at once: the purge deletes their objects.
        try execute(
            """
            UPDATE attachments SET message_id = NULL, expires_at = \(time.millisecondsSince1970)
            WHERE message_id = \(PostgresCoding.uuid(id))
            """, "releasing a deleted message's attachments")
    }

    func reactions(on message: MessageID, by user: UserID) throws -> [Emoji] {
        try fetchAll(
            """
            SELECT emoji FROM reactions WHERE message_id = \(PostgresCoding.uuid(message)) AND user_id = \(PostgresCoding.uuid(user))
            ORDER BY created_at, emoji
            """, "reading reactions") { row in try Emoji(try row.string(0)) }
    }

    func insert(_ reaction: Reaction) throws -> Bool {
        try execute(
            """
            INSERT INTO reactions (message_id, user_id, emoji, created_at)
            VALUES (\(PostgresCoding.uuid(reaction.messageID)), \(PostgresCoding.uuid(reaction.userID)), \(reaction.emoji.rawValue),
                \(reaction.createdAt.millisecondsSince1970))
            ON CONFLICT DO NOTHING
            """, "adding a reaction") > 0
    }

    func deleteReaction(on message: MessageID, by user: UserID, emoji: Emoji) throws -> Bool {
        try execute(
            """
            DELETE FROM reactions
            WHERE message_id = \(PostgresCoding.uuid(message)) AND user_id = \(PostgresCoding.uuid(user)) AND emoji = \(emoji.rawValue)
            """, "removing a reaction") > 0
    }
}

// MARK: - EventLog

extension PostgresTransaction {
    func append(_ event: ConversationEvent) throws {
        var messageID: MessageID?
        var data: String?
        switch event.payload {
        case .messageCreated(let message), .messageEdited(let message), .messageDeleted(let message):
            // Message events are read back with the message's current state.
            messageID = message.id
        default:
            messageID = event.payload.messageID
            data = String(decoding: try JSONEncoder().encode(event.payload), as: UTF8.self)
        }
        try execute(
            """
            INSERT INTO events (conversation_id, seq, type, actor_id, message_id, data, occurred_at)
            VALUES (\(PostgresCoding.uuid(event.conversationID)), \(event.seq), \(EventType(event.payload).rawValue),
                \(PostgresCoding.uuid(event.actorID)), \(PostgresCoding.uuid(messageID)), \(data), \(event.occurredAt.millisecondsSince1970))
            """, "appending an event")
        record.events.append(event)
    }

    func events(in conversation: ConversationID, after seq: Int64, limit: Int) throws -> [ConversationEvent] {
        try fetchAll(
            """
            SELECT e.conversation_id, e.seq, e.type, e.actor_id, e.data, e.occurred_at, \(unescaped: Self.messageColumns)
            FROM events e LEFT JOIN messages m ON m.id = e.message_id AND e.data IS NULL
            WHERE e.conversation_id = \(PostgresCoding.uuid(conversation)) AND e.seq > \(seq) ORDER BY e.seq LIMIT \(limit)
            """, "reading events"
        ) { row in
            guard let type = EventType(rawValue: try row.string(2)) else { throw PostgresCoding.corrupt("unknown event type") }
            let payload: ConversationEvent.Payload
            switch type {
            case .messageCreated, .messageEdited, .messageDeleted:
                guard !row.isNull(6) else { throw PostgresCoding.corrupt("a message event names a missing message") }
                let message = try Self.message(row, at: 6)
                payload = type == .messageCreated ? .messageCreated(message)
                    : type == .messageEdited ? .messageEdited(message) : .messageDeleted(message)
            default:
                guard let data = try row.optionalString(4) else { throw PostgresCoding.corrupt("an event has no data") }
                payload = try JSONDecoder().decode(ConversationEvent.Payload.self, from: Data(data.utf8))
            }
            return ConversationEvent(
                conversationID: try row.id(0), seq: try row.int64(1), actorID: try row.id(3),
                occurredAt: try row.timestamp(5), payload: payload)
        }
    }
}

/// The stored name of each event type (the same names the SQLite store writes).
enum EventType: String {
    case messageCreated, messageEdited, messageDeleted, reactionAdded, reactionRemoved
    case memberJoined, memberLeft, memberRoleChanged, conversationUpdated
    case deviceAdded, deviceRemoved, keyDistributed, conversationDeleted
    case memberBanned, memberUnbanned, slowModeChanged, messagePinned, messageUnpinned

    init(_ payload: ConversationEvent.Payload) {
        self = switch payload {
        case .messageCreated: .messageCreated
        case .messageEdited: .messageEdited
        case .messageDeleted: .messageDeleted
        case .reactionAdded: .reactionAdded
        case .reactionRemoved: .reactionRemoved
        case .memberJoined: .memberJoined
        case .memberLeft: .memberLeft
        case .memberRoleChanged: .memberRoleChanged
        case .conversationUpdated: .conversationUpdated
        case .deviceAdded: .deviceAdded
        case .deviceRemoved: .deviceRemoved
        case .keyDistributed: .keyDistributed
        case .memberBanned: .memberBanned
        case .memberUnbanned: .memberUnbanned
        case .slowModeChanged: .slowModeChanged
        case .messagePinned: .messagePinned
        case .messageUnpinned: .messageUnpinned
        case .conversationDeleted: .conversationDeleted
        }
    }
}

// MARK: - SearchIndex

extension PostgresTransaction {
    func search(terms: [String], for user: UserID, in conversation: ConversationID?, offset: Int, limit: Int) throws -> [SearchHit] {
        guard !terms.isEmpty else { return [] }
        // Every term is a bound parameter turned into a phrase by phraseto_tsquery, which
        // knows no operators: `|`, `!`, `*`, `:` and quotes in user input are matched as
        // literal words (or dropped as punctuation), never parsed as query syntax.
        var bindings = PostgresBindings()
        bindings.append(PostgresCoding.uuid(user))
        var phrases: [String] = []
        for term in terms {
            bindings.append(term)
            phrases.append("phraseto_tsquery('simple'::regconfig, $\(bindings.count)::text)")
        }
        var scope = ""
        if let conversation {
            bindings.append(PostgresCoding.uuid(conversation))
            scope = "AND m.conversation_id = $\(bindings.count)"
        }
        bindings.append(limit)
        let limitIndex = bindings.count
        bindings.append(offset)
        let sql = """
            SELECT \(Self.messageColumns), ts_rank(m.search, q.query)::float8 AS score
            FROM (SELECT \(phrases.joined(separator: " && ")) AS query) q
            JOIN messages m ON m.search @@ q.query
            JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = $1
            WHERE m.deleted_at IS NULL AND m.kind <> 'encrypted' \(scope)
            ORDER BY score DESC, m.row_id DESC LIMIT $\(limitIndex) OFFSET $\(bindings.count)
            """
        return try fetchAll(PostgresQuery(unsafeSQL: sql, binds: bindings), "searching messages") { row in
            SearchHit(message: try Self.message(row), score: try row.double(Self.messageColumnCount))
        }
    }
}

// MARK: - IdempotencyStore

extension PostgresTransaction {
    func idempotencyRecord(scope: String, key: String, now: Timestamp) throws -> String? {
        try fetchOne(
            """
            SELECT value FROM idempotency_keys
            WHERE scope = \(scope) AND key = \(key) AND expires_at > \(now.millisecondsSince1970)
            """, "reading an idempotency record") { try $0.string(0) }
    }

    func saveIdempotencyRecord(scope: String, key: String, value: String, expiresAt: Timestamp) throws {
        try execute(
            """
            INSERT INTO idempotency_keys (scope, key, value, expires_at)
            VALUES (\(scope), \(key), \(value), \(expiresAt.millisecondsSince1970))
            ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
            """, "saving an idempotency record")
    }
}
