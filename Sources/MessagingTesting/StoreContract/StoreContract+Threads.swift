import Foundation
import MessagingCore
import Testing

// The suites of the read side: reaction summaries and threads.
extension StoreContract {
    /// MessageStore: summaries: reactions per message and emoji, with the reader's own flag, for many messages at once.
    public func reactionSummaries() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            let bob = try await makeUser(store, "bob")
            let carol = try await makeUser(store, "carol")
            let room = try await makeConversation(store, members: [alice, bob, carol])
            let messages = try (1...3).map { try makeMessage(room.id, alice.id, seq: Int64($0)) }
            let (thumbs, party, heart) = (try Emoji("👍"), try Emoji("🎉"), try Emoji("❤️"))
            try await store.write { transaction throws in
                for message in messages { try transaction.insert(message) }
                // messages[0]: 🎉 first (bob), then 👍 by alice and bob; messages[1]: ❤️ by carol only.
                let reactions: [(Int, User, Emoji, Int64)] = [
                    (0, bob, party, 1), (0, alice, thumbs, 2), (0, bob, thumbs, 3), (1, carol, heart, 1),
                ]
                for (index, user, emoji, offset) in reactions {
                    _ = try transaction.insert(Reaction(
                        messageID: messages[index].id, userID: user.id, emoji: emoji, createdAt: self.time.adding(milliseconds: offset)))
                }
            }
            let forAlice = try await store.read { try $0.summaries(of: messages.map(\.id), for: alice.id).reactions }
            #expect(forAlice[messages[0].id] == [
                ReactionSummary(emoji: party, count: 1, includesReader: false),
                ReactionSummary(emoji: thumbs, count: 2, includesReader: true),
            ], "ordered by when each emoji was first left")
            #expect(forAlice[messages[1].id] == [ReactionSummary(emoji: heart, count: 1, includesReader: false)])
            #expect(forAlice[messages[2].id] == nil, "a message without reactions is absent")
            let forCarol = try await store.read { try $0.summaries(of: [messages[1].id], for: carol.id).reactions }
            #expect(forCarol == [messages[1].id: [ReactionSummary(emoji: heart, count: 1, includesReader: true)]])
            #expect(try await store.read { try $0.summaries(of: [], for: alice.id) } == MessageSummaries())

            // More ids than one batch of the SQLite adapter (512), and a removed reaction.
            let many: [MessageID] = (0..<600).map { _ in ids.next() } + [messages[0].id]
            try await store.write { _ = try $0.deleteReaction(on: messages[0].id, by: bob.id, emoji: party) }
            let afterRemoval = try await store.read { try $0.summaries(of: many, for: bob.id).reactions }
            #expect(afterRemoval == [messages[0].id: [ReactionSummary(emoji: thumbs, count: 2, includesReader: true)]])
        }
    }

    /// MessageStore: replies of a root by keyset on seq both ways; summaries: each root's reply count and newest reply, with its reactions in the same answer.
    public func threads() async throws {
        try await withStore { store in
            let alice = try await makeUser(store, "alice")
            let room = try await makeConversation(store, members: [alice])
            let root = try makeMessage(room.id, alice.id, seq: 1)
            let quiet = try makeMessage(room.id, alice.id, seq: 2)
            let other = try makeMessage(room.id, alice.id, seq: 3)
            // Replies of `root` at seq 4, 5, 7, 8, 9; one reply of `other` at 6.
            let replySeqs: [Int64] = [4, 5, 7, 8, 9]
            let replies = try replySeqs.map { try makeReply(to: root, seq: $0, at: time.adding(milliseconds: $0)) }
            let otherReply = try makeReply(to: other, seq: 6, at: time.adding(milliseconds: 6))
            try await store.write { transaction throws in
                for message in [root, quiet, other] + replies + [otherReply] { try transaction.insert(message) }
                try transaction.tombstone(replies[1].id, at: self.time.adding(milliseconds: 20))
            }
            try await store.read { transaction throws in
                #expect(try transaction.replies(to: root.id, before: nil, limit: 2).map(\.seq) == [9, 8])
                #expect(try transaction.replies(to: root.id, before: 8, limit: 2).map(\.seq) == [7, 5])
                #expect(try transaction.replies(to: root.id, before: 5, limit: 2).map(\.seq) == [4])
                #expect(try transaction.replies(to: root.id, after: nil, limit: 3).map(\.seq) == [4, 5, 7])
                #expect(try transaction.replies(to: root.id, after: 7, limit: 3).map(\.seq) == [8, 9])
                #expect(try transaction.replies(to: quiet.id, after: nil, limit: 3).isEmpty)
                let tombstone = try transaction.replies(to: root.id, after: 4, limit: 1)
                #expect(tombstone.first?.isDeleted == true, "deleted replies stay in the thread as tombstones")

                let summaries = try transaction.summaries(of: [root.id, quiet.id, other.id], for: alice.id).threads
                #expect(summaries[root.id] == ThreadSummary(
                    replyCount: 5, lastReplySeq: 9, lastReplyID: replies[4].id, lastReplyAt: self.time.adding(milliseconds: 9)))
                #expect(summaries[other.id] == ThreadSummary(
                    replyCount: 1, lastReplySeq: 6, lastReplyID: otherReply.id, lastReplyAt: self.time.adding(milliseconds: 6)))
                #expect(summaries[quiet.id] == nil, "a root without replies is absent")
                #expect(summaries.count == 2)
                #expect(try transaction.summaries(of: [replies[0].id], for: alice.id) == MessageSummaries(), "a reply is no root")
            }
            try await combinedSummaries(store, root: other, reply: otherReply, reader: alice.id)
        }
    }

    /// MessageStore: one summaries answer holds a root's reactions and its thread together.
    func combinedSummaries(_ store: any MessagingStore, root: Message, reply: Message, reader: UserID) async throws {
        let emoji = try Emoji("👀")
        try await store.write { _ = try $0.insert(Reaction(messageID: root.id, userID: reader, emoji: emoji, createdAt: self.time)) }
        let both = try await store.read { try $0.summaries(of: [root.id, reply.id], for: reader) }
        #expect(both.reactions == [root.id: [ReactionSummary(emoji: emoji, count: 1, includesReader: true)]])
        #expect(both.threads[root.id]?.replyCount == 1 && both.threads[root.id]?.lastReplyID == reply.id)
        #expect(both.threads[reply.id] == nil)
    }

    func makeReply(to root: Message, seq: Int64, at time: Timestamp) throws -> Message {
        Message(
            id: ids.next(), conversationID: root.conversationID, senderID: root.senderID, seq: seq,
            clientMessageID: try ClientMessageID("r\(seq)"), kind: .text, body: .text("reply \(seq)"), replyToID: root.id,
            threadRootID: root.id, mentions: [], attachments: [], createdAt: time, editedAt: nil, deletedAt: nil,
            contentDigest: UInt64(seq))
    }
}
