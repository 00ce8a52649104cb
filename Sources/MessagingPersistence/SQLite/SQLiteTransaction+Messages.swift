import Foundation
import GRDB
import MessagingCore

// MARK: - MessageStore

extension SQLiteTransaction {
    func message(id: MessageID) throws -> Message? {
        let statement = try HotStatement(db, HotSQL.messageByID)
        statement.bind(1, id)
        return try statement.messages().first
    }

    func message(in conversation: ConversationID, sender: UserID, clientMessageID: ClientMessageID) throws -> Message? {
        let statement = try HotStatement(db, HotSQL.messageByClientID)
        statement.bind(1, conversation)
        statement.bind(2, sender)
        statement.bind(3, clientMessageID.rawValue)
        return try statement.messages().first
    }

    func messages(in conversation: ConversationID, before seq: Int64?, limit: Int) throws -> [Message] {
        let statement = try HotStatement(db, HotSQL.messagesBefore)
        statement.bind(1, conversation)
        statement.bind(2, seq ?? Int64.max)
        statement.bind(3, Int64(limit))
        return try statement.messages()
    }

    func messages(in conversation: ConversationID, after seq: Int64?, limit: Int) throws -> [Message] {
        let statement = try HotStatement(db, HotSQL.messagesAfter)
        statement.bind(1, conversation)
        statement.bind(2, seq ?? 0)
        statement.bind(3, Int64(limit))
        return try statement.messages()
    }

    func insert(_ message: Message) throws {
        let statement = try HotStatement(db, HotSQL.insertMessage)
        statement.bind(1, message.id)
        statement.bind(2, message.conversationID)
        statement.bind(3, message.seq)
        statement.bind(4, message.senderID)
        statement.bind(5, message.clientMessageID.rawValue)
        statement.bind(6, message.kind.rawValue)
        switch message.body {
        case .text(let text): statement.bind(7, text)
        case .ciphertext(let bytes): statement.bind(7, [UInt8](bytes))
        case nil: break
        }
        statement.bind(8, message.replyToID)
        statement.bind(9, message.threadRootID)
        statement.bind(10, ids: message.mentions)
        statement.bind(11, try RowCoding.attachmentsJSON(message.attachments))
        statement.bind(12, message.createdAt.millisecondsSince1970)
        statement.bind(13, message.editedAt?.millisecondsSince1970)
        statement.bind(14, message.deletedAt?.millisecondsSince1970)
        statement.bind(15, Int64(bitPattern: message.contentDigest))
        if let encryption = message.encryption {
            statement.bind(16, Int64(clamping: encryption.epoch))
            statement.bind(17, encryption.senderDeviceID)
        }
        try statement.execute()
        if message.kind != .encrypted, let text = message.body?.text {
            let index = try HotStatement(db, HotSQL.insertSearchable)
            index.bind(1, db.lastInsertedRowID)
            index.bind(2, text)
            try index.execute()
        }
    }

    func updateBody(of id: MessageID, to body: MessageBody, mentions: [UserID], editedAt: Timestamp) throws {
        let indexed = try unindex(id)
        let value: any DatabaseValueConvertible = switch body {
        case .text(let text): text
        case .ciphertext(let bytes): bytes
        }
        try execute(
            "UPDATE messages SET body = ?, mentions = ?, edited_at = ? WHERE id = ?",
            [value, RowCoding.ids(mentions), editedAt.millisecondsSince1970, RowCoding.blob(id)])
        if let rowID = indexed, let text = body.text {
            try execute("INSERT INTO messages_fts (rowid, body) VALUES (?, ?)", [rowID, text])
        }
    }

    func tombstone(_ id: MessageID, at time: Timestamp) throws {
        _ = try unindex(id)
        try execute(
            "UPDATE messages SET body = NULL, mentions = NULL, attachments = NULL, deleted_at = ? WHERE id = ?",
            [time.millisecondsSince1970, RowCoding.blob(id)])
        try execute("DELETE FROM reactions WHERE message_id = ?", [RowCoding.blob(id)])
        try execute("DELETE FROM pinned_messages WHERE message_id = ?", [RowCoding.blob(id)])
        // Its uploads are released, expired at once: the purge deletes their objects.
        try execute(
            "UPDATE attachments SET message_id = NULL, expires_at = ? WHERE message_id = ?",
            [time.millisecondsSince1970, RowCoding.blob(id)])
    }

    /// Removes a searchable message's current text from the index; returns its row id when it is searchable.
    private func unindex(_ id: MessageID) throws -> Int64? {
        let indexed = try fetchOne(
            "SELECT row_id, body FROM messages WHERE id = ? AND deleted_at IS NULL AND kind <> 'encrypted'",
            [RowCoding.blob(id)]
        ) { row in (row[0] as Int64, row[1] as String?) }
        guard let (rowID, text) = indexed else { return nil }
        if let text {
            try execute("INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', ?, ?)", [rowID, text])
        }
        return rowID
    }

    func reactions(on message: MessageID, by user: UserID) throws -> [Emoji] {
        try fetchAll(
            "SELECT emoji FROM reactions WHERE message_id = ? AND user_id = ? ORDER BY created_at, emoji",
            [RowCoding.blob(message), RowCoding.blob(user)]
        ) { row in try Emoji(row[0] as String) }
    }

    func insert(_ reaction: Reaction) throws -> Bool {
        try execute(
            "INSERT OR IGNORE INTO reactions (message_id, user_id, emoji, created_at) VALUES (?, ?, ?, ?)",
            [
                RowCoding.blob(reaction.messageID), RowCoding.blob(reaction.userID), reaction.emoji.rawValue,
                reaction.createdAt.millisecondsSince1970,
            ])
        return db.changesCount > 0
    }

    func deleteReaction(on message: MessageID, by user: UserID, emoji: Emoji) throws -> Bool {
        try execute(
            "DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?",
            [RowCoding.blob(message), RowCoding.blob(user), emoji.rawValue])
        return db.changesCount > 0
    }

}

// MARK: - EventLog

extension SQLiteTransaction {
    func append(_ event: ConversationEvent) throws {
        let statement = try HotStatement(db, HotSQL.insertEvent)
        statement.bind(1, event.conversationID)
        statement.bind(2, event.seq)
        statement.bind(3, EventType(event.payload).rawValue)
        statement.bind(4, event.actorID)
        switch event.payload {
        case .messageCreated(let message), .messageEdited(let message), .messageDeleted(let message):
            // Message events are read back with the message's current state.
            statement.bind(5, message.id)
        default:
            statement.bind(5, event.payload.messageID)
            statement.bind(6, String(decoding: try JSONEncoder().encode(event.payload), as: UTF8.self))
        }
        statement.bind(7, event.occurredAt.millisecondsSince1970)
        try statement.execute()
        appended?.events.append(event)
    }

    func events(in conversation: ConversationID, after seq: Int64, limit: Int) throws -> [ConversationEvent] {
        let statement = try HotStatement(db, HotSQL.eventsAfter)
        defer { statement.reset() }
        statement.bind(1, conversation)
        statement.bind(2, seq)
        statement.bind(3, Int64(limit))
        var result: [ConversationEvent] = []
        while try statement.step() {
            guard let type = EventType(rawValue: statement.text(2)) else { throw RowCoding.corrupt("unknown event type") }
            let payload: ConversationEvent.Payload
            switch type {
            case .messageCreated, .messageEdited, .messageDeleted:
                guard !statement.isNull(6) else { throw RowCoding.corrupt("a message event names a missing message") }
                let message = try statement.message(at: 6)
                payload = type == .messageCreated ? .messageCreated(message)
                    : type == .messageEdited ? .messageEdited(message) : .messageDeleted(message)
            default:
                guard !statement.isNull(4) else { throw RowCoding.corrupt("an event has no data") }
                payload = try JSONDecoder().decode(ConversationEvent.Payload.self, from: Data(statement.bytes(4)))
            }
            result.append(ConversationEvent(
                conversationID: try statement.id(0), seq: statement.int64(1), actorID: try statement.id(3),
                occurredAt: statement.timestamp(5), payload: payload))
        }
        return result
    }
}

/// The stored name of each event type.
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

extension SQLiteTransaction {
    func search(terms: [String], for user: UserID, in conversation: ConversationID?, offset: Int, limit: Int) throws -> [SearchHit] {
        // Every term becomes a quoted FTS5 string, so operators, column filters, prefixes
        // and NEAR groups in user input are matched as literal words.
        let pattern = terms.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " ")
        let scope = conversation == nil ? "" : "AND m.conversation_id = ?"
        var arguments: StatementArguments = [RowCoding.blob(user), pattern]
        if let conversation { arguments += [RowCoding.blob(conversation)] }
        arguments += [limit, offset]
        return try fetchAll(
            """
            SELECT \(RowCoding.messageColumns), bm25(messages_fts) AS score
            FROM messages_fts
            JOIN messages m ON m.row_id = messages_fts.rowid
            JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ?
            WHERE messages_fts MATCH ? AND m.deleted_at IS NULL AND m.kind <> 'encrypted' \(scope)
            ORDER BY score, m.row_id DESC LIMIT ? OFFSET ?
            """,
            arguments
        ) { row in SearchHit(message: try RowCoding.message(from: row), score: row[RowCoding.messageColumnCount]) }
    }
}

// MARK: - IdempotencyStore

extension SQLiteTransaction {
    func idempotencyRecord(scope: String, key: String, now: Timestamp) throws -> String? {
        try fetchOne(
            "SELECT value FROM idempotency_keys WHERE scope = ? AND key = ? AND expires_at > ?",
            [scope, key, now.millisecondsSince1970]
        ) { $0[0] as String }
    }

    func saveIdempotencyRecord(scope: String, key: String, value: String, expiresAt: Timestamp) throws {
        try execute(
            "INSERT OR REPLACE INTO idempotency_keys (scope, key, value, expires_at) VALUES (?, ?, ?, ?)",
            [scope, key, value, expiresAt.millisecondsSince1970])
    }
}

/// The SQL of the hot paths (send, history page, events since), built once: a statement
/// cache lookup then hashes a constant instead of a freshly interpolated string.
enum HotSQL {
    static let messageByID = "SELECT \(RowCoding.messageColumns) FROM messages m WHERE m.id = ?"
    static let messageByClientID = """
        SELECT \(RowCoding.messageColumns) FROM messages m
        WHERE m.conversation_id = ? AND m.sender_id = ? AND m.client_message_id = ?
        """
    static let messagesBefore = """
        SELECT \(RowCoding.messageColumns) FROM messages m
        WHERE m.conversation_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?
        """
    static let messagesAfter = """
        SELECT \(RowCoding.messageColumns) FROM messages m
        WHERE m.conversation_id = ? AND m.seq > ? ORDER BY m.seq ASC LIMIT ?
        """
    static let eventsAfter = """
        SELECT e.conversation_id, e.seq, e.type, e.actor_id, e.data, e.occurred_at, \(RowCoding.messageColumns)
        FROM events e LEFT JOIN messages m ON m.id = e.message_id AND e.data IS NULL
        WHERE e.conversation_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?
        """
    static let nextSeq = """
        UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = max(last_activity_at, ?)
        WHERE id = ? RETURNING last_seq
        """
    static let insertMessage = """
        INSERT INTO messages (id, conversation_id, seq, sender_id, client_message_id, kind, body, reply_to_id,
            thread_root_id, mentions, attachments, created_at, edited_at, deleted_at, content_digest, key_epoch,
            sender_device)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let insertSearchable = "INSERT INTO messages_fts (rowid, body) VALUES (?, ?)"
    static let insertEvent = """
        INSERT INTO events (conversation_id, seq, type, actor_id, message_id, data, occurred_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """
    static let conversationByID = "SELECT \(RowCoding.conversationColumns) FROM conversations c WHERE c.id = ?"
    static let member = "SELECT \(RowCoding.memberColumns) FROM members mb WHERE mb.conversation_id = ? AND mb.user_id = ?"
}
