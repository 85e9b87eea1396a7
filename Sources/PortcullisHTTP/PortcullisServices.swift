public import Logging
public import PortcullisCore

/// The core services of one Portcullis instance, wired to one store and one configuration.
public struct PortcullisServices: Sendable {
    /// The settings in force.
    public let configuration: ServerConfiguration
    /// The time source every expiry decision asks.
    public let clock: any WallClock
    /// The store.
    public let store: any PortcullisStore
    /// The password hasher every service shares (one bounded pool per instance).
    public let hasher: PasswordHasher
    /// Registration, "sign out everywhere", and account administration.
    public let accounts: AccountService
    /// Password checks behind the credential throttle.
    public let login: PasswordLogin
    /// The credential throttle (sign-ins and registrations), or `nil` when switched off.
    public let throttle: CredentialThrottle?
    /// Browser sessions.
    public let sessions: SessionManager
    /// Access and refresh tokens.
    public let tokens: TokenService
    /// Turning an authenticator app on and off, and its recovery codes.
    public let twoStep: TwoStepVerification
    /// The second step of a sign-in for accounts with a second factor.
    public let secondFactor: SecondFactorSignIn
    /// Adding, listing, renaming and removing passkeys.
    public let passkeys: PasskeyService
    /// Signing in with a passkey, alone or as the second step.
    public let passkeySignIn: PasskeySignIn
    /// Reads the revocation log once for the instance: feeds its caches and every revocation stream.
    public let revocations: RevocationBroadcaster
    /// Password change and reset, email verification; `nil` when mail is off.
    public let recovery: AccountRecovery?
    /// Writes the recovery mail into the outbox; `nil` when mail is off.
    public let mailer: AccountMailer?
    /// Sends the outbox, in a server that delivers mail; `nil` otherwise.
    public let mailTransport: (any MailTransport)?

    /// Wires the services.
    /// - Parameters:
    ///   - configuration: the settings.
    ///   - store: a migrated store.
    ///   - keyEncryption: the key that seals private signing keys (from `--key-file`).
    ///   - clock: the time source for every expiry decision.
    ///   - logger: the logger the services write to.
    ///   - mailTransport: where the outbox's mail goes from this process (see ``MailTransports``);
    ///     `nil` in processes that only queue mail (the admin commands) or when mail is off.
    public init(
        configuration: ServerConfiguration,
        store: any PortcullisStore,
        keyEncryption: KeyEncryptionKey,
        clock: any WallClock = SystemClock(),
        logger: Logger,
        mailTransport: (any MailTransport)? = nil
    ) {
        let hasher = PasswordHasher(
            parameters: configuration.passwordHashing,
            concurrency: configuration.passwordHashingConcurrency,
            queueLimit: configuration.passwordHashQueue,
            priority: configuration.passwordHashingPriority
        )
        let throttle = configuration.loginThrottle.map { CredentialThrottle(policy: $0, ledger: store.attemptLedger, clock: clock) }
        let tokenPolicy = configuration.tokenPolicy
        let sessionCache = configuration.sessionCache ? SessionCache(capacity: configuration.sessionCacheCapacity) : nil
        let bearerCache = configuration.sessionCache ? BearerCache() : nil
        let caches: [any RevocationListener] = [sessionCache as (any RevocationListener)?, bearerCache].compactMap { $0 }
        let broadcaster = RevocationBroadcaster(store: store, caches: caches, logger: logger)
        let sessions = SessionManager(
            store: store,
            policy: configuration.sessions,
            revocationHorizon: tokenPolicy.revocationHorizon,
            cache: sessionCache,
            otherCaches: (bearerCache.map { [$0] } ?? []) + [broadcaster],
            clock: clock,
            logger: logger
        )
        let passwordPolicy = PasswordPolicy(serviceWords: configuration.serviceWords)
        let mailer =
            configuration.mail.isOn
            ? AccountMailer(
                settings: .init(
                    publicURL: configuration.publicOrigin,
                    resetLifetime: configuration.resetLifetime,
                    verificationLifetime: configuration.verificationLifetime
                ),
                encryption: keyEncryption,
                clock: clock
            ) : nil
        self.mailer = mailer
        self.mailTransport = configuration.mail.isOn ? mailTransport : nil
        self.recovery = mailer.map { mailer in
            AccountRecovery(
                store: store,
                hasher: hasher,
                policy: passwordPolicy,
                throttle: throttle,
                sessions: sessions,
                mailer: mailer,
                revocationHorizon: tokenPolicy.revocationHorizon,
                clock: clock,
                logger: logger
            )
        }
        self.configuration = configuration
        self.clock = clock
        self.revocations = broadcaster
        self.store = store
        self.hasher = hasher
        self.throttle = throttle
        self.sessions = sessions
        self.accounts = AccountService(
            store: store,
            hasher: hasher,
            policy: passwordPolicy,
            throttle: throttle,
            sessions: sessions,
            mailer: mailer,
            revocationHorizon: tokenPolicy.revocationHorizon,
            clock: clock
        )
        self.login = PasswordLogin(
            store: store,
            hasher: hasher,
            policy: passwordPolicy,
            throttle: throttle,
            requireVerifiedEmail: configuration.requireVerifiedEmail,
            logger: logger
        )
        self.twoStep = TwoStepVerification(
            store: store,
            hasher: hasher,
            throttle: throttle,
            sessions: sessions,
            encryption: keyEncryption,
            revocationHorizon: tokenPolicy.revocationHorizon,
            issuer: configuration.publicHost,
            clock: clock,
            logger: logger
        )
        self.secondFactor = SecondFactorSignIn(store: store, throttle: throttle, encryption: keyEncryption, clock: clock, logger: logger)
        let relyingParty = RelyingParty(id: configuration.publicHost, origin: configuration.publicOrigin, name: configuration.publicHost)
        self.passkeys = PasskeyService(
            store: store,
            hasher: hasher,
            throttle: throttle,
            sessions: sessions,
            encryption: keyEncryption,
            revocationHorizon: tokenPolicy.revocationHorizon,
            relyingParty: relyingParty,
            clock: clock,
            logger: logger
        )
        self.passkeySignIn = PasskeySignIn(
            store: store,
            throttle: throttle,
            encryption: keyEncryption,
            relyingParty: relyingParty,
            requireVerifiedEmail: configuration.requireVerifiedEmail,
            clock: clock,
            logger: logger
        )
        let keyRing = KeyRing(store: store, encryption: keyEncryption, policy: tokenPolicy, clock: clock)
        self.tokens = TokenService(
            store: store,
            keyRing: keyRing,
            encryption: keyEncryption,
            policy: tokenPolicy,
            cache: bearerCache,
            listeners: [broadcaster],
            clock: clock,
            logger: logger
        )
    }
}
