public import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Starts, validates and ends browser sessions, enforcing their lifetimes on the server.
public struct SessionManager: Sendable {
    /// A session just started, with the secret for its cookie (shown once, never stored).
    public struct Started: Sendable {
        /// The stored record.
        public let session: Session
        /// The cookie's secret value.
        public let secret: SessionSecret
    }

    /// The session and account a valid cookie belongs to.
    public struct Validated: Sendable {
        /// The session, with `lastSeenAt` as of this request.
        public let session: Session
        /// The signed-in account.
        public let account: Account

        /// Pairs a session with its account.
        public init(session: Session, account: Account) {
            self.session = session
            self.account = account
        }
    }

    private let store: any PortcullisStore
    private let revocations: RevocationLog
    /// Validations kept in memory, if caching is on.
    public let cache: SessionCache?
    /// Every cache that must forget at once what this instance revokes: ``cache`` and the
    /// caches given at creation (the bearer-token cache).
    public let caches: [any RevocationListener]
    /// The lifetimes in force.
    public let policy: SessionPolicy
    private let clock: any WallClock
    private let logger: Logger

    /// Creates the manager.
    /// - Parameter revocationHorizon: how long an ended session stays on the revocation feed (the
    ///   lifetime of access tokens minted from it, plus verifier leeway).
    /// - Parameter cache: keeps validations in memory (run a ``RevocationBroadcaster`` beside it).
    /// - Parameter otherCaches: caches that must also forget what an ended session, a sign-out
    ///   everywhere or a password change revokes (the bearer-token cache).
    public init(
        store: any PortcullisStore,
        policy: SessionPolicy = SessionPolicy(),
        revocationHorizon: Duration = .seconds(360),
        cache: SessionCache? = nil,
        otherCaches: [any RevocationListener] = [],
        clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "portcullis.sessions", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.store = store
        self.cache = cache
        self.caches = (cache.map { [$0] } ?? []) + otherCaches
        self.revocations = RevocationLog(store: store, horizon: revocationHorizon, clock: clock)
        self.policy = policy
        self.clock = clock
        self.logger = logger
    }

    /// Starts a session for `account` with a fresh secret. Any session the request came with is
    /// left alone: login never promotes an existing cookie (no fixation).
    /// - Parameter passwordHash: the hash the sign-in's password was checked against
    ///   (``PasswordLogin/Proof``): the session is stored only if the account is still enabled with
    ///   that password, so a sign-in in flight when a reset commits cannot outlive it. `nil` (an
    ///   account just registered) stores it unconditionally.
    /// - Parameter authMethods: how the sign-in was proven (recorded as the session's `amr`).
    /// - Parameter alongside: writes that must succeed in the same transaction, after the
    ///   password condition: ``StoreWrite/requireNoSecondFactor(accountID:)`` for a password-only
    ///   sign-in, the second factor's one-time uses after a second step. If one fails, nothing is
    ///   stored and its ``StoreError`` is thrown (`changed` becomes `invalidCredentials`).
    public func start(
        account: Account,
        remember: Bool,
        userAgent: String?,
        ipAddress: String?,
        passwordHash: String? = nil,
        authMethods: [AuthenticationMethod] = [.password],
        alongside: [StoreWrite] = []
    ) async throws -> Started {
        let now = Date(epochSeconds: clock.now.epochSeconds)
        let lifetimes = policy.lifetimes(remember: remember)
        let secret = SessionSecret.generate()
        let session = Session(
            id: SecureRandom.token(byteCount: 16),
            accountID: account.id,
            secretHash: secret.hash,
            createdAt: now,
            lastSeenAt: now,
            idleTimeout: lifetimes.idle,
            absoluteExpiry: now.addingTimeInterval(lifetimes.absolute.timeInterval),
            remember: remember,
            userAgent: userAgent.map { String($0.prefix(512)) },
            ipAddress: ipAddress,
            authMethods: authMethods
        )
        var writes: [StoreWrite] = alongside + [.insertSession(session)]
        if let passwordHash { writes.insert(.requireCredential(accountID: account.id, passwordHash: passwordHash), at: 0) }
        do {
            _ = try await store.apply(writes, stamp: RevocationStamp(revokedAt: now, expiresAt: now))
        } catch let error as StoreError where error.kind == .changed {
            logger.info("sign-in outrun by a change of password", metadata: ["portcullis.account_id": "\(account.id)"])
            throw PortcullisError.invalidCredentials
        }
        logger.info("session started", metadata: ["portcullis.session_id": "\(session.id)", "portcullis.account_id": "\(account.id)"])
        return Started(session: session, secret: secret)
    }

    /// The session and account behind `secret`, or `nil` if the secret was never issued, the
    /// session ended or expired, or the account is disabled. Writes to the store only when
    /// `last_seen_at` is older than ``SessionPolicy/touchInterval`` (or to delete an expired session).
    public func validate(_ secret: SessionSecret) async throws -> Validated? {
        let now = clock.now
        let hash = secret.hash
        if let cached = cache?.lookup(secretHash: hash, now: now),
            now.timeIntervalSince(cached.session.lastSeenAt) < policy.touchInterval.timeInterval
        {
            return cached
        }
        let ticket = cache?.readTicket()
        guard let found = try await store.sessionWithAccount(secretHash: hash) else { return nil }
        var session = found.session
        let account = found.account
        if session.isExpired(at: now) {
            _ = try await store.deleteSession(id: session.id)
            return nil
        }
        guard !account.isDisabled else { return nil }
        if now.timeIntervalSince(session.lastSeenAt) >= policy.touchInterval.timeInterval {
            session.lastSeenAt = Date(epochSeconds: now.epochSeconds)
            try await store.touchSession(id: session.id, lastSeenAt: session.lastSeenAt)
        }
        let validated = Validated(session: session, account: account)
        if let ticket { cache?.store(validated, now: now, readSince: ticket) }
        return validated
    }

    /// Loads the sessions used within the last ``SessionPolicy/touchInterval`` into the cache, so
    /// the people active when an instance (re)starts do not each cost it a store read on their
    /// next request. Only sessions a request could be answered from the cache for are loaded (a
    /// session seen longer ago needs its `last_seen_at` written anyway), the most recently seen
    /// first, up to the cache's capacity, a page at a time so requests' own reads go between. The
    /// same guard as a validation applies: a revocation during a page's read keeps what it read
    /// out, and the page is read again (a few times at most).
    /// - Returns: how many sessions were read and offered to the cache (none without a followed
    ///   cache); a full shard may turn some away.
    @discardableResult
    public func warmCache(pageSize: Int = 500) async throws -> Int {
        guard let cache else { return 0 }
        let now = clock.now
        let since = now.addingTimeInterval(-policy.touchInterval.timeInterval)
        var loaded = 0
        var last: Session?
        var retries = 0
        pages: while loaded < cache.capacity, cache.isFollowed {
            let ticket = cache.readTicket()
            let page = try await store.sessionsWithAccounts(seenSince: since, after: last, limit: min(pageSize, cache.capacity - loaded))
            for (session, account) in page where !session.isExpired(at: now) && !account.isDisabled {
                if !cache.store(Validated(session: session, account: account), now: now, readSince: ticket) {
                    // A revocation began during the read (or the lease ran out): read the page again,
                    // a few times at most, so a busy log cannot keep the warm-up going forever.
                    retries += 1
                    guard retries <= Self.warmUpRetries else { break pages }
                    continue pages
                }
                loaded += 1
            }
            guard page.count == pageSize, let next = page.last?.session else { break }
            last = next
            await Task.yield()
        }
        return loaded
    }

    /// How many times the warm start reads a page again after a revocation interrupted it.
    static let warmUpRetries = 3

    /// The account's sessions that are still alive, newest first.
    public func activeSessions(accountID: String) async throws -> [Session] {
        let now = clock.now
        return try await store.sessions(accountID: accountID).filter { !$0.isExpired(at: now) }
    }

    /// Ends a session and publishes it on the revocation feed in one store transaction, so access
    /// tokens minted from it die too.
    /// - Parameter accountID: when given, only that account's session is ended (a person signing
    ///   out one of their devices); otherwise whoever owns it (an administrator).
    /// - Returns: whether there was such a session.
    public func end(sessionID: String, accountID: String? = nil) async throws -> Bool {
        let ended = try await store.endAccess(.session(id: sessionID, owner: accountID), applying: nil, stamp: revocations.stamp())
        forget(ended)
        if !ended.sessionIDs.isEmpty { logger.info("session ended", metadata: ["portcullis.session_id": "\(sessionID)"]) }
        return !ended.sessionIDs.isEmpty
    }

    /// Drops the account's sessions and tokens from this instance's caches, so their next request
    /// sees the account as it is now (other instances see it when their entries age out, within 30 s).
    public func refresh(accountID: String) {
        for cache in caches { cache.forget(accountID: accountID) }
    }

    /// Drops from this instance's cache what a ``StoreWrite/endAccess(_:)`` ended; other
    /// instances drop it when their ``RevocationBroadcaster`` reads the entries.
    public func forget(_ applied: AppliedWrites) {
        for revocation in applied.revocations {
            for cache in caches { cache.evict(revocation) }
        }
    }
}
