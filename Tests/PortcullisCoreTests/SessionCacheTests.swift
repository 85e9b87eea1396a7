import Foundation
import Logging
import PortcullisCore
import PortcullisTesting
import Testing

@Suite("Session cache")
struct SessionCacheTests {
    static let hasher = PasswordHasher(parameters: ScryptParameters(logN: 10, blockSize: 8, parallelism: 1))

    func setUp(_ clock: ManualClock, followed: Bool = true) async throws -> (MemoryStore, SessionManager, SessionCache, Account) {
        let store = MemoryStore()
        let cache = SessionCache()
        if followed { cache.markFollowed(for: .seconds(3600)) }
        let account = try await AccountService(store: store, hasher: Self.hasher, clock: clock).register(
            email: "ada@example.com",
            password: "correct horse battery staple"
        )
        return (store, SessionManager(store: store, cache: cache, clock: clock), cache, account)
    }

    @Test func aCachedValidationNeedsNoStoreReadUntilRevoked() async throws {
        let clock = ManualClock()
        let (store, sessions, cache, account) = try await setUp(clock)
        let started = try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil)
        _ = try #require(try await sessions.validate(started.secret))
        #expect(cache.count == 1)
        // Another instance deletes the row: this instance answers from its cache…
        _ = try await store.deleteSession(id: started.session.id)
        #expect(try await sessions.validate(started.secret) != nil)
        // …until the revocation log names the session.
        cache.evict(Revocation(kind: .session, id: started.session.id, revokedAt: clock.now, expiresAt: clock.now))
        #expect(try await sessions.validate(started.secret) == nil)
    }

    @Test func entriesAgeOutAndNeverOutliveTheSession() async throws {
        let clock = ManualClock()
        let (store, sessions, _, account) = try await setUp(clock)
        let started = try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil)
        _ = try await sessions.validate(started.secret)
        _ = try await store.deleteSession(id: started.session.id)
        clock.advance(by: .seconds(31))
        #expect(try await sessions.validate(started.secret) == nil)
    }

    @Test func lastSeenIsStillWrittenOncePerMinute() async throws {
        let clock = ManualClock()
        let (store, sessions, _, account) = try await setUp(clock)
        let started = try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil)
        for _ in 0..<13 {
            clock.advance(by: .seconds(5))
            _ = try #require(try await sessions.validate(started.secret))
        }
        #expect(try await store.session(id: started.session.id)?.lastSeenAt == started.session.createdAt.addingTimeInterval(60))
    }

    @Test func localRevocationsEvictAtOnce() async throws {
        let clock = ManualClock()
        let (store, sessions, _, account) = try await setUp(clock)
        let first = try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil)
        let second = try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil)
        _ = try await sessions.validate(first.secret)
        _ = try await sessions.validate(second.secret)
        #expect(try await sessions.end(sessionID: first.session.id))
        #expect(try await sessions.validate(first.secret) == nil)
        try await AccountService(store: store, hasher: Self.hasher, sessions: sessions, clock: clock).signOutEverywhere(accountID: account.id)
        #expect(try await sessions.validate(second.secret) == nil)
    }

    @Test func aWarmUpLoadsOnlyTheSessionsARequestCouldBeAnsweredFor() async throws {
        let clock = ManualClock()
        let (store, sessions, cache, account) = try await setUp(clock)
        let idle = try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil)
        clock.advance(by: .seconds(61))
        let active = try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil)
        let other = try await AccountService(store: store, hasher: Self.hasher, clock: clock).register(
            email: "bob@example.com",
            password: "correct horse battery staple"
        )
        let disabled = try await sessions.start(account: other, remember: false, userAgent: nil, ipAddress: nil)
        _ = try await store.changeAccount(id: other.id, AccountChange(disabled: true), at: clock.now)

        // Seen within the last minute, of an enabled account: only `active`.
        #expect(try await sessions.warmCache() == 1)
        #expect(cache.count == 1)
        _ = try await store.deleteSession(id: active.session.id)
        #expect(try await sessions.validate(active.secret) != nil, "answered from the warmed cache")
        #expect(try await sessions.validate(disabled.secret) == nil)
        #expect(try await sessions.validate(idle.secret) != nil, "read from the store, and touched")
        // A revocation still evicts what the warm-up loaded.
        cache.evict(Revocation(kind: .session, id: active.session.id, revokedAt: clock.now, expiresAt: clock.now))
        #expect(try await sessions.validate(active.secret) == nil)
    }

    @Test func aResetCacheServesNothingUntilFollowedAgain() async throws {
        let cache = SessionCache()
        cache.markFollowed(for: .seconds(3600))
        cache.reset()
        #expect(!cache.isFollowed, "a broadcaster starting over must not inherit the last run's lease")
        cache.markFollowed(for: .seconds(1))
        #expect(cache.isFollowed)
    }

    @Test func anUnfollowedCacheIsNotWarmed() async throws {
        let clock = ManualClock()
        let (_, sessions, cache, account) = try await setUp(clock, followed: false)
        _ = try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil)
        #expect(try await sessions.warmCache() == 0)
        cache.markFollowed(for: .seconds(60))
        #expect(try await sessions.warmCache() == 1)
    }

    @Test func aCacheWhoseLeaseRanOutServesNothing() async throws {
        let clock = ManualClock()
        let (store, sessions, cache, account) = try await setUp(clock, followed: false)
        cache.markFollowed(for: .milliseconds(300))
        let started = try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil)
        _ = try #require(try await sessions.validate(started.secret))
        _ = try await store.deleteSession(id: started.session.id)
        #expect(try await sessions.validate(started.secret) != nil, "served from the cache under the lease")
        // Nobody renewed the lease (a broadcaster that cannot read the log): the store decides.
        try await Task.sleep(for: .milliseconds(400))
        #expect(!cache.isFollowed)
        #expect(try await sessions.validate(started.secret) == nil)
    }

    @Test func aFullCacheKeepsItsCapacityAndARevocationTakesOnlyWhatItNames() async throws {
        let clock = ManualClock()
        let store = MemoryStore()
        let accounts = AccountService(store: store, hasher: Self.hasher, clock: clock)
        let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        let grace = try await accounts.register(email: "grace@example.com", password: "correct horse battery staple")
        let cache = SessionCache(capacity: 100, shards: 4)
        cache.markFollowed(for: .seconds(3600))
        let sessions = SessionManager(store: store, cache: cache, clock: clock)
        var graces: [SessionManager.Started] = []
        for index in 0..<20 {
            let started = try await sessions.start(account: index < 10 ? ada : grace, remember: false, userAgent: nil, ipAddress: nil)
            if index >= 10 { graces.append(started) }
            _ = try await sessions.validate(started.secret)
        }
        #expect(cache.count == 20)
        cache.evict(Revocation(kind: .user, id: ada.id, revokedAt: clock.now, expiresAt: clock.now))
        #expect(cache.count == 10, "every session of Ada's went, in every shard, and none of Grace's")
        cache.evict(Revocation(kind: .session, id: graces[3].session.id, revokedAt: clock.now, expiresAt: clock.now))
        #expect(cache.count == 9)

        let small = SessionCache(capacity: 8, shards: 4)
        small.markFollowed(for: .seconds(3600))
        let crowded = SessionManager(store: store, cache: small, clock: clock)
        for _ in 0..<50 {
            _ = try await crowded.validate(try await crowded.start(account: grace, remember: false, userAgent: nil, ipAddress: nil).secret)
        }
        #expect(small.count <= 8)
        #expect(small.count >= 4)
    }

    @Test func aFullCacheLetsANewSessionInOnItsSecondMissAndKeepsTheOnesInUse() async throws {
        let clock = ManualClock()
        let store = MemoryStore()
        let grace = try await AccountService(store: store, hasher: Self.hasher, clock: clock).register(
            email: "grace@example.com",
            password: "correct horse battery staple"
        )
        let cache = SessionCache(capacity: 4, shards: 1)
        cache.markFollowed(for: .seconds(3600))
        let sessions = SessionManager(store: store, cache: cache, clock: clock)
        var regulars: [SessionManager.Started] = []
        for _ in 0..<4 {
            regulars.append(try await sessions.start(account: grace, remember: false, userAgent: nil, ipAddress: nil))
            _ = try await sessions.validate(regulars.last!.secret)
        }
        #expect(cache.count == 4)
        // A crowd of one-time visitors: none of them displaces a regular.
        for _ in 0..<20 {
            _ = try await sessions.validate(try await sessions.start(account: grace, remember: false, userAgent: nil, ipAddress: nil).secret)
        }
        for regular in regulars {
            _ = try await store.deleteSession(id: regular.session.id)
            #expect(try await sessions.validate(regular.secret) != nil, "still answered from the cache")
        }
        // A visitor who comes back is let in on the second miss.
        let returning = try await sessions.start(account: grace, remember: false, userAgent: nil, ipAddress: nil)
        _ = try await sessions.validate(returning.secret)
        _ = try await sessions.validate(returning.secret)
        _ = try await store.deleteSession(id: returning.session.id)
        #expect(try await sessions.validate(returning.secret) != nil)
        #expect(cache.count == 4)
    }

    @Test func theBroadcasterEvictsWhatAnotherInstanceRevokes() async throws {
        let clock = ManualClock()
        let (store, sessions, cache, account) = try await setUp(clock, followed: false)
        let started = try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil)
        _ = try await sessions.validate(started.secret)
        #expect(cache.count == 0)  // nothing is kept before the broadcaster runs
        let broadcaster = RevocationBroadcaster(store: store, caches: [cache], safetyPoll: .milliseconds(20), logger: Logger(label: "test"))
        let running = Task { try await broadcaster.run() }
        defer { running.cancel() }
        // Cached once a validation runs under the broadcaster's lease (on a busy machine its
        // renewal can come late: then the validation reads the store and caches nothing).
        let cached = ContinuousClock.now + .seconds(45)
        while cache.count == 0, ContinuousClock.now < cached {
            _ = try await sessions.validate(started.secret)
            if cache.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(cache.count == 1)
        // "Another instance" signs the account out: deletes the rows and publishes, in one transaction.
        let stamp = RevocationStamp(revokedAt: clock.now, expiresAt: clock.now.addingTimeInterval(300))
        _ = try await store.endAccess(.account(id: account.id), applying: nil, stamp: stamp)
        // The mechanism, not the latency (the multi-instance end-to-end test holds the 1 s bound):
        // while the whole suite runs, CPU-bound tests (RSA key generation in debug builds) can keep
        // the broadcaster's task off the two cooperative threads for seconds.
        let deadline = ContinuousClock.now + .seconds(45)
        while try await sessions.validate(started.secret) != nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let entries = try await store.revocations(after: 0, now: Date(), limit: 10)
        let held = cache.count
        #expect(try await sessions.validate(started.secret) == nil, "cache \(held), log \(entries.map(\.cursor)), clock \(clock.now), date \(Date())")
    }
}
