import Foundation
import MessagingCore
import MessagingPresence
@testable import MessagingTransport
import MessagingWire
import Testing

@Suite("Typing and presence frames are encoded once per change")
struct ChangeFrameCacheTests {
    @Test("every watcher of one change gets the same frame, equal to the frame encoded directly; other changes have none")
    func oneEncodingPerChange() throws {
        let cache = ChangeFrameCache(capacity: 2)
        let ids = UUIDv7Generator()
        let typing = TypingChange(conversationID: ConversationID(ids.next()), userID: UserID(ids.next()), isTyping: true)
        let change = PresenceChange.typing(typing)
        let first = try #require(cache.frame(for: change))
        #expect(first == ServerFrame.typing(conversationID: typing.conversationID, userID: typing.userID, isTyping: true).transportFrame)
        for _ in 0..<100 { #expect(cache.frame(for: change) == first) }
        // Older changes leave the cache once it is full, and come back encoded the same way.
        let other = PresenceChange.typing(TypingChange(conversationID: typing.conversationID, userID: typing.userID, isTyping: false))
        _ = cache.frame(for: other)
        _ = cache.frame(for: .typing(TypingChange(conversationID: typing.conversationID, userID: UserID(ids.next()), isTyping: true)))
        #expect(cache.frame(for: change) == first)
        #expect(cache.frame(for: .hidden(typing.userID)) == nil)
    }
}
