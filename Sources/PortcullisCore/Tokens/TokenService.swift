import Crypto
public import Logging
public import PortcullisTokens

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Issues, refreshes, verifies and revokes tokens (docs/design.md#the-key-ring-and-token-policy).
///
/// Access tokens are short-lived JWTs; refresh tokens are opaque 256-bit strings stored as SHA-256
/// hashes and rotated on every use. A rotated token's successor is derived from it with a key only
/// the server holds (HMAC-SHA256), so every presentation within the grace window receives the same
/// successor without the store ever keeping a usable token.
public struct TokenService: Sendable {
    /// Tokens handed to a client.
    public struct Issued: Sendable {
        /// The signed access token.
        public let accessToken: String
        /// Its claims.
        public let claims: AccessTokenClaims
        /// Its lifetime in seconds.
        public let expiresIn: Int
        /// The refresh token, for grants that issue one.
        public let refreshToken: String?
    }

    /// The policy in force.
    public let policy: TokenPolicy
    /// The signing keys.
    public let keyRing: KeyRing
    /// Bearer tokens already checked, if caching is on.
    public let cache: BearerCache?
    /// Everyone to tell at once of a revocation made here: the bearer cache and `listeners`.
    private let told: [any RevocationListener]
    private let store: any PortcullisStore
    private let revocations: RevocationLog
    private let successorKey: SymmetricKey
    private let verifier: AccessTokenVerifier
    private let clock: any WallClock
    private let logger: Logger

    /// Creates the service.
    /// - Parameters:
    ///   - cache: keeps checked bearer tokens in memory (run a ``RevocationBroadcaster`` beside
    ///     it, and give it to the ``SessionManager`` so what sessions revoke reaches it too).
    ///   - listeners: others to tell at once of a revocation made here (the broadcaster).
    public init(
        store: any PortcullisStore,
        keyRing: KeyRing,
        encryption: KeyEncryptionKey,
        policy: TokenPolicy,
        cache: BearerCache? = nil,
        listeners: [any RevocationListener] = [],
        clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "portcullis.tokens", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.store = store
        self.cache = cache
        self.told = (cache.map { [$0] } ?? []) + listeners
        self.revocations = RevocationLog(store: store, horizon: policy.revocationHorizon, clock: clock)
        self.keyRing = keyRing
        self.policy = policy
        self.successorKey = encryption.derivedKey(purpose: "refresh-successor")
        self.verifier = AccessTokenVerifier(
            policy: .init(
                issuer: policy.issuer,
                audiences: [policy.ownAudience],
                leeway: TokenPolicy.leeway,
                maximumLifetime: policy.accessLifetime
            )
        )
        self.clock = clock
        self.logger = logger
    }

    /// The audience a request asks for, checked against the configured ones (RFC 8707 style).
    public func audience(_ requested: String?) throws -> String {
        guard let requested, !requested.isEmpty else { return policy.ownAudience }
        guard policy.audiences.contains(requested) else {
            throw PortcullisError(.invalidRequest, "The requested audience is not one this server issues tokens for.")
        }
        return requested
    }

    /// The password grant: a new refresh family and its first tokens.
    /// - Parameter passwordHash: the hash the grant's password was checked against
    ///   (``PasswordLogin/Proof``): the family is stored only if the account is still enabled with
    ///   that password, so a grant in flight when a reset commits fails with `invalidCredentials`
    ///   instead of outliving it. `nil` stores it unconditionally.
    /// - Parameter authMethods: how the sign-in was proven (the family's and its tokens' `amr`).
    /// - Parameter alongside: writes that must succeed in the same transaction, after the
    ///   password condition: ``StoreWrite/requireNoSecondFactor(accountID:)`` for a password-only
    ///   sign-in, the second factor's one-time uses after a second step. If one fails, nothing is
    ///   stored and its ``StoreError`` is thrown (`changed` becomes `invalidCredentials`).
    public func issue(
        for account: Account,
        audience requested: String?,
        passwordHash: String? = nil,
        authMethods: [AuthenticationMethod] = [.password],
        alongside: [StoreWrite] = []
    ) async throws -> Issued {
        let audience = try audience(requested)
        try requireVerifiedEmail(account)
        let now = Date(epochSeconds: clock.now.epochSeconds)
        let refreshToken = SecureRandom.token(byteCount: 32)
        let family = RefreshFamily(
            id: SecureRandom.token(byteCount: 16),
            accountID: account.id,
            clientID: policy.firstPartyClientID,
            audience: audience,
            createdAt: now,
            lastUsedAt: now,
            idleTimeout: policy.refreshIdle,
            absoluteExpiry: now.addingTimeInterval(policy.refreshAbsolute.timeInterval),
            authMethods: authMethods
        )
        var writes: [StoreWrite] = alongside + [.insertRefreshFamily(family, firstTokenHash: Self.hash(refreshToken))]
        if let passwordHash { writes.insert(.requireCredential(accountID: account.id, passwordHash: passwordHash), at: 0) }
        do {
            _ = try await store.apply(writes, stamp: RevocationStamp(revokedAt: now, expiresAt: now))
        } catch let error as StoreError where error.kind == .changed {
            throw PortcullisError.invalidCredentials
        }
        logger.info("refresh family started", metadata: ["portcullis.family_id": "\(family.id)", "portcullis.account_id": "\(account.id)"])
        return try await accessToken(for: account, sessionID: family.id, audience: audience, refreshToken: refreshToken, proof: family.proof)
    }

    /// The refresh-token grant: rotation, the grace window, and reuse detection (RFC 9700 §4.14).
    /// - Throws: ``PortcullisError`` `invalidGrant` for an unknown, expired, revoked or reused token.
    public func refresh(_ refreshToken: String, audience requested: String?) async throws -> Issued {
        guard let presented = Base64.decode(refreshToken), presented.count == 32 else { throw Self.invalidGrant }
        let successor = Base64.encode(Array(HMAC<SHA256>.authenticationCode(for: presented, using: successorKey)))
        let use = try await store.useRefreshToken(
            hash: Self.hash(refreshToken),
            successorHash: Self.hash(successor),
            now: clock.now,
            grace: policy.refreshGrace,
            revocation: revocations.stamp()
        )
        let family: RefreshFamily
        switch use {
        case .rotated(let current), .replayedWithinGrace(let current):
            family = current
        case .reused(let revoked):
            // The store revoked the family and published it in the same transaction.
            tell(revocations.stamp().entry(.session, id: revoked.id))
            logger.warning("refresh token reuse: family revoked", metadata: ["portcullis.family_id": "\(revoked.id)"])
            throw Self.invalidGrant
        case .invalid:
            throw Self.invalidGrant
        }
        guard let account = try await store.account(id: family.accountID), !account.isDisabled else { throw Self.invalidGrant }
        try requireVerifiedEmail(account)
        let audience = requested == nil ? family.audience : try audience(requested)
        return try await accessToken(for: account, sessionID: family.id, audience: audience, refreshToken: successor, proof: family.proof)
    }

    /// The session token-exchange grant: a short-lived access token bound to the browser session,
    /// expiring no later than the session does.
    public func exchange(session: Session, account: Account, audience requested: String?) async throws -> Issued {
        try requireVerifiedEmail(account)
        return try await accessToken(
            for: account,
            sessionID: session.id,
            audience: try audience(requested),
            refreshToken: nil,
            proof: SignInProof(methods: session.authMethods, at: session.createdAt),
            notAfter: session.expiresAt.epochSeconds
        )
    }

    /// The account a bearer token proves, if it is valid for Portcullis's own API and not revoked.
    ///
    /// A token checked before and still in the ``BearerCache`` costs a lookup (its key must still
    /// verify); otherwise it is verified, checked against the revocation log and its account read.
    public func authenticate(bearer token: String) async throws -> (claims: AccessTokenClaims, account: Account) {
        let now = clock.now
        let keys = try await keyRing.verificationKeys()
        if let hit = cache?.lookup(token, now: now, keys: keys, leeway: TokenPolicy.leeway) {
            return (hit.claims, hit.account)
        }
        let ticket = cache?.readTicket()
        let candidate = try verifier.inspect(token, now: now)
        var key = keys[candidate.keyID]
        if key == nil {
            // Perhaps a key another instance has just added: look once more.
            try await keyRing.reloadAfterUnknownKid()
            key = try await keyRing.verificationKeys()[candidate.keyID]
        }
        let claims = try await verifier.verifySignature(of: candidate, with: key)
        guard
            try await !store.isRevoked(
                tokenID: claims.tokenID,
                sessionID: claims.sessionID,
                accountID: claims.subject,
                issuedAt: Date(epochSeconds: claims.issuedAt)
            ),
            let account = try await store.account(id: claims.subject), !account.isDisabled
        else { throw TokenRejection.revoked }
        if let ticket {
            cache?.store(.init(claims: claims, account: account, keyID: candidate.keyID, cachedAt: now), for: token, readSince: ticket)
        }
        return (claims, account)
    }

    /// RFC 7009: revokes a refresh token's family, or one access token by its `jti`. Unknown or
    /// invalid tokens are ignored, as the RFC asks.
    public func revoke(_ token: String) async throws {
        if let (family, _) = try await store.refreshToken(hash: Self.hash(token)) {
            try await revokeFamily(.refreshFamily(id: family.id, owner: nil))
            return
        }
        guard let claims = try? await anyAudienceVerifier.verify(token, keys: try await keyRing.verificationKeys(), now: clock.now) else { return }
        tell(try await revocations.publish(.token, id: claims.tokenID))
    }

    /// The account's refresh families that can still be used ("apps signed in with tokens"),
    /// newest first.
    public func activeRefreshFamilies(accountID: String) async throws -> [RefreshFamily] {
        let now = clock.now
        return try await store.refreshFamilies(accountID: accountID)
            .filter { $0.isLive(at: now) }
            .sorted { $0.createdAt > $1.createdAt }
    }

    /// Revokes one refresh family of `accountID` and publishes it, so access tokens minted from
    /// it are refused too. - Returns: `false` if there is no live family with this id that
    /// belongs to that account.
    public func revokeRefreshFamily(id: String, accountID: String) async throws -> Bool {
        try await revokeFamily(.refreshFamily(id: id, owner: accountID))
    }

    /// Revokes a family and, if it was not revoked yet, publishes it on the revocation log (its
    /// access tokens carry its id as `sid`), in one store transaction. - Returns: whether it was.
    @discardableResult
    private func revokeFamily(_ scope: AccessScope) async throws -> Bool {
        let ended = try await store.endAccess(scope, applying: nil, stamp: revocations.stamp())
        for revocation in ended.revocations { tell(revocation) }
        guard let id = ended.familyIDs.first else { return false }
        logger.info("refresh family revoked", metadata: ["portcullis.family_id": "\(id)"])
        return true
    }

    /// What RFC 7662 introspection reports about a token.
    public struct Introspection: Sendable {
        /// Whether the token is usable now.
        public let active: Bool
        /// `access_token` or `refresh_token`.
        public let tokenType: String?
        /// The account.
        public let subject: String?
        /// When it expires.
        public let expiresAt: Int64?
        /// When it was issued.
        public let issuedAt: Int64?
        /// The session or family.
        public let sessionID: String?
        /// The access token's `jti`.
        public let tokenID: String?
        /// The client it was issued to.
        public let clientID: String?
        /// How the sign-in behind it was proven (`amr`; empty for an access token without them).
        public let authenticationMethods: [String]
        /// When that sign-in happened (`auth_time`).
        public let authenticatedAt: Int64?

        static let inactive = Introspection(
            active: false,
            tokenType: nil,
            subject: nil,
            expiresAt: nil,
            issuedAt: nil,
            sessionID: nil,
            tokenID: nil,
            clientID: nil,
            authenticationMethods: [],
            authenticatedAt: nil
        )
    }

    /// RFC 7662: whether a token (access or refresh, any configured audience) is active.
    public func introspect(_ token: String) async throws -> Introspection {
        let now = clock.now
        if let (family, rotatedAt) = try await store.refreshToken(hash: Self.hash(token)) {
            guard rotatedAt == nil, family.isLive(at: now), let account = try await store.account(id: family.accountID), !account.isDisabled else {
                return .inactive
            }
            return Introspection(
                active: true,
                tokenType: "refresh_token",
                subject: family.accountID,
                expiresAt: family.absoluteExpiry.epochSeconds,
                issuedAt: family.lastUsedAt.epochSeconds,
                sessionID: family.id,
                tokenID: nil,
                clientID: family.clientID,
                authenticationMethods: family.authMethods.map(\.rawValue),
                authenticatedAt: family.createdAt.epochSeconds
            )
        }
        guard let claims = try? await anyAudienceVerifier.verify(token, keys: try await keyRing.verificationKeys(), now: now),
            try await !store.isRevoked(
                tokenID: claims.tokenID,
                sessionID: claims.sessionID,
                accountID: claims.subject,
                issuedAt: Date(epochSeconds: claims.issuedAt)
            ),
            let account = try await store.account(id: claims.subject), !account.isDisabled
        else { return .inactive }
        return Introspection(
            active: true,
            tokenType: "access_token",
            subject: claims.subject,
            expiresAt: claims.expiresAt,
            issuedAt: claims.issuedAt,
            sessionID: claims.sessionID,
            tokenID: claims.tokenID,
            clientID: claims.clientID,
            authenticationMethods: claims.authMethods,
            authenticatedAt: claims.authTime
        )
    }

    private var anyAudienceVerifier: AccessTokenVerifier {
        AccessTokenVerifier(
            policy: .init(issuer: policy.issuer, audiences: Set(policy.audiences), leeway: TokenPolicy.leeway, maximumLifetime: policy.accessLifetime)
        )
    }

    /// Signs an access token for `account`.
    ///
    /// The revocation feed compares whole seconds (a `user` entry refuses `iat <= revoked_at`), so a
    /// token issued in the same second as, but after, a "sign out everywhere" is dated the next
    /// second: the entry refuses everything issued before it and nothing issued after it.
    /// - Parameter proof: how and when the sign-in behind the token was proven (`amr`, `auth_time`).
    /// - Parameter notAfter: a latest expiry (the session's, for a token minted from one).
    private func accessToken(
        for account: Account,
        sessionID: String,
        audience: String,
        refreshToken: String?,
        proof: SignInProof,
        notAfter: Int64? = nil
    ) async throws -> Issued {
        let now = clock.now.epochSeconds
        var issuedAt = now
        if let revoked = try await store.latestUserRevocation(accountID: account.id)?.epochSeconds, revoked >= now {
            issuedAt = revoked + 1
        }
        let expiresAt = min(now + policy.accessLifetime.components.seconds, notAfter ?? .max)
        let claims = AccessTokenClaims(
            issuer: policy.issuer,
            subject: account.id,
            audience: [audience],
            expiresAt: expiresAt,
            issuedAt: issuedAt,
            tokenID: SecureRandom.token(byteCount: 12),
            sessionID: sessionID,
            clientID: policy.firstPartyClientID,
            roles: account.roles,
            emailVerified: account.isEmailVerified,
            authMethods: proof.methods.map(\.rawValue),
            authTime: proof.time.epochSeconds
        )
        let token = try await AccessTokenSigner.sign(claims, with: try await keyRing.signingKey())
        return Issued(accessToken: token, claims: claims, expiresIn: Int(max(0, expiresAt - now)), refreshToken: refreshToken)
    }

    /// How and when a sign-in was proven.
    struct SignInProof {
        let methods: [AuthenticationMethod]
        let time: Date

        init(methods: [AuthenticationMethod], at time: Date) {
            self.methods = methods
            self.time = time
        }
    }

    /// Tells this instance's caches and broadcaster of a revocation just made here.
    private func tell(_ revocation: Revocation) {
        for listener in told { listener.evict(revocation) }
    }

    /// Refuses an unconfirmed address when the policy requires one (a session or family from
    /// before the setting was turned on gets no new token either).
    private func requireVerifiedEmail(_ account: Account) throws {
        guard !policy.requireVerifiedEmail || account.isEmailVerified else { throw PortcullisError.emailNotVerified }
    }

    private static func hash(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Array(token.utf8))) }

    private static let invalidGrant = PortcullisError(.invalidGrant, "The refresh token is invalid, expired or revoked.")
}

extension RefreshFamily {
    /// The sign-in that started the family.
    fileprivate var proof: TokenService.SignInProof { .init(methods: authMethods, at: createdAt) }
}
