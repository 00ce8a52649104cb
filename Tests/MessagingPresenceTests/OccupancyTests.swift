import MessagingCore
import MessagingPresence
import Testing

@Suite("Large rooms report occupancy")
struct OccupancyTests {
    @Test("Occupancy mode switches at the threshold", arguments: [2, 3, 4])
    func threshold(memberCount: Int) async throws {
        let harness = try Harness(PresenceConfiguration(largeRoomThreshold: 3))
        let members = (0..<memberCount).map { _ in harness.user() }
        let room = harness.fixed.makeConversation(members)
        try harness.tracker.heartbeat(user: members[0], device: harness.device())
        let view = harness.tracker.subscribe(as: members[1])
        let snapshot = try await view.watch(conversation: room)
        if memberCount <= 3 {
            guard case .members(let presences, _) = snapshot else {
                Issue.record("\(memberCount) members ≤ threshold must report per-member presence, got \(snapshot)")
                return
            }
            #expect(presences.count == memberCount)
            #expect(presences.filter { $0.state == .online }.map(\.userID) == [members[0]])
        } else {
            #expect(snapshot == .occupancy(ConversationOccupancy(conversationID: room, onlineCount: 1, memberCount: 4)))
        }
    }

    @Test("An occupancy room sends counts, not members; joining and leaving switch the mode")
    func counts() async throws {
        let harness = try Harness(PresenceConfiguration(offlineGracePeriod: .zero, largeRoomThreshold: 3))
        let tracker = harness.tracker
        let members = (0..<4).map { _ in harness.user() }
        let room = harness.fixed.makeConversation(members)
        let view = tracker.subscribe(as: members[0])
        #expect(try await view.watch(conversation: room)
            == .occupancy(ConversationOccupancy(conversationID: room, onlineCount: 0, memberCount: 4)))

        let devices = members.map { _ in harness.device() }
        try tracker.heartbeat(user: members[1], device: devices[1])
        try tracker.heartbeat(user: members[2], device: devices[2])
        try tracker.heartbeat(user: members[2], device: harness.device())  // a second device counts once
        #expect(view.takePendingChanges() == [.occupancy(ConversationOccupancy(conversationID: room, onlineCount: 2, memberCount: 4))])
        // No typing indicators in large rooms.
        #expect(try await tracker.typing(true, by: members[1], in: room) == .accepted)
        #expect(view.takePendingChanges().isEmpty)
        // Away still counts as online; status changes are not broadcast to large rooms.
        try tracker.heartbeat(user: members[1], device: devices[1], activity: .idle)
        try tracker.setStatus(StatusText("busy"), for: members[1])
        #expect(view.takePendingChanges().isEmpty)

        // A member leaves: 3 members, at the threshold, so per-member presence again.
        harness.fixed.setMember(members[3], of: room, false)
        try await tracker.membershipChanged(of: members[3], in: room, isMember: false)
        let back = presences(view.takePendingChanges())
        let busy = try StatusText("busy")
        #expect(back[members[1]]?.state == .away)
        #expect(back[members[1]]?.statusText == busy)
        #expect(back[members[2]]?.state == .online)
        tracker.disconnect(device: devices[1], of: members[1])
        #expect(presences(view.takePendingChanges())[members[1]]?.state == .offline)

        // Someone joins: 4 members again, occupancy again.
        let newcomer = harness.user()
        harness.fixed.setMember(newcomer, of: room, true)
        try await tracker.membershipChanged(of: newcomer, in: room, isMember: true)
        #expect(view.takePendingChanges() == [.occupancy(ConversationOccupancy(conversationID: room, onlineCount: 1, memberCount: 4))])
    }
}
