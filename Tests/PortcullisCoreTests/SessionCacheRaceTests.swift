import Foundation
import PortcullisCore
import PortcullisTesting
import Testing

/// A read of the store made just before a logout must not put the session it read back into
/// the cache after the logout evicted it: not a validation's, not the warm start's.
@Suite("Session cache races")
struct SessionCacheRaceTests {
    /// A followed cache over a pausing store, and one signed-in session.
    func setUp() async throws -> (PausingStore, SessionCache, SessionManager, SessionManager.Started) {
        let clock = ManualClock()
        let store = PausingStore()
        let cache = SessionCache()
        cache.markFollowed(for: .seconds(3600))
        let sessions = SessionManager(store: store, cache: cache, clock: clock)
        let hasher = PasswordHasher(parameters: ScryptParameters(logN: 10, blockSize: 8, parallelism: 1))
        let account = try await AccountService(store: store, hasher: hasher, clock: clock).register(
            email: "ada@example.com",
            password: "correct horse battery staple"
        )
        return (store, cache, sessions, try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil))
    }

    /// Runs `read` until it has read the store, signs the session out, then lets `read` finish.
    func signOut<Result: Sendable>(
        _ started: SessionManager.Started,
        with sessions: SessionManager,
        during read: @escaping @Sendable () async throws -> Result,
        on store: PausingStore
    ) async throws -> Result {
        await store.pauseNextSessionRead()
        let reading = Task { try await read() }
        await store.waitUntilPaused()
        #expect(try await sessions.end(sessionID: started.session.id))
        await store.resume()
        return try await reading.value
    }

    @Test func aValidationRacingALogoutCannotRecacheTheEndedSession() async throws {
        let (store, cache, sessions, started) = try await setUp()
        _ = try await signOut(started, with: sessions, during: { try await sessions.validate(started.secret) }, on: store)
        #expect(cache.count == 0, "the ended session was cached again")
        #expect(try await sessions.validate(started.secret) == nil)
    }

    @Test func aWarmUpRacingALogoutCannotCacheTheEndedSessionAndReadsThePageAgain() async throws {
        let (store, cache, sessions, started) = try await setUp()
        let other = try await sessions.start(
            account: try #require(try await store.account(id: started.session.accountID)),
            remember: false,
            userAgent: nil,
            ipAddress: nil
        )
        #expect(try await signOut(started, with: sessions, during: { try await sessions.warmCache() }, on: store) == 1)
        #expect(cache.count == 1, "the page was read again, without the ended session")
        #expect(try await sessions.validate(started.secret) == nil)
        _ = try await store.deleteSession(id: other.session.id)
        #expect(try await sessions.validate(other.secret) != nil, "the other session came from the warm cache")
    }
}

/// A memory store whose next session read can be held after it has read, to put another
/// operation between a validation's read and its use of what it read.
actor PausingStore: PortcullisStore {
    private let base = MemoryStore()
    private var armed = false
    private var paused: CheckedContinuation<Void, Never>?
    private var pausedWaiters: [CheckedContinuation<Void, Never>] = []

    nonisolated var attemptLedger: any AttemptLedger { base.attemptLedger }

    func pauseNextSessionRead() { armed = true }

    func waitUntilPaused() async {
        if paused != nil { return }
        await withCheckedContinuation { pausedWaiters.append($0) }
    }

    func resume() {
        paused?.resume()
        paused = nil
    }

    func sessionWithAccount(secretHash: [UInt8]) async throws -> (session: Session, account: Account)? {
        let found = try await base.sessionWithAccount(secretHash: secretHash)
        await holdIfArmed()
        return found
    }

    private func holdIfArmed() async {
        if armed {
            armed = false
            await withCheckedContinuation { continuation in
                paused = continuation
                for waiter in pausedWaiters { waiter.resume() }
                pausedWaiters = []
            }
        }
    }

    func account(id: String) async throws -> Account? { try await base.account(id: id) }
    func sessionsWithAccounts(seenSince since: Date, after last: Session?, limit: Int) async throws -> [(session: Session, account: Account)] {
        let found = try await base.sessionsWithAccounts(seenSince: since, after: last, limit: limit)
        await holdIfArmed()
        return found
    }

    func migrate() async throws { try await base.migrate() }
    func checkHealth() async throws { try await base.checkHealth() }
    func close() async throws { try await base.close() }
    func insertAccount(_ account: Account, passwordHash: String) async throws { try await base.insertAccount(account, passwordHash: passwordHash) }
    func account(email: String) async throws -> Account? { try await base.account(email: email) }
    func allAccounts() async throws -> [Account] { try await base.allAccounts() }
    func changeAccount(id: String, _ change: AccountChange, at now: Date) async throws -> Account? {
        try await base.changeAccount(id: id, change, at: now)
    }
    func passwordHash(accountID: String) async throws -> String? { try await base.passwordHash(accountID: accountID) }
    func session(secretHash: [UInt8]) async throws -> Session? { try await base.session(secretHash: secretHash) }
    func session(id: String) async throws -> Session? { try await base.session(id: id) }
    func sessions(accountID: String) async throws -> [Session] { try await base.sessions(accountID: accountID) }
    func touchSession(id: String, lastSeenAt: Date) async throws { try await base.touchSession(id: id, lastSeenAt: lastSeenAt) }
    func deleteSession(id: String) async throws -> Bool { try await base.deleteSession(id: id) }
    func deleteExpiredSessions(now: Date) async throws -> Int { try await base.deleteExpiredSessions(now: now) }
    func insertSigningKey(_ key: StoredSigningKey) async throws { try await base.insertSigningKey(key) }
    func signingKeys() async throws -> [StoredSigningKey] { try await base.signingKeys() }
    func rotateSigningKeys(adding key: StoredSigningKey, retiring retire: @escaping @Sendable ([StoredSigningKey]) -> [StoredSigningKey]) async throws
    {
        try await base.rotateSigningKeys(adding: key, retiring: retire)
    }
    func useRefreshToken(
        hash: [UInt8],
        successorHash: [UInt8],
        now: Date,
        grace: Duration,
        revocation: RevocationStamp
    ) async throws -> RefreshTokenUse {
        try await base.useRefreshToken(hash: hash, successorHash: successorHash, now: now, grace: grace, revocation: revocation)
    }
    func refreshFamily(id: String) async throws -> RefreshFamily? { try await base.refreshFamily(id: id) }
    func refreshToken(hash: [UInt8]) async throws -> (family: RefreshFamily, rotatedAt: Date?)? { try await base.refreshToken(hash: hash) }
    func refreshFamilies(accountID: String) async throws -> [RefreshFamily] { try await base.refreshFamilies(accountID: accountID) }
    func deleteEndedRefreshFamilies(now: Date) async throws -> Int { try await base.deleteEndedRefreshFamilies(now: now) }
    func appendRevocation(_ entry: Revocation) async throws -> Revocation { try await base.appendRevocation(entry) }
    func revocations(after cursor: Int64, now: Date, limit: Int) async throws -> [Revocation] {
        try await base.revocations(after: cursor, now: now, limit: limit)
    }
    func isRevoked(tokenID: String, sessionID: String, accountID: String, issuedAt: Date) async throws -> Bool {
        try await base.isRevoked(tokenID: tokenID, sessionID: sessionID, accountID: accountID, issuedAt: issuedAt)
    }
    func latestUserRevocation(accountID: String) async throws -> Date? { try await base.latestUserRevocation(accountID: accountID) }
    func deleteExpiredRevocations(now: Date) async throws -> Int { try await base.deleteExpiredRevocations(now: now) }
    func apply(_ writes: [StoreWrite], stamp: RevocationStamp) async throws -> AppliedWrites { try await base.apply(writes, stamp: stamp) }
    func oneTimeToken(hash: [UInt8]) async throws -> OneTimeToken? { try await base.oneTimeToken(hash: hash) }
    func deleteExpiredOneTimeTokens(now: Date) async throws -> Int { try await base.deleteExpiredOneTimeTokens(now: now) }
    func totpCredential(accountID: String) async throws -> TOTPCredential? { try await base.totpCredential(accountID: accountID) }
    func unusedRecoveryCodeCount(accountID: String) async throws -> Int { try await base.unusedRecoveryCodeCount(accountID: accountID) }
    func passkeys(accountID: String) async throws -> [Passkey] { try await base.passkeys(accountID: accountID) }
    func passkey(id: String) async throws -> Passkey? { try await base.passkey(id: id) }
    func claimMail(now: Date, lease: Duration, limit: Int) async throws -> [OutboxMail] {
        try await base.claimMail(now: now, lease: lease, limit: limit)
    }
    func markMailSent(id: String, at now: Date) async throws { try await base.markMailSent(id: id, at: now) }
    func markMailFailed(id: String, at now: Date, nextAttemptAt: Date, giveUp: Bool) async throws {
        try await base.markMailFailed(id: id, at: now, nextAttemptAt: nextAttemptAt, giveUp: giveUp)
    }
    func pendingMailCount() async throws -> Int { try await base.pendingMailCount() }
    func deleteFinishedMail(before cutoff: Date) async throws -> Int { try await base.deleteFinishedMail(before: cutoff) }
    func insertClient(_ client: ServiceClient) async throws { try await base.insertClient(client) }
    func client(id: String) async throws -> ServiceClient? { try await base.client(id: id) }
}
