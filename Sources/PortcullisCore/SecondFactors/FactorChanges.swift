#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What every change of how an account signs in shares, whether it concerns an authenticator
/// app, recovery codes or a passkey.
///
/// A change of factors is a change of credentials: it ends every other session and refresh
/// family of the account and publishes it (as a password change does), and retires the sign-in
/// challenges in flight, all in the change's own transaction. And a change that could lock the
/// owner out, or let a thief in, needs a recent sign-in (within ``recentSignIn``) or the password.
struct FactorChanges: Sendable {
    /// How long after signing in a person may change factors without typing the password again.
    static let recentSignIn: Duration = .seconds(900)

    let store: any PortcullisStore
    let hasher: PasswordHasher
    let throttle: CredentialThrottle?
    let sessions: SessionManager
    let revocations: RevocationLog
    let clock: any WallClock

    /// - Parameters:
    ///   - throttle: counts wrong passwords given to confirm a change; `nil` turns that off.
    ///   - sessions: whose caches must forget at once the sessions a change ends.
    ///   - revocationHorizon: how long the `user` entry of a change matters.
    init(
        store: any PortcullisStore,
        hasher: PasswordHasher,
        throttle: CredentialThrottle?,
        sessions: SessionManager,
        revocationHorizon: Duration,
        clock: any WallClock
    ) {
        self.store = store
        self.hasher = hasher
        self.throttle = throttle
        self.sessions = sessions
        self.revocations = RevocationLog(store: store, horizon: revocationHorizon, clock: clock)
        self.clock = clock
    }

    /// Applies `writes` with the end of every other session and refresh family (keeping
    /// `keepingSession`) and of the sign-in challenges in flight.
    func apply(_ writes: [StoreWrite], to account: Account, keepingSession: String?) async throws {
        let applied = try await store.apply(
            writes + [
                .retireOneTimeTokens(accountID: account.id, purpose: .secondFactor),
                .endAccess(.account(id: account.id, keepingSession: keepingSession)),
            ],
            stamp: revocations.stamp()
        )
        sessions.forget(applied)
    }

    /// Passes a sign-in within ``recentSignIn``; otherwise checks `password` (a wrong one counts
    /// as a failed sign-in).
    /// Answers whether the password was checked (`false`: the sign-in was recent).
    /// - Throws: ``PortcullisError`` `forbidden` without a recent sign-in or the right password; `throttled`.
    @discardableResult
    func requireRecentProof(of account: Account, signedInAt: Date?, password: String?, clientAddress: String?) async throws -> Bool {
        if let signedInAt, clock.now.timeIntervalSince(signedInAt) <= Self.recentSignIn.timeInterval { return false }
        guard let password else { throw Self.passwordNeeded }
        try await confirmPassword(password, of: account, clientAddress: clientAddress)
        return true
    }

    /// The refusal of a change that needs the password and was not given it.
    static let passwordNeeded = PortcullisError(.forbidden, "Confirm your password to change how you sign in (or sign in again).")

    /// Checks the account's password (a wrong one counts as a failed sign-in); answers the hash
    /// it was checked against.
    @discardableResult
    func confirmPassword(_ password: String, of account: Account, clientAddress: String?) async throws -> String {
        try await PasswordConfirmation(store: store, hasher: hasher, throttle: throttle).confirm(password, of: account, clientAddress: clientAddress)
    }
}
