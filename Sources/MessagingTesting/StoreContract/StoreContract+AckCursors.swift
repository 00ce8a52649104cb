import Foundation
import MessagingCore
import Testing

// The suite of the acknowledgement cursors.
extension StoreContract {
    /// AckCursorStore: batches keep the highest seq, per device and conversation, owned by the first user.
    public func ackCursors() async throws {
        try await withStores { stores in
            let alice = UserID(ids.next())
            let mallory = UserID(ids.next())
            let phone = DeviceID(ids.next())
            let laptop = DeviceID(ids.next())
            let room = ConversationID(ids.next())
            let other = ConversationID(ids.next())
            try await stores.ackCursors.save([
                AckCursor(deviceID: phone, userID: alice, conversationID: room, ackedSeq: 5),
                AckCursor(deviceID: phone, userID: alice, conversationID: other, ackedSeq: 2),
                AckCursor(deviceID: laptop, userID: alice, conversationID: room, ackedSeq: 1),
            ], at: time)
            try await stores.ackCursors.save([
                AckCursor(deviceID: phone, userID: alice, conversationID: room, ackedSeq: 3),
                AckCursor(deviceID: phone, userID: alice, conversationID: other, ackedSeq: 4),
                AckCursor(deviceID: phone, userID: mallory, conversationID: room, ackedSeq: 99),
            ], at: time.adding(milliseconds: 10))
            let cursors = try await stores.ackCursors.cursors(of: phone)
            #expect(Set(cursors) == [
                AckCursor(deviceID: phone, userID: alice, conversationID: room, ackedSeq: 5),
                AckCursor(deviceID: phone, userID: alice, conversationID: other, ackedSeq: 4),
            ], "never backwards; another user naming the same device changes nothing")
            #expect(try await stores.ackCursors.cursors(of: laptop).map(\.ackedSeq) == [1])
            #expect(try await stores.ackCursors.cursors(of: DeviceID(ids.next())).isEmpty)
        }
    }
}
