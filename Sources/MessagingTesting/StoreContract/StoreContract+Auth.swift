import Foundation
import MessagingCore
import Testing

// The suites of the auth store: credentials, sessions and refresh-token rotation.
extension StoreContract {
    func tokenHash(_ byte: UInt8) -> RefreshTokenHash {
        RefreshTokenHash(bytes: [UInt8](repeating: byte, count: RefreshTokenHash.byteCount))!
    }

    func makeAccount(_ stores: ContractStores, _ handle: String) async throws -> User {
        let user = try User(id: ids.next(), handle: Handle(handle), displayName: handle, createdAt: time)
        let credential = AccountCredential(
            userID: user.id, passwordHash: PasswordHash(encoded: "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA"),
            roles: [], createdAt: time, passwordChangedAt: time)
        try await stores.auth.write { transaction throws in
            try transaction.insert(user)
            try transaction.insert(credential)
        }
        return user
    }

    /// CredentialStore: insert once, rehash and change the password, disable and enable, replace roles.
    public func credentials() async throws {
        try await withStores { stores in
            let alice = try await makeAccount(stores, "alice")
            // The auth store and the messaging store share their users.
            #expect(try await stores.messaging.read { try $0.user(id: alice.id) }?.handle.rawValue == "alice")
            let later = time.adding(milliseconds: 1000)
            try await stores.auth.write { transaction throws in
                try transaction.updatePasswordHash(of: alice.id, to: PasswordHash(encoded: "rehash"), changedAt: nil)
                #expect(try transaction.credential(of: alice.id)?.passwordChangedAt == self.time, "a rehash keeps the change time")
                try transaction.updatePasswordHash(of: alice.id, to: PasswordHash(encoded: "changed"), changedAt: later)
                try transaction.setRoles([.admin, .moderator], of: alice.id)
                try transaction.setDisabled(alice.id, at: later)
            }
            let stored = try #require(try await stores.auth.read { try $0.credential(of: alice.id) })
            #expect(stored.passwordHash.encoded == "changed" && stored.passwordChangedAt == later)
            #expect(stored.roles == [.admin, .moderator] && stored.disabledAt == later && stored.createdAt == time)
            try await stores.auth.write { transaction throws in
                try transaction.setDisabled(alice.id, at: nil)
                try transaction.setRoles([], of: alice.id)
            }
            let enabled = try #require(try await stores.auth.read { try $0.credential(of: alice.id) })
            #expect(!enabled.isDisabled && enabled.roles.isEmpty)
            #expect(try await stores.auth.read { try $0.credential(of: UserID(self.ids.next())) } == nil)
            let twice = AccountCredential(
                userID: alice.id, passwordHash: PasswordHash(encoded: "x"), roles: [], createdAt: time, passwordChangedAt: time)
            await expectError(.conflict) { try await stores.auth.write { try $0.insert(twice) } }
        }
    }

    /// AuthSessionStore: sessions round trip, newest first per user, revoke one and all exactly once.
    public func sessions() async throws {
        try await withStores { stores in
            let alice = try await makeAccount(stores, "alice")
            let bob = try await makeAccount(stores, "bob")
            let made: [AuthSession] = (0..<3).map { index in
                AuthSession(
                    id: SessionID(ids.next()), userID: alice.id, deviceName: "device \(index)",
                    clientAddress: index == 0 ? nil : "192.0.2.\(index)", createdAt: time.adding(milliseconds: Int64(index)),
                    lastUsedAt: time.adding(milliseconds: Int64(index)), expiresAt: time.adding(milliseconds: 86_400_000))
            }
            let bobs = AuthSession(
                id: SessionID(ids.next()), userID: bob.id, deviceName: "phone", clientAddress: nil, createdAt: time,
                lastUsedAt: time, expiresAt: time.adding(milliseconds: 1000))
            try await stores.auth.write { transaction throws in
                for (index, session) in made.enumerated() { try transaction.insert(session, refreshTokenHash: self.tokenHash(UInt8(index + 1))) }
                try transaction.insert(bobs, refreshTokenHash: self.tokenHash(9))
            }
            try await stores.auth.read { transaction throws in
                #expect(try transaction.session(id: made[1].id) == made[1])
                #expect(try transaction.sessions(of: alice.id).map(\.id) == made.reversed().map(\.id))
                #expect(try transaction.session(id: SessionID(self.ids.next())) == nil)
            }
            let revokedAt = time.adding(milliseconds: 50)
            let (one, again, rest) = try await stores.auth.write { transaction throws in
                (
                    try transaction.revokeSession(made[0].id, at: revokedAt, reason: .logout),
                    try transaction.revokeSession(made[0].id, at: revokedAt, reason: .logout),
                    try transaction.revokeSessions(of: alice.id, at: revokedAt, reason: .logoutEverywhere)
                )
            }
            #expect(one && !again, "a session is revoked once")
            #expect(Set(rest) == [made[1].id, made[2].id], "revoking all names only the sessions still live")
            try await stores.auth.read { transaction throws in
                let first = try #require(try transaction.session(id: made[0].id))
                #expect(first.revokedAt == revokedAt && first.revocationReason == .logout)
                #expect(try transaction.session(id: made[2].id)?.revocationReason == .logoutEverywhere)
                #expect(try transaction.session(id: bobs.id)?.isRevoked == false, "another user's session is untouched")
            }
            let duplicate = AuthSession(
                id: SessionID(ids.next()), userID: bob.id, deviceName: "x", clientAddress: nil, createdAt: time,
                lastUsedAt: time, expiresAt: time)
            await expectError(.conflict, "a refresh hash belongs to one session") {
                try await stores.auth.write { try $0.insert(duplicate, refreshTokenHash: self.tokenHash(9)) }
            }
        }
    }

    /// AuthSessionStore: refresh rotation is a compare-and-swap that remembers every rotated hash.
    public func refreshRotation() async throws {
        try await withStores { stores in
            let alice = try await makeAccount(stores, "alice")
            let session = AuthSession(
                id: SessionID(ids.next()), userID: alice.id, deviceName: "laptop", clientAddress: "192.0.2.1",
                createdAt: time, lastUsedAt: time, expiresAt: time.adding(milliseconds: 86_400_000))
            try await stores.auth.write { try $0.insert(session, refreshTokenHash: self.tokenHash(1)) }
            let at = time.adding(milliseconds: 10)
            let swaps = try await stores.auth.write { transaction throws in
                [
                    try transaction.rotateRefreshToken(of: session.id, from: self.tokenHash(1), to: self.tokenHash(2), at: at, clientAddress: "192.0.2.7"),
                    try transaction.rotateRefreshToken(of: session.id, from: self.tokenHash(1), to: self.tokenHash(3), at: at, clientAddress: nil),
                    try transaction.rotateRefreshToken(of: session.id, from: self.tokenHash(2), to: self.tokenHash(3), at: at.adding(milliseconds: 5), clientAddress: nil),
                ]
            }
            #expect(swaps == [true, false, true], "only the current hash rotates")
            try await stores.auth.read { transaction throws in
                let stored = try #require(try transaction.session(id: session.id))
                #expect(stored.generation == 2 && stored.lastUsedAt == at.adding(milliseconds: 5))
                #expect(stored.clientAddress == "192.0.2.7", "a rotation without an address keeps the last one")
                #expect(try transaction.refreshToken(hash: self.tokenHash(3)) == RefreshTokenRecord(sessionID: session.id, generation: 2, state: .current))
                #expect(try transaction.refreshToken(hash: self.tokenHash(1)) == RefreshTokenRecord(sessionID: session.id, generation: 0, state: .rotated(at: at)))
                #expect(try transaction.refreshToken(hash: self.tokenHash(2)) == RefreshTokenRecord(sessionID: session.id, generation: 1, state: .rotated(at: at.adding(milliseconds: 5))))
                #expect(try transaction.refreshToken(hash: self.tokenHash(99)) == nil)
            }
            let afterRevoke = try await stores.auth.write { transaction throws in
                _ = try transaction.revokeSession(session.id, at: at, reason: .refreshTokenReuse)
                return try transaction.rotateRefreshToken(of: session.id, from: self.tokenHash(3), to: self.tokenHash(4), at: at, clientAddress: nil)
            }
            #expect(!afterRevoke, "a revoked session never rotates")
        }
    }
}
