import Foundation
@testable import MessagingAuth
import MessagingCore
import Testing

@Suite("Login throttling")
struct ThrottleTests {
    static let backoff = LoginBackoff(freeFailures: 3, baseDelay: .seconds(1), maximumDelay: .seconds(8), forgetAfter: .seconds(60))

    @Test("the state machine: free failures, then doubling waits up to the cap, forgotten after quiet")
    func stateTransitions() {
        var state = ThrottleState(account: Self.backoff, address: Self.backoff, maximumEntries: 100)
        for _ in 0..<3 { #expect(state.admit(account: "a", address: nil, now: 0) == nil) }
        #expect(state.admit(account: "a", address: nil, now: 0) == 1_000)
        #expect(state.admit(account: "a", address: nil, now: 999) == 1)
        #expect(state.admit(account: "a", address: nil, now: 1_000) == nil)  // fourth failure
        #expect(state.admit(account: "a", address: nil, now: 1_000) == 2_000)
        #expect(state.admit(account: "a", address: nil, now: 3_000) == nil)  // fifth
        #expect(state.admit(account: "a", address: nil, now: 3_000) == 4_000)
        #expect(state.admit(account: "a", address: nil, now: 7_000) == nil)  // sixth
        #expect(state.admit(account: "a", address: nil, now: 7_000) == 8_000)
        #expect(state.admit(account: "a", address: nil, now: 15_000) == nil)  // seventh
        #expect(state.admit(account: "a", address: nil, now: 15_000) == 8_000, "capped")
        #expect(state.admit(account: "b", address: nil, now: 15_000) == nil, "other accounts are independent")
        #expect(state.admit(account: "a", address: nil, now: 75_000) == nil, "forgotten after a quiet minute")
        #expect(state.admit(account: "a", address: nil, now: 75_000) == nil)
        state.succeeded(account: "a", address: nil)
        for _ in 0..<3 { #expect(state.admit(account: "a", address: nil, now: 75_000) == nil) }
        #expect(state.admit(account: "a", address: nil, now: 75_000) == 1_000)
    }

    @Test("the state stays bounded")
    func bounded() {
        var state = ThrottleState(account: Self.backoff, address: Self.backoff, maximumEntries: 100)
        for index in 0..<1_000 { _ = state.admit(account: "user\(index)", address: nil, now: Int64(index)) }
        #expect(state.entries.count <= 100)
        #expect(state.entries[.account("user999")] != nil, "the most recent keys are kept")
    }

    private func fixture() async throws -> AuthFixture {
        var configuration = AuthConfiguration.testing
        configuration.accountBackoff = Self.backoff
        configuration.addressBackoff = LoginBackoff(
            freeFailures: 6, baseDelay: .seconds(1), maximumDelay: .seconds(8), forgetAfter: .seconds(60))
        return try await AuthFixture.make(configuration: configuration)
    }

    @Test("repeated failures for an account are slowed down, even with the right password")
    func perAccount() async throws {
        let fixture = try await fixture()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let client = try ClientInfo(deviceName: "x", address: "203.0.113.1")
        for _ in 0..<3 {
            await expectAuthError(.invalidCredentials) {
                try await fixture.auth.login(handle: "alice", password: "wrong password!", client: client)
            }
        }
        let limited = await expectAuthError(.rateLimited, "the right password does not help inside the wait") {
            try await fixture.auth.login(handle: "alice", password: AuthFixture.password, client: client)
        }
        #expect(limited?.retryAfter == .seconds(1))
        // Another address gets the same treatment: the account is what is throttled.
        await expectAuthError(.rateLimited) {
            try await fixture.auth.login(handle: "Alice", password: AuthFixture.password, client: try ClientInfo(deviceName: "x", address: "203.0.113.2"))
        }
        fixture.clock.advance(milliseconds: 1_000)
        _ = try await fixture.auth.login(handle: "alice", password: AuthFixture.password, client: client)
        // Success forgets the account's failures.
        for _ in 0..<3 {
            await expectAuthError(.invalidCredentials) {
                try await fixture.auth.login(handle: "alice", password: "wrong password!", client: client)
            }
        }
    }

    @Test("unknown handles are throttled exactly like real ones")
    func unknownHandles() async throws {
        let fixture = try await fixture()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        var real: [AuthError.Code] = []
        var unknown: [AuthError.Code] = []
        for _ in 0..<5 {
            for (handle, into) in [("alice", 0), ("nobody", 1)] {
                do {
                    _ = try await fixture.auth.login(
                        handle: handle, password: "wrong password!", client: try ClientInfo(deviceName: "x"))
                } catch let error as AuthError {
                    if into == 0 { real.append(error.code) } else { unknown.append(error.code) }
                }
            }
        }
        #expect(real == unknown)
        #expect(real == [.invalidCredentials, .invalidCredentials, .invalidCredentials, .rateLimited, .rateLimited])
    }

    @Test("one address failing across many handles is slowed down; other addresses are not")
    func perAddress() async throws {
        let fixture = try await fixture()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let attacker = try ClientInfo(deviceName: "x", address: "203.0.113.66")
        for index in 0..<6 {
            await expectAuthError(.invalidCredentials) {
                try await fixture.auth.login(handle: "victim\(index)", password: "guess guess!", client: attacker)
            }
        }
        await expectAuthError(.rateLimited) {
            try await fixture.auth.login(handle: "victim99", password: "guess guess!", client: attacker)
        }
        _ = try await fixture.auth.login(
            handle: "alice", password: AuthFixture.password, client: try ClientInfo(deviceName: "x", address: "198.51.100.1"))
    }

    @Test("a burst of parallel guesses is throttled as if they came one by one")
    func parallelBurst() async throws {
        let fixture = try await fixture()
        defer { fixture.cleanUp() }
        try await fixture.register("alice")
        let codes = await withTaskGroup(of: AuthError.Code?.self) { group in
            for index in 0..<20 {
                group.addTask {
                    do {
                        _ = try await fixture.auth.login(
                            handle: "alice", password: Password("guess number \(index)"), client: try ClientInfo(deviceName: "x"))
                        return nil
                    } catch let error as AuthError {
                        return error.code
                    } catch {
                        return nil
                    }
                }
            }
            return await group.reduce(into: [AuthError.Code?]()) { $0.append($1) }
        }
        #expect(codes.filter { $0 == .invalidCredentials }.count == 3, "only the free failures reach the password check")
        #expect(codes.filter { $0 == .rateLimited }.count == 17)
    }
}
