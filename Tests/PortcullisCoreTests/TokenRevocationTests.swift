import Foundation
import Logging
import PortcullisCore
import PortcullisTesting
import PortcullisTokens
import Testing

/// What a revocation refuses, for how long, and what is swept once it no longer matters.
@Suite("Token revocation")
struct TokenRevocationTests {
    let store = MemoryStore()
    let clock = ManualClock(start: Date(timeIntervalSince1970: 1_800_000_000.25))
    let tokens: TokenService
    let accounts: AccountService

    init() throws {
        let policy = TokenPolicy(issuer: "https://auth.example")
        let encryption = try KeyEncryptionKey(bytes: SecureRandom.bytes(32))
        let keyRing = KeyRing(store: store, encryption: encryption, policy: policy, clock: clock)
        tokens = TokenService(store: store, keyRing: keyRing, encryption: encryption, policy: policy, clock: clock)
        accounts = AccountService(
            store: store,
            hasher: PasswordHasher(parameters: ScryptParameters(logN: 10, blockSize: 8, parallelism: 1)),
            revocationHorizon: policy.revocationHorizon,
            clock: clock
        )
    }

    @Test func signOutEverywhereRefusesWhatCameBeforeAndNothingAfterInTheSameSecond() async throws {
        let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        let before = try await tokens.issue(for: ada, audience: nil)
        clock.advance(by: .milliseconds(300))
        try await accounts.signOutEverywhere(accountID: ada.id)
        clock.advance(by: .milliseconds(300))  // still the same second
        let after = try await tokens.issue(for: ada, audience: nil)
        await #expect(throws: TokenRejection.self) { try await tokens.authenticate(bearer: before.accessToken) }
        #expect(try await tokens.authenticate(bearer: after.accessToken).account.id == ada.id)
        // Dated the next second, so any verifier's `iat <= revoked_at` leaves it alone…
        #expect(after.claims.issuedAt == before.claims.issuedAt + 1)
        // …and still no longer-lived than any other token.
        #expect(after.claims.expiresAt - clock.now.epochSeconds <= 300)
        // A refresh in that second is dated the same way.
        let refreshed = try await tokens.refresh(try #require(after.refreshToken), audience: nil)
        #expect(try await tokens.authenticate(bearer: refreshed.accessToken).account.id == ada.id)
    }

    @Test func aTokenFromASessionExpiresWithTheSession() async throws {
        let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        let sessions = SessionManager(store: store, policy: SessionPolicy(idle: .seconds(90)), clock: clock)
        let started = try await sessions.start(account: ada, remember: false, userAgent: nil, ipAddress: nil)
        let exchanged = try await tokens.exchange(session: started.session, account: ada, audience: nil)
        #expect(exchanged.claims.expiresAt == started.session.expiresAt.epochSeconds)
        #expect(exchanged.expiresIn == 90)
    }

    @Test func entriesLastTheAccessLifetimePlusAMinuteOfVerifierLeeway() async throws {
        let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        let issued = try await tokens.issue(for: ada, audience: nil)
        try await tokens.revoke(issued.accessToken)
        try await tokens.revoke(issued.accessToken)
        try await tokens.revoke(try #require(issued.refreshToken))
        let entries = try await store.revocations(after: 0, now: clock.now, limit: 10)
        #expect(entries.map(\.kind) == [.token, .session], "revoking again added nothing")
        for entry in entries {
            #expect(entry.expiresAt.timeIntervalSince(entry.revokedAt) == 300 + 60)
        }
    }

    @Test func theSweeperPurgesWhatNoLongerMatters() async throws {
        let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        let live = try await tokens.issue(for: ada, audience: nil)
        let revoked = try await tokens.issue(for: ada, audience: nil)
        try await tokens.revoke(try #require(revoked.refreshToken))
        try await tokens.revoke(revoked.accessToken)
        let throttle = CredentialThrottle(ledger: store.attemptLedger, clock: clock)
        _ = try await throttle.reserveSignIn(account: "ada@example.com", clientAddress: "192.0.2.1")
        let sweeper = StoreSweeper(store: store, throttle: throttle, clock: clock, logger: Logger(label: "test"))

        var swept = try await sweeper.sweep()
        #expect(swept.refreshFamilies == 1 && swept.revocations == 0 && swept.attempts == 0)
        clock.advance(by: .seconds(361))
        swept = try await sweeper.sweep()
        #expect(swept.revocations == 2 && swept.attempts == 0)
        clock.advance(by: .seconds(3600))
        swept = try await sweeper.sweep()
        #expect(swept.attempts == 2, "one attempt under the account, one under the address")
        #expect(try await store.refreshFamily(id: live.claims.sessionID) != nil)
        #expect(try await store.revocations(after: 0, now: .distantPast, limit: 10).isEmpty)
    }
}
