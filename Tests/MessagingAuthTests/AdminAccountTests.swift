import Foundation
import MessagingAuth
import MessagingCore
import Synchronization
import Testing

/// Records the accounts it was asked to erase; fails while `failing` is set.
private final class RecordingEraser: AccountDataEraser, Sendable {
    struct Failure: Error {}
    let erased = Mutex<[UserID]>([])
    let failing = Mutex(false)
    func eraseData(of user: UserID) async throws {
        if failing.withLock({ $0 }) { throw Failure() }
        erased.withLock { $0.append(user) }
    }
}

@Suite("Account administration (AuthService)")
struct AdminAccountTests {
    @Test("a password reset needs manageAccounts, never on oneself, checks the policy and revokes every session")
    func passwordReset() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        let root = try await fixture.register("root", roles: [.admin])
        try await fixture.register("mod", roles: [.moderator])
        let bob = try await fixture.register("bob")
        let admin = try await fixture.auth.authenticate(try await fixture.login("root").tokens.accessToken.compact)
        let moderator = try await fixture.auth.authenticate(try await fixture.login("mod").tokens.accessToken.compact)
        let bobLogin = try await fixture.login("bob")
        let bobPrincipal = try await fixture.auth.authenticate(bobLogin.tokens.accessToken.compact)
        let fresh: Password = "a brand new passphrase"

        await expectAuthError(.forbidden) { try await fixture.auth.resetPassword(of: bob.user.id, to: fresh, by: moderator) }
        await expectAuthError(.forbidden) { try await fixture.auth.resetPassword(of: bob.user.id, to: fresh, by: bobPrincipal) }
        await expectAuthError(.forbidden) { try await fixture.auth.resetPassword(of: root.user.id, to: fresh, by: admin) }
        await expectAuthError(.weakPassword) { try await fixture.auth.resetPassword(of: bob.user.id, to: "short", by: admin) }
        await expectAuthError(.notFound) {
            try await fixture.auth.resetPassword(of: UserID(UUIDv7Generator().next()), to: fresh, by: admin)
        }
        _ = try await fixture.auth.authenticate(bobLogin.tokens.accessToken.compact)  // nothing changed so far

        let feed = fixture.events.revocations()
        try await fixture.auth.resetPassword(of: bob.user.id, to: fresh, by: admin)
        var iterator = feed.makeAsyncIterator()
        let event = try #require(await iterator.next())
        #expect(event.sessionID == bobLogin.tokens.session.id && event.reason == .passwordReset)
        await expectAuthError(.sessionRevoked) { try await fixture.auth.authenticate(bobLogin.tokens.accessToken.compact) }
        await expectAuthError(.invalidCredentials) { try await fixture.login("bob") }
        _ = try await fixture.auth.login(handle: "bob", password: fresh, client: try ClientInfo(deviceName: "Phone"))
    }

    @Test("an admin cannot disable themselves or give up manageAccounts; reading an account needs it, except one's own")
    func selfProtection() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        let root = try await fixture.register("root", roles: [.admin])
        let bob = try await fixture.register("bob")
        let admin = try await fixture.auth.authenticate(try await fixture.login("root").tokens.accessToken.compact)
        let bobPrincipal = try await fixture.auth.authenticate(try await fixture.login("bob").tokens.accessToken.compact)
        await expectAuthError(.forbidden) { try await fixture.auth.setDisabled(true, account: root.user.id, by: admin) }
        await expectAuthError(.forbidden) { try await fixture.auth.setRoles([.moderator], account: root.user.id, by: admin) }
        try await fixture.auth.setRoles([.admin, .moderator], account: root.user.id, by: admin)
        #expect(try await fixture.auth.account(root.user.id).roles == [.admin, .moderator])
        #expect(try await fixture.auth.account(bob.user.id, by: bobPrincipal).user.id == bob.user.id)
        await expectAuthError(.forbidden) { try await fixture.auth.account(root.user.id, by: bobPrincipal) }
        #expect(try await fixture.auth.account(bob.user.id, by: admin).disabledAt == nil)
    }

    @Test("deleting an account: oneself with the password or an admin; sessions revoked, data erased, credential gone, handle kept")
    func deleteAccount() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("root", roles: [.admin])
        let bob = try await fixture.register("bob")
        let carol = try await fixture.register("carol")
        let admin = try await fixture.auth.authenticate(try await fixture.login("root").tokens.accessToken.compact)
        let bobLogin = try await fixture.login("bob")
        let bobPrincipal = try await fixture.auth.authenticate(bobLogin.tokens.accessToken.compact)
        let eraser = RecordingEraser()

        await expectAuthError(.forbidden, "another account without manageAccounts") {
            try await fixture.auth.deleteAccount(carol.user.id, by: bobPrincipal, password: AuthFixture.password, eraser: eraser)
        }
        await expectAuthError(.invalidInput, "one's own without the password") {
            try await fixture.auth.deleteAccount(bob.user.id, by: bobPrincipal, password: nil, eraser: eraser)
        }
        await expectAuthError(.invalidCredentials) {
            try await fixture.auth.deleteAccount(bob.user.id, by: bobPrincipal, password: "not my password", eraser: eraser)
        }
        #expect(eraser.erased.withLock { $0 }.isEmpty)
        #expect(try await fixture.auth.account(bob.user.id).disabledAt == nil, "refusals change nothing")

        let feed = fixture.events.revocations()
        try await fixture.auth.deleteAccount(bob.user.id, by: bobPrincipal, password: AuthFixture.password, eraser: eraser)
        var iterator = feed.makeAsyncIterator()
        let event = try #require(await iterator.next())
        #expect(event.sessionID == bobLogin.tokens.session.id && event.reason == .accountDeleted)
        #expect(eraser.erased.withLock { $0 } == [bob.user.id])
        await expectAuthError(.sessionRevoked) { try await fixture.auth.authenticate(bobLogin.tokens.accessToken.compact) }
        await expectAuthError(.invalidCredentials) { try await fixture.login("bob") }
        await expectAuthError(.notFound) { try await fixture.auth.account(bob.user.id) }
        await expectAuthError(.handleTaken) { try await fixture.register("bob") }
        let user = try await fixture.store.read { try $0.user(id: bob.user.id) }
        #expect(user?.displayName == AccountService.deletedDisplayName && user?.handle.rawValue == "bob")
        #expect(try await fixture.store.authStore.read { try $0.sessions(of: bob.user.id) }.isEmpty)

        // An eraser that fails leaves the account disabled with its credential; the admin runs it again.
        eraser.failing.withLock { $0 = true }
        await expectAuthError(.storage) {
            try await fixture.auth.deleteAccount(carol.user.id, by: admin, password: nil, eraser: eraser)
        }
        #expect(try await fixture.auth.account(carol.user.id).disabledAt != nil)
        await expectAuthError(.accountDisabled) { try await fixture.login("carol") }
        eraser.failing.withLock { $0 = false }
        try await fixture.auth.deleteAccount(carol.user.id, by: admin, password: nil, eraser: eraser)
        #expect(eraser.erased.withLock { $0 } == [bob.user.id, carol.user.id])
        await expectAuthError(.notFound) {
            try await fixture.auth.deleteAccount(carol.user.id, by: admin, password: nil, eraser: eraser)
        }
    }
}
