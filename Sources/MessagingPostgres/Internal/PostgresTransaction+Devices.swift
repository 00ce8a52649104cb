import Foundation
import MessagingCore
import PostgresNIO

// MARK: - DeviceStore

extension PostgresTransaction {
    private static let deviceColumns = "d.id, d.user_id, d.bundle, d.added_at, d.removed_at"

    private func decodeDevice(_ row: Cells) throws -> Device {
        Device(
            id: try row.id(0), userID: try row.id(1), bundle: try row.bytes(2), addedAt: try row.timestamp(3),
            removedAt: try row.optionalTimestamp(4))
    }

    func device(id: DeviceID) throws -> Device? {
        try fetchOne(
            "SELECT \(unescaped: Self.deviceColumns) FROM devices d WHERE d.id = \(PostgresCoding.uuid(id))", "reading a device",
            decodeDevice)
    }

    func insert(_ device: Device) throws {
        try execute(
            """
            INSERT INTO devices (id, user_id, bundle, added_at, removed_at)
            VALUES (\(PostgresCoding.uuid(device.id)), \(PostgresCoding.uuid(device.userID)), \(device.bundle),
                \(device.addedAt.millisecondsSince1970), \(device.removedAt?.millisecondsSince1970))
            """, "inserting a device")
    }

    func markRemoved(_ id: DeviceID, at time: Timestamp) throws {
        try execute(
            "UPDATE devices SET removed_at = \(time.millisecondsSince1970) WHERE id = \(PostgresCoding.uuid(id)) AND removed_at IS NULL",
            "removing a device")
    }

    func activeMemberDevices(of conversation: ConversationID) throws -> [Device] {
        try fetchAll(
            """
            SELECT \(unescaped: Self.deviceColumns) FROM members mb JOIN devices d ON d.user_id = mb.user_id
            WHERE mb.conversation_id = \(PostgresCoding.uuid(conversation)) AND d.removed_at IS NULL ORDER BY d.user_id, d.id
            """, "listing member devices", decodeDevice)
    }

    func activeDevices(of user: UserID) throws -> [Device] {
        try fetchAll(
            """
            SELECT \(unescaped: Self.deviceColumns) FROM devices d
            WHERE d.user_id = \(PostgresCoding.uuid(user)) AND d.removed_at IS NULL ORDER BY d.id
            """, "listing devices", decodeDevice)
    }

    func encryptedConversations(of user: UserID) throws -> [ConversationID] {
        try fetchAll(
            """
            SELECT mb.conversation_id FROM members mb JOIN conversations c ON c.id = mb.conversation_id
            WHERE mb.user_id = \(PostgresCoding.uuid(user)) AND c.encrypted ORDER BY mb.conversation_id
            """, "listing encrypted conversations") { try $0.id(0) }
    }

    func keyState(of conversation: ConversationID) throws -> ConversationKeyState? {
        try fetchOne(
            "SELECT key_epoch, required_epoch FROM conversation_keys WHERE conversation_id = \(PostgresCoding.uuid(conversation))",
            "reading a key state"
        ) { row in
            let key = try row.int64(0)
            let required = try row.int64(1)
            guard key >= 0, required >= 1 else { throw PostgresCoding.corrupt("a conversation has negative key epochs") }
            return ConversationKeyState(keyEpoch: UInt64(key), requiredEpoch: UInt64(required))
        }
    }

    func setKeyState(_ state: ConversationKeyState, of conversation: ConversationID) throws {
        try execute(
            """
            INSERT INTO conversation_keys (conversation_id, key_epoch, required_epoch)
            VALUES (\(PostgresCoding.uuid(conversation)), \(Int64(clamping: state.keyEpoch)), \(Int64(clamping: state.requiredEpoch)))
            ON CONFLICT (conversation_id) DO UPDATE SET key_epoch = excluded.key_epoch, required_epoch = excluded.required_epoch
            """, "saving a key state")
    }

    func envelopeRecipients(in conversation: ConversationID, epoch: UInt64) throws -> Set<DeviceID> {
        Set(try fetchAll(
            """
            SELECT device_id FROM key_envelopes
            WHERE conversation_id = \(PostgresCoding.uuid(conversation)) AND epoch = \(Int64(clamping: epoch))
            """, "listing envelope recipients") { try $0.id(0) as DeviceID })
    }

    func appendEnvelope(
        _ envelope: Data, to recipient: DeviceID, conversation: ConversationID, epoch: UInt64, sender: DeviceID,
        at time: Timestamp
    ) throws -> Int64 {
        // The device row's lock, held until commit, orders concurrent appends to one inbox.
        let seq = try fetchOne(
            "UPDATE devices SET inbox_seq = inbox_seq + 1 WHERE id = \(PostgresCoding.uuid(recipient)) RETURNING inbox_seq",
            "numbering an envelope") { try $0.int64(0) }
        guard let seq else { throw MessagingError(code: .notFound, message: "No device has the id \(recipient).") }
        try execute(
            """
            INSERT INTO key_envelopes (device_id, seq, conversation_id, epoch, sender_device, envelope, stored_at)
            VALUES (\(PostgresCoding.uuid(recipient)), \(seq), \(PostgresCoding.uuid(conversation)), \(Int64(clamping: epoch)),
                \(PostgresCoding.uuid(sender)), \(envelope), \(time.millisecondsSince1970))
            """, "storing an envelope")
        return seq
    }

    func envelopes(for device: DeviceID, after seq: Int64, limit: Int) throws -> [StoredKeyEnvelope] {
        try fetchAll(
            """
            SELECT device_id, seq, conversation_id, epoch, sender_device, envelope, stored_at FROM key_envelopes
            WHERE device_id = \(PostgresCoding.uuid(device)) AND seq > \(seq) ORDER BY seq LIMIT \(limit)
            """, "reading an envelope inbox"
        ) { row in
            let epoch = try row.int64(3)
            guard epoch >= 1 else { throw PostgresCoding.corrupt("a key envelope row is invalid") }
            return StoredKeyEnvelope(
                recipientDeviceID: try row.id(0), seq: try row.int64(1), conversationID: try row.id(2),
                epoch: UInt64(epoch), senderDeviceID: try row.id(4), envelope: try row.bytes(5), storedAt: try row.timestamp(6))
        }
    }
}
