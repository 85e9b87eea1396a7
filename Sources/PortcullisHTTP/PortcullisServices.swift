public import Logging
public import PortcullisCore

/// The core services of one Portcullis instance, wired to one store and one configuration.
public struct PortcullisServices: Sendable {
    /// The settings in force.
    public let configuration: ServerConfiguration
    /// The store.
    public let store: any PortcullisStore
    /// The password hasher every service shares (one bounded pool per instance).
    public let hasher: PasswordHasher
    /// Registration and account administration.
    public let accounts: AccountService
    /// Password checks behind the login throttle.
    public let login: PasswordLogin
    /// Browser sessions.
    public let sessions: SessionManager

    /// Wires the services.
    /// - Parameters:
    ///   - configuration: the settings.
    ///   - store: a migrated store.
    ///   - clock: the time source for every expiry decision.
    ///   - logger: the logger the services write to.
    public init(configuration: ServerConfiguration, store: any PortcullisStore, clock: any WallClock = SystemClock(), logger: Logger) {
        let hasher = PasswordHasher(parameters: configuration.passwordHashing, concurrency: configuration.passwordHashingConcurrency)
        self.configuration = configuration
        self.store = store
        self.hasher = hasher
        self.accounts = AccountService(store: store, hasher: hasher, clock: clock)
        self.login = PasswordLogin(
            store: store,
            hasher: hasher,
            throttle: configuration.loginThrottle.map { LoginThrottle(policy: $0, clock: clock) },
            logger: logger
        )
        self.sessions = SessionManager(store: store, policy: configuration.sessions, clock: clock, logger: logger)
    }
}
