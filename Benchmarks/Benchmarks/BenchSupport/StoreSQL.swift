/// The SQL our store runs on its hot paths, copied verbatim (modulo whitespace) from
/// `Sources/MessagingPersistence/SQLite/SQLiteTransaction*.swift` and `Internal/RowCoding.swift`,
/// so the raw C baselines do exactly the same statements. Keep in sync when those change.
public enum StoreSQL {
    public static let messageColumns = """
        m.id, m.conversation_id, m.seq, m.sender_id, m.client_message_id, m.kind, m.body, \
        m.reply_to_id, m.thread_root_id, m.mentions, m.attachments, m.created_at, m.edited_at, \
        m.deleted_at, m.content_digest
        """
    public static let memberColumns = "mb.conversation_id, mb.user_id, mb.role, mb.joined_at, mb.read_seq"
    public static let conversationColumns =
        "c.id, c.kind, c.title, c.topic, c.creator_id, c.created_at, c.last_seq, c.last_activity_at"

    /// `SQLiteTransaction.messages(in:before:limit:)`.
    public static let pageBefore = """
        SELECT \(messageColumns) FROM messages m
        WHERE m.conversation_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?
        """

    /// The same page by OFFSET (what keyset pagination replaces).
    public static let pageOffset = """
        SELECT \(messageColumns) FROM messages m
        WHERE m.conversation_id = ? ORDER BY m.seq DESC LIMIT ? OFFSET ?
        """

    /// `SQLiteTransaction.member(_:in:)`.
    public static let member =
        "SELECT \(memberColumns) FROM members mb WHERE mb.conversation_id = ? AND mb.user_id = ?"

    /// `SQLiteTransaction.conversation(id:)`.
    public static let conversation = "SELECT \(conversationColumns) FROM conversations c WHERE c.id = ?"

    /// `SQLiteTransaction.message(in:sender:clientMessageID:)` (the idempotency check of a send).
    public static let messageByClientID = """
        SELECT \(messageColumns) FROM messages m
        WHERE m.conversation_id = ? AND m.sender_id = ? AND m.client_message_id = ?
        """

    /// `SQLiteTransaction.nextSeq(of:at:)`.
    public static let nextSeq = """
        UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = max(last_activity_at, ?)
        WHERE id = ? RETURNING last_seq
        """

    /// `SQLiteTransaction.insert(_ message:)`.
    public static let insertMessage = """
        INSERT INTO messages (id, conversation_id, seq, sender_id, client_message_id, kind, body, reply_to_id,
            thread_root_id, mentions, attachments, created_at, edited_at, deleted_at, content_digest)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// The search-index insert of `SQLiteTransaction.insert(_ message:)` (text messages).
    public static let insertFTS = "INSERT INTO messages_fts (rowid, body) VALUES (?, ?)"

    /// `SQLiteTransaction.append(_ event:)`.
    public static let insertEvent = """
        INSERT INTO events (conversation_id, seq, type, actor_id, message_id, data, occurred_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """
}
