import MessagingAuth
import MessagingCore

/// The realtime gateway's token check: the token's signature and claims, and that its
/// session is still open in storage (so a token of a session revoked before this process
/// started is refused at the handshake too, not only sessions revoked while connected).
///
/// Thread safety: immutable; safe to share across tasks.
struct SessionCheckingVerifier: AccessTokenVerifier {
    let auth: AuthService

    func verify(_ token: String) async throws -> AuthenticatedPrincipal {
        try await auth.authenticate(token)
    }
}
