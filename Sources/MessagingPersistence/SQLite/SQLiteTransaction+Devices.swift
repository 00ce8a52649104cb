import Foundation
import GRDB
import MessagingCore

// MARK: - DeviceStore

extension SQLiteTransaction {
    private static let deviceColumns = "d.id, d.user_id, d.bundle, d.added_at, d.removed_at"

    private func decodeDevice(_ row: Row) throws -> Device {
        guard let bundle = row[2] as Data? else { throw RowCoding.corrupt("a device has no bundle") }
        return Device(
            id: try RowCoding.id(row, 0), userID: try RowCoding.id(row, 1), bundle: bundle,
            addedAt: RowCoding.timestamp(row, 3), removedAt: RowCoding.optionalTimestamp(row, 4))
    }

    func device(id: DeviceID) throws -> Device? {
        try fetchOne("SELECT \(Self.deviceColumns) FROM devices d WHERE d.id = ?", [RowCoding.blob(id)], decodeDevice)
    }

    func insert(_ device: Device) throws {
        try execute(
            "INSERT INTO devices (id, user_id, bundle, added_at, removed_at) VALUES (?, ?, ?, ?, ?)",
            [
                RowCoding.blob(device.id), RowCoding.blob(device.userID), device.bundle,
                device.addedAt.millisecondsSince1970, device.removedAt?.millisecondsSince1970,
            ])
    }

    func markRemoved(_ id: DeviceID, at time: Timestamp) throws {
        try execute(
            "UPDATE devices SET removed_at = ? WHERE id = ? AND removed_at IS NULL",
            [time.millisecondsSince1970, RowCoding.blob(id)])
    }

    func activeMemberDevices(of conversation: ConversationID) throws -> [Device] {
        try fetchAll(
            """
            SELECT \(Self.deviceColumns) FROM members mb JOIN devices d ON d.user_id = mb.user_id
            WHERE mb.conversation_id = ? AND d.removed_at IS NULL ORDER BY d.user_id, d.id
            """,
            [RowCoding.blob(conversation)], decodeDevice)
    }

    func activeDevices(of user: UserID) throws -> [Device] {
        try fetchAll(
            "SELECT \(Self.deviceColumns) FROM devices d WHERE d.user_id = ? AND d.removed_at IS NULL ORDER BY d.id",
            [RowCoding.blob(user)], decodeDevice)
    }

    func encryptedConversations(of user: UserID) throws -> [ConversationID] {
        try fetchAll(
            """
            SELECT mb.conversation_id FROM members mb JOIN conversations c ON c.id = mb.conversation_id
            WHERE mb.user_id = ? AND c.encrypted = 1 ORDER BY mb.conversation_id
            """,
            [RowCoding.blob(user)]) { try RowCoding.id($0, 0) }
    }

    func keyState(of conversation: ConversationID) throws -> ConversationKeyState? {
        try fetchOne(
            "SELECT key_epoch, required_epoch FROM conversation_keys WHERE conversation_id = ?",
            [RowCoding.blob(conversation)]
        ) { row in
            let key: Int64 = row[0]
            let required: Int64 = row[1]
            guard key >= 0, required >= 1 else { throw RowCoding.corrupt("a conversation has negative key epochs") }
            return ConversationKeyState(keyEpoch: UInt64(key), requiredEpoch: UInt64(required))
        }
    }

    func setKeyState(_ state: ConversationKeyState, of conversation: ConversationID) throws {
        try execute(
            """
            INSERT INTO conversation_keys (conversation_id, key_epoch, required_epoch) VALUES (?, ?, ?)
            ON CONFLICT (conversation_id) DO UPDATE SET key_epoch = excluded.key_epoch, required_epoch = excluded.required_epoch
            """,
            [RowCoding.blob(conversation), Int64(clamping: state.keyEpoch), Int64(clamping: state.requiredEpoch)])
    }

    func envelopeRecipients(in conversation: ConversationID, epoch: UInt64) throws -> Set<DeviceID> {
        Set(try fetchAll(
            "SELECT device_id FROM key_envelopes WHERE conversation_id = ? AND epoch = ?",
            [RowCoding.blob(conversation), Int64(clamping: epoch)]) { try RowCoding.id($0, 0) as DeviceID })
    }

    func appendEnvelope(
        _ envelope: Data, to recipient: DeviceID, conversation: ConversationID, epoch: UInt64, sender: DeviceID,
        at time: Timestamp
    ) throws -> Int64 {
        let seq = try Int64.fetchOne(
            statement("UPDATE devices SET inbox_seq = inbox_seq + 1 WHERE id = ? RETURNING inbox_seq"),
            arguments: [RowCoding.blob(recipient)])
        guard let seq else { throw MessagingError(code: .notFound, message: "No device has the id \(recipient).") }
        try execute(
            """
            INSERT INTO key_envelopes (device_id, seq, conversation_id, epoch, sender_device, envelope, stored_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                RowCoding.blob(recipient), seq, RowCoding.blob(conversation), Int64(clamping: epoch),
                RowCoding.blob(sender), envelope, time.millisecondsSince1970,
            ])
        return seq
    }

    func envelopes(for device: DeviceID, after seq: Int64, limit: Int) throws -> [StoredKeyEnvelope] {
        try fetchAll(
            """
            SELECT device_id, seq, conversation_id, epoch, sender_device, envelope, stored_at FROM key_envelopes
            WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT ?
            """,
            [RowCoding.blob(device), seq, limit]
        ) { row in
            let epoch: Int64 = row[3]
            guard epoch >= 1, let envelope = row[5] as Data? else { throw RowCoding.corrupt("a key envelope row is invalid") }
            return StoredKeyEnvelope(
                recipientDeviceID: try RowCoding.id(row, 0), seq: row[1], conversationID: try RowCoding.id(row, 2),
                epoch: UInt64(epoch), senderDeviceID: try RowCoding.id(row, 4), envelope: envelope,
                storedAt: RowCoding.timestamp(row, 6))
        }
    }
}
