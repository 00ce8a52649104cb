import Foundation
import MessagingCore
import Testing

/// Every use case × every standing a caller can have in a conversation. A caller that is
/// not a member gets `notFound` and changes nothing.
@Suite("Authorization matrix")
struct AuthorizationMatrixTests {
    enum Standing: String, CaseIterable, Sendable { case owner, admin, member, removed, nonMember }
    enum Outcome: Sendable, Equatable { case ok, notFound, forbidden, conflict }

    /// The conversation a case runs against, with a caller in each standing.
    struct World: Sendable {
        let fixture: Fixture
        let room: Conversation
        let channel: Conversation
        let callers: [Standing: User]
        let target: User  // a plain member acted upon
        let newcomer: User
        let targetsMessage: Message
        let ownMessages: [Standing: Message]

        static func make() async throws -> World {
            let fixture = try Fixture()
            let users = try await fixture.users("owner", "admin", "member", "removed", "outsider", "target", "newcomer")
            let (owner, admin, member, removed, outsider, target, newcomer) =
                (users[0], users[1], users[2], users[3], users[4], users[5], users[6])
            let conversations = fixture.messaging.conversations
            let room = try await conversations.create(.group(title: "room", members: [admin.id, member.id, removed.id, target.id]), by: owner.id)
            let channel = try await conversations.create(.channel(title: "news", members: [admin.id, member.id, removed.id]), by: owner.id)
            for conversation in [room, channel] {
                _ = try await conversations.changeRole(of: admin.id, to: .admin, in: conversation.id, by: owner.id)
            }
            var own: [Standing: Message] = [:]
            for (standing, user) in [(Standing.owner, owner), (.admin, admin), (.member, member), (.removed, removed)] {
                own[standing] = try await fixture.send("mine \(standing)", to: room.id, by: user.id)
            }
            let targetsMessage = try await fixture.send("target's words", to: room.id, by: target.id)
            try await conversations.removeMember(removed.id, from: room.id, by: owner.id)
            try await conversations.removeMember(removed.id, from: channel.id, by: owner.id)
            let callers: [Standing: User] = [.owner: owner, .admin: admin, .member: member, .removed: removed, .nonMember: outsider]
            return World(
                fixture: fixture, room: try await conversations.conversation(room.id, for: owner.id),
                channel: try await conversations.conversation(channel.id, for: owner.id), callers: callers,
                target: target, newcomer: newcomer, targetsMessage: targetsMessage, ownMessages: own)
        }

        /// Everything a rejected call must leave unchanged.
        func snapshot() async throws -> [String] {
            let owner = callers[.owner]!.id
            var lines: [String] = []
            for conversation in [room, channel] {
                let state = try await fixture.messaging.conversations.conversation(conversation.id, for: owner)
                let members = try await fixture.messaging.conversations.members(of: conversation.id, for: owner)
                lines.append("\(state)")
                lines.append("\(members)")
                lines.append("\(try await fixture.allEvents(conversation.id, for: owner).count)")
            }
            lines.append("\(try await fixture.messaging.readState.unreadCounts(for: callers[.member]!.id))")
            return lines
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let expected: [Outcome]  // owner, admin, member, removed, nonMember
        let run: @Sendable (World, User, Standing) async throws -> Void
        var testDescription: String { name }
    }

    static let allowedToMembers: [Outcome] = [.ok, .ok, .ok, .notFound, .notFound]
    static let moderators: [Outcome] = [.ok, .ok, .forbidden, .notFound, .notFound]

    static let cases: [Case] = [
        Case(name: "send", expected: allowedToMembers) { world, user, _ in
            try await world.fixture.send("hi", to: world.room.id, by: user.id)
        },
        Case(name: "send in a channel", expected: moderators) { world, user, _ in
            try await world.fixture.send("news", to: world.channel.id, by: user.id)
        },
        Case(name: "edit own message", expected: allowedToMembers) { world, user, standing in
            let message = world.ownMessages[standing] ?? world.targetsMessage
            _ = try await world.fixture.messaging.messages.edit(message.id, to: .text("edited"), by: user.id)
        },
        Case(name: "delete own message", expected: allowedToMembers) { world, user, standing in
            let message = world.ownMessages[standing] ?? world.targetsMessage
            _ = try await world.fixture.messaging.messages.delete(message.id, by: user.id)
        },
        Case(name: "delete another member's message", expected: moderators) { world, user, _ in
            _ = try await world.fixture.messaging.messages.delete(world.targetsMessage.id, by: user.id)
        },
        Case(name: "react", expected: allowedToMembers) { world, user, _ in
            try await world.fixture.messaging.messages.react(to: world.targetsMessage.id, with: Emoji("👍"), by: user.id)
        },
        Case(name: "unreact", expected: allowedToMembers) { world, user, _ in
            try await world.fixture.messaging.messages.unreact(to: world.targetsMessage.id, with: Emoji("👍"), by: user.id)
        },
        Case(name: "history", expected: allowedToMembers) { world, user, _ in
            _ = try await world.fixture.messaging.messages.history(of: world.room.id, for: user.id)
        },
        Case(name: "events since", expected: allowedToMembers) { world, user, _ in
            _ = try await world.fixture.messaging.sync.events(in: world.room.id, after: 0, for: user.id)
        },
        Case(name: "mark read", expected: allowedToMembers) { world, user, _ in
            _ = try await world.fixture.messaging.readState.markRead(world.room.id, upTo: 1, by: user.id)
        },
        Case(name: "search in the conversation", expected: allowedToMembers) { world, user, _ in
            _ = try await world.fixture.messaging.search.search("words", in: world.room.id, for: user.id)
        },
        Case(name: "conversation listed and readable", expected: allowedToMembers) { world, user, _ in
            let page = try await world.fixture.messaging.conversations.conversations(of: user.id)
            let listed = page.conversations.contains { $0.conversation.id == world.room.id }
            do {
                _ = try await world.fixture.messaging.conversations.conversation(world.room.id, for: user.id)
                #expect(listed, "a readable conversation is listed")
            } catch {
                #expect(!listed, "an unreadable conversation is not listed")
                throw error
            }
        },
        Case(name: "list members", expected: allowedToMembers) { world, user, _ in
            _ = try await world.fixture.messaging.conversations.members(of: world.room.id, for: user.id)
        },
        Case(name: "add a member", expected: moderators) { world, user, _ in
            _ = try await world.fixture.messaging.conversations.addMember(world.newcomer.id, to: world.room.id, by: user.id)
        },
        Case(name: "remove a member", expected: moderators) { world, user, _ in
            try await world.fixture.messaging.conversations.removeMember(world.target.id, from: world.room.id, by: user.id)
        },
        Case(name: "change a member's role", expected: moderators) { world, user, _ in
            _ = try await world.fixture.messaging.conversations.changeRole(of: world.target.id, to: .admin, in: world.room.id, by: user.id)
        },
        Case(name: "update title and topic", expected: moderators) { world, user, _ in
            _ = try await world.fixture.messaging.conversations.update(world.room.id, with: .init(title: "renamed", topic: "new"), by: user.id)
        },
        Case(name: "leave", expected: [.conflict, .ok, .ok, .notFound, .notFound]) { world, user, _ in
            try await world.fixture.messaging.conversations.leave(world.room.id, by: user.id)
        },
    ]

    @Test("use case × standing", arguments: cases)
    func matrix(_ useCase: Case) async throws {
        for (standing, expected) in zip(Standing.allCases, useCase.expected) {
            let world = try await World.make()
            defer { try? FileManager.default.removeItem(at: world.fixture.directory) }
            let caller = world.callers[standing]!
            let before = try await world.snapshot()
            var outcome: Outcome = .ok
            do {
                try await useCase.run(world, caller, standing)
            } catch let error as MessagingError {
                switch error.code {
                case .notFound: outcome = .notFound
                case .forbidden: outcome = .forbidden
                case .conflict: outcome = .conflict
                default:
                    Issue.record("\(useCase.name) as \(standing): unexpected \(error)")
                    continue
                }
            }
            #expect(outcome == expected, "\(useCase.name) as \(standing)")
            if outcome != .ok {
                #expect(try await world.snapshot() == before, "\(useCase.name) as \(standing) changed state although it was refused")
            }
        }
    }
}
