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
    /// Access and refresh tokens.
    public let tokens: TokenService

    /// Wires the services.
    /// - Parameters:
    ///   - configuration: the settings.
    ///   - store: a migrated store.
    ///   - keyEncryption: the key that seals private signing keys (from `--key-file`).
    ///   - clock: the time source for every expiry decision.
    ///   - logger: the logger the services write to.
    public init(configuration: ServerConfiguration, store: any PortcullisStore, keyEncryption: KeyEncryptionKey, clock: any WallClock = SystemClock(), logger: Logger) {
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
        let tokenPolicy = configuration.tokenPolicy
        self.sessions = SessionManager(
            store: store, policy: configuration.sessions, revocationHorizon: tokenPolicy.revocationHorizon,
            cache: configuration.sessionCache ? SessionCache() : nil, clock: clock, logger: logger
        )
        let keyRing = KeyRing(store: store, encryption: keyEncryption, policy: tokenPolicy, clock: clock)
        self.tokens = TokenService(store: store, keyRing: keyRing, encryption: keyEncryption, policy: tokenPolicy, clock: clock, logger: logger)
    }

    /// "Sign out everywhere": ends every session and refresh family of the account and publishes a
    /// `user` entry, so access tokens issued so far are refused too. - Returns: the sessions ended.
    @discardableResult
    public func signOutEverywhere(accountID: String) async throws -> [String] {
        let ended = try await sessions.endAll(accountID: accountID)
        try await tokens.revokeEverything(accountID: accountID)
        return ended
    }

    /// Disables or enables an account; disabling also signs it out everywhere.
    /// - Returns: the updated account, or `nil` if there is none with this id.
    public func setDisabled(_ disabled: Bool, accountID: String) async throws -> Account? {
        guard let account = try await accounts.setDisabled(disabled, accountID: accountID) else { return nil }
        if disabled { try await signOutEverywhere(accountID: accountID) }
        return account
    }
}
