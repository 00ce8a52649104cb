import Foundation
import GRDBSQLite
import MessagingCore

/// The raw C twin of `messaging.messages.send`: the same statements in the same order, each
/// prepared once, in one `BEGIN IMMEDIATE … COMMIT`:
///
/// 1. the sender's `members` row and the `conversations` row (the membership guard),
/// 2. per message: the idempotency lookup by (conversation, sender, client message id),
///    `UPDATE conversations … RETURNING last_seq`, the `messages` insert, the `messages_fts`
///    insert and the `events` insert.
///
/// Ids come from the same `UUIDv7Generator` and times from the same `SystemWallClock` the
/// use case uses; the content digest is an FNV-1a of the body, as the draft's is.
///
/// Thread safety: not thread-safe (see ``RawDatabase``).
public final class RawSender: @unchecked Sendable {
    let database: RawDatabase
    let begin: RawStatement
    let commit: RawStatement
    let member: RawStatement
    let conversation: RawStatement
    let idempotency: RawStatement
    let nextSeq: RawStatement
    let insertMessage: RawStatement
    let insertFTS: RawStatement
    let insertEvent: RawStatement
    let bareInsert: RawStatement
    let ids = UUIDv7Generator()
    let clock = SystemWallClock()

    public init(database: RawDatabase) throws {
        self.database = database
        begin = try database.prepare("BEGIN IMMEDIATE TRANSACTION")
        commit = try database.prepare("COMMIT TRANSACTION")
        member = try database.prepare(StoreSQL.member)
        conversation = try database.prepare(StoreSQL.conversation)
        idempotency = try database.prepare(StoreSQL.messageByClientID)
        nextSeq = try database.prepare(StoreSQL.nextSeq)
        insertMessage = try database.prepare(StoreSQL.insertMessage)
        insertFTS = try database.prepare(StoreSQL.insertFTS)
        insertEvent = try database.prepare(StoreSQL.insertEvent)
        bareInsert = try database.prepare(StoreSQL.insertMessage)
    }

    /// Sends `messages` (text, client message id) in one transaction; returns the new seqs.
    public func send(
        _ messages: [(text: String, clientMessageID: String)], to conversationID: UUIDv7, by sender: UUIDv7
    ) throws -> [Int64] {
        let now = clock.now().millisecondsSince1970
        begin.reset()
        try begin.run()
        do {
            member.reset()
            member.bind(1, conversationID)
            member.bind(2, sender)
            guard try member.step() else { throw RawSQLiteError(code: 0, message: "not a member") }
            let membership = try RawMemberRow(member)
            member.reset()
            conversation.reset()
            conversation.bind(1, conversationID)
            guard try conversation.step() else { throw RawSQLiteError(code: 0, message: "no conversation") }
            let conversationRow = try RawConversationRow(conversation)
            conversation.reset()
            guard membership.role != "", conversationRow.kind != "channel" else {
                throw RawSQLiteError(code: 0, message: "cannot post")
            }
            var seqs: [Int64] = []
            seqs.reserveCapacity(messages.count)
            for message in messages {
                idempotency.reset()
                idempotency.bind(1, conversationID)
                idempotency.bind(2, sender)
                idempotency.bind(3, message.clientMessageID)
                if try idempotency.step() {
                    let existing = try RawMessageRow(idempotency)
                    idempotency.reset()
                    seqs.append(existing.seq)
                    continue
                }
                idempotency.reset()

                nextSeq.reset()
                nextSeq.bind(1, now)
                nextSeq.bind(2, conversationID)
                guard try nextSeq.step() else { throw RawSQLiteError(code: 0, message: "no conversation") }
                let seq = nextSeq.int64(0)
                nextSeq.reset()

                let id = ids.next()
                insertMessage.reset()
                insertMessage.bind(1, id)
                insertMessage.bind(2, conversationID)
                insertMessage.bind(3, seq)
                insertMessage.bind(4, sender)
                insertMessage.bind(5, message.clientMessageID)
                insertMessage.bind(6, "text")
                insertMessage.bind(7, message.text)
                // reply_to_id, thread_root_id, mentions, attachments, edited_at, deleted_at: NULL
                insertMessage.bind(12, now)
                insertMessage.bind(15, Int64(bitPattern: fnv1a(message.text)))
                try insertMessage.run()

                insertFTS.reset()
                insertFTS.bind(1, database.lastInsertRowID)
                insertFTS.bind(2, message.text)
                try insertFTS.run()

                insertEvent.reset()
                insertEvent.bind(1, conversationID)
                insertEvent.bind(2, seq)
                insertEvent.bind(3, "messageCreated")
                insertEvent.bind(4, sender)
                insertEvent.bind(5, id)
                // data: NULL for message events
                insertEvent.bind(7, now)
                try insertEvent.run()
                seqs.append(seq)
            }
            commit.reset()
            try commit.run()
            return seqs
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    /// The physical floor: one `messages` row inserted in its own (autocommit) transaction,
    /// nothing read, no search index, no event. `seq` must be new for the conversation.
    public func bareInsert(_ text: String, clientMessageID: String, seq: Int64, to conversationID: UUIDv7, by sender: UUIDv7) throws {
        let now = clock.now().millisecondsSince1970
        bareInsert.reset()
        bareInsert.bind(1, ids.next())
        bareInsert.bind(2, conversationID)
        bareInsert.bind(3, seq)
        bareInsert.bind(4, sender)
        bareInsert.bind(5, clientMessageID)
        bareInsert.bind(6, "text")
        bareInsert.bind(7, text)
        bareInsert.bind(12, now)
        bareInsert.bind(15, Int64(bitPattern: fnv1a(text)))
        try bareInsert.run()
    }

    @inline(__always) func fnv1a(_ text: String) -> UInt64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return value
    }
}
