import Foundation
@testable import MessagingAuth
import MessagingCore
import Testing

@Suite("Accounts: registration, passwords, login")
struct AccountTests {
    @Test("registration stores an argon2id hash, never the password")
    func register() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        let account = try await fixture.auth.register(handle: "  Alice ", password: AuthFixture.password, displayName: "Alice A.")
        #expect(account.user.handle.rawValue == "alice")
        #expect(account.user.displayName == "Alice A.")
        #expect(account.roles.isEmpty && account.disabledAt == nil)
        let credential = try #require(try await fixture.store.authStore.read { try $0.credential(of: account.user.id) })
        #expect(credential.passwordHash.encoded.hasPrefix("$argon2id$v=19$"))
        #expect(!credential.passwordHash.encoded.contains(AuthFixture.passwordText))
        #expect(try await fixture.auth.account(account.user.id).user == account.user)
        // The user is a regular MessagingCore user.
        let user = try await fixture.store.read { try $0.user(handle: try Handle("alice")) }
        #expect(user?.id == account.user.id)
    }

    @Test("a taken handle, in any letter case, is handleTaken")
    func handleTaken() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        await expectAuthError(.handleTaken) { try await fixture.register("ALICE") }
    }

    @Test(
        "handle rules come from MessagingCore's Handle",
        arguments: ["ab", "-alice", "al ice", "alice!", String(repeating: "a", count: 33), "ålice"])
    func badHandles(_ handle: String) async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        await expectAuthError(.invalidInput) { try await fixture.register(handle) }
    }

    @Test("password policy: minimum length, trivial passwords, 1,024-byte maximum")
    func passwordPolicy() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        await expectAuthError(.weakPassword, "too short") {
            try await fixture.auth.register(handle: "alice", password: "short pw")
        }
        await expectAuthError(.weakPassword, "one repeated character") {
            try await fixture.auth.register(handle: "alice", password: "aaaaaaaaaaaaaaaa")
        }
        await expectAuthError(.weakPassword, "the handle plus a little") {
            try await fixture.auth.register(handle: "alice", password: "Alice12345")
        }
        await expectAuthError(.invalidInput, "1,025 bytes") {
            try await fixture.auth.register(handle: "alice", password: Password("ab" + String(repeating: "é", count: 511) + "c"))
        }
        // Exactly 1,024 bytes (multi-byte characters included) is accepted, and logs in.
        let longest = "ab" + String(repeating: "é", count: 511)
        #expect(longest.utf8.count == 1_024)
        _ = try await fixture.auth.register(handle: "alice", password: Password(longest))
        _ = try await fixture.auth.login(handle: "alice", password: Password(longest), client: try ClientInfo(deviceName: "x"))
        // Length counts characters, not bytes: ten emoji are ten characters.
        _ = try await fixture.auth.register(handle: "bob", password: Password("🙂🙃😀😁😂🤣😃😄😅😆"))
    }

    @Test("an unknown handle and a wrong password get the same answer")
    func genericLoginError() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let client = try ClientInfo(deviceName: "Laptop")
        let wrong = await expectAuthError(.invalidCredentials) {
            try await fixture.auth.login(handle: "alice", password: "wrong password!", client: client)
        }
        let unknown = await expectAuthError(.invalidCredentials) {
            try await fixture.auth.login(handle: "nobody", password: AuthFixture.password, client: client)
        }
        let malformed = await expectAuthError(.invalidCredentials) {
            try await fixture.auth.login(handle: "not a handle!", password: AuthFixture.password, client: client)
        }
        let overlong = await expectAuthError(.invalidCredentials) {
            try await fixture.auth.login(handle: "alice", password: Password(String(repeating: "x", count: 5_000)), client: client)
        }
        #expect(wrong?.message == unknown?.message)
        #expect(wrong?.description == unknown?.description)
        #expect(malformed?.description == unknown?.description)
        #expect(overlong?.description == unknown?.description)
        _ = try await fixture.login("alice")
    }

    @Test("an unknown handle costs the same argon2id work as a wrong password")
    func similarTiming() async throws {
        // A real (if small) cost, so hashing dominates: 2 passes over 16 MiB.
        var configuration = AuthConfiguration.testing
        configuration.passwordHashing = try Argon2idParameters(operations: 2, memoryBytes: 16 << 20)
        configuration.accountBackoff = LoginBackoff(freeFailures: 1_000, baseDelay: .seconds(1), maximumDelay: .seconds(1), forgetAfter: .seconds(1))
        configuration.addressBackoff = configuration.accountBackoff
        let fixture = try await AuthFixture.make(configuration: configuration)
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let client = try ClientInfo(deviceName: "Laptop")
        let clock = ContinuousClock()
        var known: [Duration] = []
        var unknown: [Duration] = []
        for round in 0..<7 {
            let knownTime = await clock.measure {
                _ = try? await fixture.auth.login(handle: "alice", password: Password("wrong password \(round)"), client: client)
            }
            let unknownTime = await clock.measure {
                _ = try? await fixture.auth.login(handle: "nobody\(round)", password: Password("wrong password \(round)"), client: client)
            }
            known.append(knownTime)
            unknown.append(unknownTime)
        }
        let knownMedian = known.sorted()[3]
        let unknownMedian = unknown.sorted()[3]
        let ratio = Double(unknownMedian.components.attoseconds + unknownMedian.components.seconds * 1_000_000_000_000_000_000)
            / Double(knownMedian.components.attoseconds + knownMedian.components.seconds * 1_000_000_000_000_000_000)
        #expect((0.5...2.0).contains(ratio), "unknown \(unknownMedian) vs wrong password \(knownMedian)")
        #expect(unknownMedian > .milliseconds(2), "the unknown-handle path really hashes")
    }

    @Test("raised argon2id parameters rehash the stored hash at the next login, once")
    func rehash() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        let account = try await fixture.register("alice")
        let authStore = fixture.store.authStore
        let before = try #require(try await authStore.read { try $0.credential(of: account.user.id) })
        #expect(before.passwordHash.encoded.contains("m=8,t=1,"), "libsodium's minimum: 8 KiB, 1 pass")

        var raised = AuthConfiguration.testing
        raised.passwordHashing = try Argon2idParameters(operations: 2, memoryBytes: 1 << 20)
        let upgraded = try await AuthService(
            store: authStore, tokens: fixture.tokens, configuration: raised, clock: fixture.clock, logger: fixture.logs.logger)
        let client = try ClientInfo(deviceName: "Laptop")
        _ = try await upgraded.login(handle: "alice", password: AuthFixture.password, client: client)
        let after = try #require(try await authStore.read { try $0.credential(of: account.user.id) })
        #expect(after.passwordHash.encoded.hasPrefix("$argon2id$v=19$m=1024,t=2,"))
        #expect(after.passwordChangedAt == before.passwordChangedAt, "a rehash is not a password change")
        _ = try await upgraded.login(handle: "alice", password: AuthFixture.password, client: client)
        let again = try #require(try await authStore.read { try $0.credential(of: account.user.id) })
        #expect(again.passwordHash == after.passwordHash, "no second rehash")
        // Old sessions are unaffected by a rehash; the old service still verifies the new hash.
        _ = try await fixture.login("alice")
    }

    @Test("changing the password revokes every session; the old password stops working")
    func changePassword() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let laptop = try await fixture.login("alice")
        let phone = try await fixture.login("alice", device: "Phone")
        let feed = fixture.events.revocations()
        let principal = try await fixture.auth.authenticate(laptop.tokens.accessToken.compact)
        await expectAuthError(.invalidCredentials) {
            try await fixture.auth.changePassword(current: "not the password", to: "a brand new passphrase", for: principal)
        }
        await expectAuthError(.weakPassword) {
            try await fixture.auth.changePassword(current: AuthFixture.password, to: "short", for: principal)
        }
        try await fixture.auth.changePassword(current: AuthFixture.password, to: "a brand new passphrase", for: principal)
        var iterator = feed.makeAsyncIterator()
        let events = [await iterator.next(), await iterator.next()].compactMap { $0 }
        #expect(Set(events.map(\.sessionID)) == [laptop.tokens.session.id, phone.tokens.session.id])
        #expect(events.allSatisfy { $0.reason == .passwordChanged })
        await expectAuthError(.sessionRevoked) { try await fixture.auth.refresh(phone.tokens.refreshToken) }
        await expectAuthError(.invalidCredentials) { try await fixture.login("alice") }
        let client = try ClientInfo(deviceName: "Laptop")
        _ = try await fixture.auth.login(handle: "alice", password: "a brand new passphrase", client: client)
    }

    @Test("disabling an account revokes its sessions and refuses logins; only admins may")
    func disable() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("root", roles: [.admin])
        let bob = try await fixture.register("bob")
        let admin = try await fixture.auth.authenticate(try await fixture.login("root").tokens.accessToken.compact)
        let bobLogin = try await fixture.login("bob")
        let bobPrincipal = try await fixture.auth.authenticate(bobLogin.tokens.accessToken.compact)
        #expect(admin.roles == [.admin])

        await expectAuthError(.forbidden) { try await fixture.auth.setDisabled(true, account: bob.user.id, by: bobPrincipal) }
        let feed = fixture.events.revocations()
        try await fixture.auth.setDisabled(true, account: bob.user.id, by: admin)
        var iterator = feed.makeAsyncIterator()
        let event = try #require(await iterator.next())
        #expect(event.sessionID == bobLogin.tokens.session.id && event.reason == .accountDisabled)
        await expectAuthError(.sessionRevoked) { try await fixture.auth.authenticate(bobLogin.tokens.accessToken.compact) }
        await expectAuthError(.sessionRevoked) { try await fixture.auth.refresh(bobLogin.tokens.refreshToken) }
        await expectAuthError(.accountDisabled) { try await fixture.login("bob") }
        await expectAuthError(.invalidCredentials, "a wrong password on a disabled account reveals nothing") {
            try await fixture.auth.login(handle: "bob", password: "wrong password!", client: try ClientInfo(deviceName: "x"))
        }
        try await fixture.auth.setDisabled(false, account: bob.user.id, by: admin)
        let again = try await fixture.login("bob")
        // Disabled behind the service's back (directly in the store): the next refresh
        // notices, revokes and publishes.
        try await fixture.store.authStore.write { try $0.setDisabled(bob.user.id, at: fixture.clock.now()) }
        await expectAuthError(.sessionRevoked) { try await fixture.auth.refresh(again.tokens.refreshToken) }
        let late = try #require(await iterator.next())
        #expect(late.sessionID == again.tokens.session.id && late.reason == .accountDisabled)
        await expectAuthError(.notFound) {
            try await fixture.auth.setDisabled(true, account: UserID(UUIDv7Generator().next()), by: admin)
        }
    }

    @Test("role changes reach access tokens at the next refresh")
    func roles() async throws {
        let fixture = try await AuthFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.register("root", roles: [.admin])
        let bob = try await fixture.register("bob")
        let admin = try await fixture.auth.authenticate(try await fixture.login("root").tokens.accessToken.compact)
        let bobLogin = try await fixture.login("bob")
        #expect(try await fixture.tokens.verify(bobLogin.tokens.accessToken.compact).roles.isEmpty)
        try await fixture.auth.setRoles([.moderator, try ServerRole("support")], account: bob.user.id, by: admin)
        let refreshed = try await fixture.auth.refresh(bobLogin.tokens.refreshToken)
        let principal = try await fixture.tokens.verify(refreshed.accessToken.compact)
        #expect(principal.roles == [.moderator, try ServerRole("support")])
        #expect(try await fixture.auth.account(bob.user.id).roles == principal.roles)
        await expectAuthError(.forbidden) { try await fixture.auth.setRoles([.admin], account: bob.user.id, by: principal) }
    }
}
