import Foundation
@testable import MessagingAuth
import MessagingCore
import Testing

@Suite("Sessions: listing, revocation and the revocation feed")
struct SessionTests {
    @Test("one session per login, with device, address and times")
    func listing() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let laptop = try await fixture.login("alice", device: "Laptop", address: "192.0.2.1")
        fixture.clock.advance(milliseconds: 1_000)
        let phone = try await fixture.login("alice", device: "Phone", address: "2001:db8::1")
        let principal = try await fixture.auth.authenticate(phone.tokens.accessToken.compact)
        let sessions = try await fixture.auth.sessions(of: principal)
        #expect(sessions.map(\.id) == [phone.tokens.session.id, laptop.tokens.session.id], "newest first")
        #expect(sessions.map(\.deviceName) == ["Phone", "Laptop"])
        #expect(sessions.map(\.clientAddress) == ["2001:db8::1", "192.0.2.1"])
        #expect(sessions[1].createdAt == laptop.tokens.session.createdAt)
        #expect(sessions[0].lastUsedAt == fixture.clock.now())
        #expect(throws: MessagingError.self, "device names are one line") { _ = try ClientInfo(deviceName: "Bad\nname") }
        #expect(throws: MessagingError.self) { _ = try ClientInfo(deviceName: "ok", address: String(repeating: "1", count: 65)) }
    }

    @Test("revoke one, then all; the feed publishes each revocation well within a second")
    func revocation() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let sessions = [
            try await fixture.login("alice", device: "A"), try await fixture.login("alice", device: "B"),
            try await fixture.login("alice", device: "C"),
        ]
        let principal = try await fixture.auth.authenticate(sessions[0].tokens.accessToken.compact)

        // A transport subscribes, then waits for its session's revocation.
        let watched = sessions[1].tokens.session.id
        let feed = fixture.events.revocations()
        let clock = ContinuousClock()
        let watcher = Task { () -> (SessionRevocation?, ContinuousClock.Instant) in
            for await revocation in feed where revocation.sessionID == watched {
                return (revocation, clock.now)
            }
            return (nil, clock.now)
        }
        // The lag measured is the feed's, from the committed revocation to the watcher: the
        // store write before it is not (under a parallel test run it alone has taken a second).
        try await fixture.auth.revokeSession(watched, by: principal)
        let committed = clock.now
        let (event, received) = await watcher.value
        #expect(event?.reason == .revokedByOwner)
        #expect(received - committed < .seconds(1), "published within a second of the commit (took \(received - committed))")

        let open = try await fixture.auth.sessions(of: principal)
        #expect(open.map(\.id).sorted() == [sessions[0].tokens.session.id, sessions[2].tokens.session.id].sorted())
        await expectAuthError(.sessionRevoked) { try await fixture.auth.authenticate(sessions[1].tokens.accessToken.compact) }
        #expect(try await fixture.tokens.verify(sessions[1].tokens.accessToken.compact).sessionID == watched,
                "the stateless check alone still accepts it: that is why the feed exists")
        try await fixture.auth.revokeSession(watched, by: principal)  // idempotent: no error, no second event

        // Log out everywhere but here.
        let all = fixture.events.revocations()
        #expect(try await fixture.auth.revokeAllSessions(of: principal, keepingCurrent: true) == 1)
        var iterator = all.makeAsyncIterator()
        #expect(await iterator.next()?.sessionID == sessions[2].tokens.session.id)
        // And everywhere.
        #expect(try await fixture.auth.revokeAllSessions(of: principal) == 1)
        let last = await iterator.next()
        #expect(last?.sessionID == sessions[0].tokens.session.id && last?.reason == .logoutEverywhere)
        #expect(try await fixture.auth.sessions(of: principal).isEmpty)
        #expect(try await fixture.auth.sessions(of: principal, includeEnded: true).count == 3)
    }

    @Test("another user's session is notFound, unless the policy grants manageAnySession")
    func foreignSessions() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let bob = try await fixture.register("bob")
        try await fixture.register("mod", roles: [.moderator])
        let alice = try await fixture.auth.authenticate(try await fixture.login("alice").tokens.accessToken.compact)
        let moderator = try await fixture.auth.authenticate(try await fixture.login("mod").tokens.accessToken.compact)
        let bobLogin = try await fixture.login("bob")
        await expectAuthError(.notFound) { try await fixture.auth.revokeSession(bobLogin.tokens.session.id, by: alice) }
        await expectAuthError(.forbidden) { try await fixture.auth.sessions(of: bob.user.id, by: alice) }
        await expectAuthError(.notFound) { try await fixture.auth.revokeSession(SessionID(UUIDv7Generator().next()), by: alice) }
        #expect(try await fixture.auth.sessions(of: bob.user.id, by: moderator).count == 1)
        try await fixture.auth.revokeSession(bobLogin.tokens.session.id, by: moderator)
        let stored = try await fixture.auth.sessions(of: bob.user.id, by: moderator, includeEnded: true)
        #expect(stored.first?.revocationReason == .revokedByAdmin)
    }

    @Test("logout with the refresh token alone (a browser's cookie)")
    func logoutByRefreshToken() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let login = try await fixture.login("alice")
        let feed = fixture.events.revocations()
        try await fixture.auth.logout(login.tokens.refreshToken)
        var iterator = feed.makeAsyncIterator()
        #expect(await iterator.next()?.reason == .logout)
        await expectAuthError(.sessionRevoked) { try await fixture.auth.refresh(login.tokens.refreshToken) }
        try await fixture.auth.logout(RefreshToken.generate())  // unknown: ignored
    }

    @Test("the in-process feed delivers to every subscriber and forgets cancelled ones")
    func feedSubscribers() async throws {
        let events = InMemorySessionEvents()
        let revocation = SessionRevocation(
            sessionID: SessionID(UUIDv7Generator().next()), userID: UserID(UUIDv7Generator().next()), reason: .logout,
            revokedAt: Timestamp(millisecondsSince1970: 1))
        let first = events.revocations()
        let second = events.revocations()
        #expect(events.subscriberCount == 2)
        await events.publish(revocation)
        var one = first.makeAsyncIterator()
        var two = second.makeAsyncIterator()
        #expect(await one.next() == revocation)
        #expect(await two.next() == revocation)
        let task = Task { for await _ in events.revocations() {} }
        while events.subscriberCount < 3 { await Task.yield() }
        task.cancel()
        await task.value
        #expect(events.subscriberCount == 2)
    }
}
