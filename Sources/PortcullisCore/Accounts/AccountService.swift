#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Creates accounts and carries out what ends or changes an account's access: "sign out
/// everywhere", disabling, and role changes. The HTTP routes and the command line call the same
/// methods, so each rule lives once.
public struct AccountService: Sendable {
    private let store: any PortcullisStore
    private let hasher: PasswordHasher
    private let policy: PasswordPolicy
    private let throttle: CredentialThrottle?
    private let sessions: SessionManager?
    private let mailer: AccountMailer?
    private let revocations: RevocationLog
    private let clock: any WallClock

    /// Creates the service.
    /// - Parameters:
    ///   - throttle: counts registrations per client address; `nil` turns that off.
    ///   - sessions: the manager whose session cache must forget at once what an account change
    ///     ends (`nil` when sessions are not cached here).
    ///   - mailer: mails a verification link to every new account; `nil` when mail is off.
    ///   - revocationHorizon: how long a `user` entry matters (the access lifetime plus verifier leeway).
    public init(
        store: any PortcullisStore,
        hasher: PasswordHasher,
        policy: PasswordPolicy = PasswordPolicy(),
        throttle: CredentialThrottle? = nil,
        sessions: SessionManager? = nil,
        mailer: AccountMailer? = nil,
        revocationHorizon: Duration = TokenPolicy(issuer: "").revocationHorizon,
        clock: any WallClock = SystemClock()
    ) {
        self.store = store
        self.hasher = hasher
        self.policy = policy
        self.throttle = throttle
        self.sessions = sessions
        self.mailer = mailer
        self.revocations = RevocationLog(store: store, horizon: revocationHorizon, clock: clock)
        self.clock = clock
    }

    /// Registers a new account, and with mail on queues its verification link in the same
    /// transaction. Registrations from one client address are throttled: every attempt with a
    /// well-formed email counts, weak passwords included, before any other work; the command line
    /// passes no address and is not throttled.
    /// - Throws: ``PortcullisError`` `invalidEmail`, `weakPassword`, `inputTooLarge`,
    ///   `invalidRequest` (a malformed role), `throttled`, `busy` or `emailTaken`.
    public func register(email rawEmail: String, password: String, roles: [String] = [], clientAddress: String? = nil) async throws -> Account {
        let email = try EmailAddress.normalize(rawEmail)
        try policy.checkSize(password)
        let reservation = try await throttle?.reserveRegistration(clientAddress: clientAddress)
        try policy.validate(password, email: email)
        try Role.validate(roles)
        do {
            if try await store.account(email: email) != nil {
                throw PortcullisError(.emailTaken, "An account with this email address already exists.")
            }
            let account = Account(email: email, roles: roles, createdAt: Date(epochSeconds: clock.now.epochSeconds))
            let hash = try await hasher.hash(password)
            do {
                let verification = try mailer?.verification(for: account) ?? []
                _ = try await store.apply([.insertAccount(account, passwordHash: hash)] + verification, stamp: revocations.stamp())
            } catch let error as StoreError where error.kind == .duplicate {
                throw PortcullisError(.emailTaken, "An account with this email address already exists.")
            }
            return account
        } catch let error as PortcullisError where error.kind == .busy {
            // Nothing was hashed: the attempt does not count against the address.
            if let reservation { await throttle?.release(reservation) }
            throw error
        }
    }

    /// "Sign out everywhere": ends every session and refresh family of the account and publishes a
    /// `user` entry, so the access tokens issued to it so far are refused too, all in one store
    /// transaction. - Returns: what ended.
    @discardableResult
    public func signOutEverywhere(accountID: String) async throws -> AppliedWrites {
        let ended = try await store.endAccess(.account(id: accountID), applying: nil, stamp: revocations.stamp())
        sessions?.forget(ended)
        return ended
    }

    /// Changes an account's roles or disabled state, touching only what `change` names. Disabling
    /// and a change of roles also sign the account out everywhere, in the same transaction:
    /// tokens carry roles, and a disabled account may not use anything issued before.
    /// - Returns: the changed account, or `nil` if there is none with this id.
    /// - Throws: ``PortcullisError`` `invalidRequest` for a malformed role.
    public func change(accountID: String, _ change: AccountChange) async throws -> Account? {
        if let roles = change.roles { try Role.validate(roles) }
        guard let current = try await store.account(id: accountID) else { return nil }
        let rolesChange = change.roles.map { $0 != current.roles } ?? false
        guard change.disabled == true || rolesChange else {
            return try await store.changeAccount(id: accountID, change, at: clock.now)
        }
        let ended = try await store.endAccess(.account(id: accountID), applying: change, stamp: revocations.stamp())
        sessions?.forget(ended)
        return ended.account
    }
}
