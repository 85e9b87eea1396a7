import Foundation
import PortcullisCore
import PortcullisTesting
import PortcullisTokens
import Testing

/// "Apps signed in with tokens" as the account page lists and revokes them.
@Suite("Refresh families of an account")
struct RefreshFamilyTests {
    let store = MemoryStore()
    let clock = ManualClock()
    let tokens: TokenService

    init() throws {
        let policy = TokenPolicy(issuer: "https://auth.example")
        let encryption = try KeyEncryptionKey(bytes: SecureRandom.bytes(32))
        let keyRing = KeyRing(store: store, encryption: encryption, policy: policy, clock: clock)
        tokens = TokenService(store: store, keyRing: keyRing, encryption: encryption, policy: policy, clock: clock)
    }

    func account(_ email: String) async throws -> Account {
        let account = Account(email: email, createdAt: clock.now)
        try await store.insertAccount(account, passwordHash: "unused")
        return account
    }

    @Test func onlyLiveFamiliesAreListedNewestFirst() async throws {
        let ada = try await account("ada@example.com")
        let first = try await tokens.issue(for: ada, audience: nil)
        clock.advance(by: .seconds(60))
        let second = try await tokens.issue(for: ada, audience: nil)
        let revoked = try await tokens.issue(for: ada, audience: nil)
        try await tokens.revoke(try #require(revoked.refreshToken))

        let listed = try await tokens.activeRefreshFamilies(accountID: ada.id).map(\.id)
        #expect(listed == [second.claims.sessionID, first.claims.sessionID])

        clock.advance(by: tokens.policy.refreshIdle)
        #expect(try await tokens.activeRefreshFamilies(accountID: ada.id).isEmpty)
    }

    @Test func revokingAFamilyPublishesItAndEndsItsTokens() async throws {
        let ada = try await account("ada@example.com")
        let issued = try await tokens.issue(for: ada, audience: nil)
        let familyID = issued.claims.sessionID

        #expect(try await tokens.revokeRefreshFamily(id: familyID, accountID: ada.id))

        let published = try await store.revocations(after: 0, now: clock.now, limit: 10)
        #expect(published.map(\.kind) == [.session])
        #expect(published.map(\.id) == [familyID])
        await #expect(throws: TokenRejection.self) { _ = try await tokens.authenticate(bearer: issued.accessToken) }
        await #expect(throws: PortcullisError.self) { _ = try await tokens.refresh(try #require(issued.refreshToken), audience: nil) }
        #expect(try await tokens.activeRefreshFamilies(accountID: ada.id).isEmpty)
        #expect(try await !tokens.revokeRefreshFamily(id: familyID, accountID: ada.id), "a second revocation finds nothing live")
    }

    @Test func anotherAccountsFamilyIsNotTouched() async throws {
        let ada = try await account("ada@example.com")
        let mallory = try await account("mallory@example.com")
        let issued = try await tokens.issue(for: ada, audience: nil)

        #expect(try await !tokens.revokeRefreshFamily(id: issued.claims.sessionID, accountID: mallory.id))
        #expect(try await !tokens.revokeRefreshFamily(id: "no-such-family", accountID: ada.id))

        #expect(try await store.revocations(after: 0, now: clock.now, limit: 10).isEmpty)
        #expect(try await tokens.authenticate(bearer: issued.accessToken).account.id == ada.id)
    }
}
