import Foundation
import Logging
import PortcullisCore
import PortcullisTesting
import PortcullisTokens
import Testing

/// The bearer fast path: a token checked once costs a lookup afterwards, and still dies at once
/// on this instance when revoked, signed out, disabled or its key ended, and on every other
/// instance when the revocation broadcaster reads the log.
@Suite("Bearer cache")
struct BearerCacheTests {
    let store = MemoryStore()
    let clock = ManualClock(start: Date(timeIntervalSince1970: 1_800_000_000))
    let policy = TokenPolicy(issuer: "https://auth.example")
    let encryption: KeyEncryptionKey
    let cache = BearerCache()
    let keyRing: KeyRing
    let tokens: TokenService
    let accounts: AccountService

    init() throws {
        encryption = try KeyEncryptionKey(bytes: SecureRandom.bytes(32))
        keyRing = KeyRing(store: store, encryption: encryption, policy: policy, clock: clock)
        tokens = TokenService(store: store, keyRing: keyRing, encryption: encryption, policy: policy, cache: cache, clock: clock)
        let sessions = SessionManager(store: store, otherCaches: [cache], clock: clock)
        accounts = AccountService(
            store: store,
            hasher: PasswordHasher(parameters: ScryptParameters(logN: 10, blockSize: 8, parallelism: 1)),
            sessions: sessions,
            revocationHorizon: policy.revocationHorizon,
            clock: clock
        )
        cache.markFollowed(for: .seconds(3600))
    }

    func signedIn(_ email: String = "ada@example.com") async throws -> (Account, TokenService.Issued) {
        let account = try await accounts.register(email: email, password: "correct horse battery staple")
        let issued = try await tokens.issue(for: account, audience: nil)
        _ = try await tokens.authenticate(bearer: issued.accessToken)
        #expect(cache.count > 0)
        return (account, issued)
    }

    @Test func aCheckedTokenNeedsNoStoreReadUntilItsEntryAgesOut() async throws {
        let (ada, issued) = try await signedIn()
        // Disabled behind the service's back (no revocation published): the entry still answers…
        _ = try await store.changeAccount(id: ada.id, AccountChange(disabled: true), at: clock.now)
        #expect(try await tokens.authenticate(bearer: issued.accessToken).account.id == ada.id)
        // …until it ages out, and the store is asked again.
        clock.advance(by: .seconds(31))
        await #expect(throws: TokenRejection.revoked) { try await tokens.authenticate(bearer: issued.accessToken) }
    }

    @Test func nothingIsKeptBeforeTheLogIsFollowed() async throws {
        let unfollowed = BearerCache()
        let service = TokenService(store: store, keyRing: keyRing, encryption: encryption, policy: policy, cache: unfollowed, clock: clock)
        let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        _ = try await service.authenticate(bearer: try await service.issue(for: ada, audience: nil).accessToken)
        #expect(unfollowed.count == 0)
    }

    @Test func revokingTheTokenHereRefusesItAtOnce() async throws {
        let (_, issued) = try await signedIn()
        try await tokens.revoke(issued.accessToken)
        await #expect(throws: TokenRejection.revoked) { try await tokens.authenticate(bearer: issued.accessToken) }
    }

    @Test func revokingItsRefreshFamilyRefusesItAtOnce() async throws {
        let (_, issued) = try await signedIn()
        try await tokens.revoke(try #require(issued.refreshToken))
        await #expect(throws: TokenRejection.revoked) { try await tokens.authenticate(bearer: issued.accessToken) }
    }

    @Test func signingOutEverywhereOrDisablingRefusesItAtOnceAndLeavesOthersAlone() async throws {
        let (ada, adas) = try await signedIn()
        let (grace, graces) = try await signedIn("grace@example.com")
        try await accounts.signOutEverywhere(accountID: ada.id)
        await #expect(throws: TokenRejection.revoked) { try await tokens.authenticate(bearer: adas.accessToken) }
        #expect(try await tokens.authenticate(bearer: graces.accessToken).account.id == grace.id)
        clock.advance(by: .seconds(1))
        let again = try await tokens.issue(for: ada, audience: nil)
        #expect(try await tokens.authenticate(bearer: again.accessToken).account.id == ada.id)
        _ = try await accounts.change(accountID: ada.id, AccountChange(disabled: true))
        await #expect(throws: TokenRejection.revoked) { try await tokens.authenticate(bearer: again.accessToken) }
    }

    @Test func anEmergencyRotationEndsCachedTokensAtOnce() async throws {
        let (_, issued) = try await signedIn()
        _ = try await keyRing.rotate(immediately: true)
        await #expect(throws: TokenRejection.unknownKey) { try await tokens.authenticate(bearer: issued.accessToken) }
    }

    @Test func theBroadcasterEvictsWhatAnotherInstanceRevokes() async throws {
        let followed = BearerCache()
        let here = TokenService(store: store, keyRing: keyRing, encryption: encryption, policy: policy, cache: followed, clock: clock)
        let broadcaster = RevocationBroadcaster(store: store, caches: [followed], safetyPoll: .milliseconds(20), logger: Logger(label: "test"))
        let running = Task { try await broadcaster.run() }
        defer { running.cancel() }
        while !followed.isFollowed { try await Task.sleep(for: .milliseconds(5)) }
        let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        let issued = try await here.issue(for: ada, audience: nil)
        // Cached once a check runs under the broadcaster's lease (on a busy machine its renewal can
        // come late: then the check answers from the store and caches nothing).
        let cached = ContinuousClock.now + .seconds(45)
        while followed.count == 0, ContinuousClock.now < cached {
            _ = try await here.authenticate(bearer: issued.accessToken)
            if followed.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(followed.count == 1)
        // "Another instance" (a service without this cache) revokes the token.
        let elsewhere = TokenService(store: store, keyRing: keyRing, encryption: encryption, policy: policy, clock: clock)
        try await elsewhere.revoke(issued.accessToken)
        // The mechanism, not the latency (the multi-instance end-to-end test holds the 1 s bound).
        let deadline = ContinuousClock.now + .seconds(45)
        while followed.count > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        await #expect(throws: TokenRejection.revoked) { try await here.authenticate(bearer: issued.accessToken) }
    }
}
