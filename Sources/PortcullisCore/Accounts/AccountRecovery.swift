public import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Password change, password reset and email verification.
///
/// Each use case is one ``WriteStore/apply(_:stamp:)``: the token used, the password set, the
/// other reset links retired, the address marked verified, the mail queued and every other
/// session and refresh family ended and published happen together or not at all. A reset or
/// change that leaves existing sessions and tokens alive, the recurring bug of auth systems,
/// cannot happen here.
public struct AccountRecovery: Sendable {
    private let store: any PortcullisStore
    private let hasher: PasswordHasher
    private let policy: PasswordPolicy
    private let throttle: CredentialThrottle?
    private let sessions: SessionManager?
    private let mailer: AccountMailer
    private let revocations: RevocationLog
    private let clock: any WallClock
    private let logger: Logger

    /// Creates the use cases.
    /// - Parameters:
    ///   - throttle: counts mail requests and wrong current passwords; `nil` turns that off.
    ///   - sessions: the manager whose session cache must forget at once what a reset ends.
    ///   - revocationHorizon: how long the `user` entry of a reset matters.
    public init(
        store: any PortcullisStore,
        hasher: PasswordHasher,
        policy: PasswordPolicy = PasswordPolicy(),
        throttle: CredentialThrottle?,
        sessions: SessionManager?,
        mailer: AccountMailer,
        revocationHorizon: Duration,
        clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "portcullis.recovery", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.store = store
        self.hasher = hasher
        self.policy = policy
        self.throttle = throttle
        self.sessions = sessions
        self.mailer = mailer
        self.revocations = RevocationLog(store: store, horizon: revocationHorizon, clock: clock)
        self.clock = clock
        self.logger = logger
    }

    // MARK: Password reset

    /// Asks for a reset link for `email`. Answers the same way, after the same work, whether or
    /// not the address has an account: the throttle is the only thing done before returning;
    /// looking the account up and queuing the mail happen afterwards, off the caller's clock.
    ///
    /// Too many requests from one client network are refused (`throttled`). Too many reset links
    /// to one address in an hour are not: the request is answered as usual and no mail is sent, so
    /// a stranger can neither learn anything from the answer nor lock the owner out; the owner
    /// already has the recent links.
    /// - Throws: ``PortcullisError`` `invalidEmail` for a malformed address, `throttled`.
    public func requestPasswordReset(email rawEmail: String, clientAddress: String?) async throws {
        let email = try EmailAddress.normalize(rawEmail)
        try await throttle?.reserveMailRequest(clientAddress: clientAddress)
        guard try await mayMail(.resetPassword, to: email) else { return }
        Task { await issue(.resetPassword, to: email) }
    }

    /// Sets a new password with a reset link's token: uses the token, sets the password, retires
    /// every other reset link of the account, marks its address verified (the link came by mail),
    /// queues the notice, and ends every session and refresh family of the account, publishing a
    /// `user` entry so no access token issued before is accepted anywhere.
    /// - Throws: ``PortcullisError`` `invalidToken`, `weakPassword`, `inputTooLarge`, `busy`.
    @discardableResult
    public func resetPassword(token: String, newPassword: String) async throws -> Account {
        let (hash, account) = try await usableToken(token, for: .resetPassword)
        try policy.validate(newPassword, email: account.email)
        let passwordHash = try await hasher.hash(newPassword)
        let applied = try await applyUsingToken([
            .useOneTimeToken(hash: hash, purpose: .resetPassword),
            .setPasswordHash(accountID: account.id, hash: passwordHash),
            .retireOneTimeTokens(accountID: account.id, purpose: .resetPassword),
            .retireOneTimeTokens(accountID: account.id, purpose: .secondFactor),
            .changeAccount(id: account.id, AccountChange(emailVerified: true)),
            try mailer.passwordChangedNotice(for: account),
            .endAccess(.account(id: account.id)),
        ])
        sessions?.forget(applied)
        logger.info(
            "password reset",
            metadata: ["portcullis.account_id": "\(account.id)", "portcullis.sessions_ended": "\(applied.sessionIDs.count)"]
        )
        return applied.account ?? account
    }

    // MARK: Password change

    /// Changes the password of a signed-in account, given its current one: ends every other
    /// session and every refresh family (published, with a `user` entry), keeps `keepingSession`
    /// (the one making the change), retires outstanding reset links and queues the notice.
    /// A wrong current password counts as a failed sign-in.
    /// - Throws: ``PortcullisError`` `forbidden` for a wrong current password, `throttled`,
    ///   `weakPassword`, `inputTooLarge`, `busy`.
    public func changePassword(
        account: Account,
        keepingSession: String?,
        current: String,
        new newPassword: String,
        clientAddress: String?
    ) async throws {
        let stored: String
        do {
            stored = try await PasswordConfirmation(store: store, hasher: hasher, throttle: throttle, policy: policy)
                .confirm(current, of: account, clientAddress: clientAddress)
        } catch let error as PortcullisError where error.kind == .forbidden {
            logger.info("password change refused", metadata: ["portcullis.account_id": "\(account.id)"])
            throw error
        }
        try policy.validate(newPassword, email: account.email)
        let passwordHash = try await hasher.hash(newPassword)
        let applied: AppliedWrites
        do {
            // Only over the password just checked: a reset that committed meanwhile wins.
            applied = try await store.apply(
                [
                    .requireCredential(accountID: account.id, passwordHash: stored),
                    .setPasswordHash(accountID: account.id, hash: passwordHash),
                    .retireOneTimeTokens(accountID: account.id, purpose: .resetPassword),
                    .retireOneTimeTokens(accountID: account.id, purpose: .secondFactor),
                    .retireOneTimeTokens(accountID: account.id, purpose: .secondFactor),
                    try mailer.passwordChangedNotice(for: account),
                    .endAccess(.account(id: account.id, keepingSession: keepingSession)),
                ],
                stamp: revocations.stamp()
            )
        } catch let error as StoreError where error.kind == .changed {
            throw PortcullisError(.forbidden, "The password was changed meanwhile. Nothing was changed now.")
        }
        sessions?.forget(applied)
        logger.info(
            "password changed",
            metadata: ["portcullis.account_id": "\(account.id)", "portcullis.sessions_ended": "\(applied.sessionIDs.count)"]
        )
    }

    // MARK: Email verification

    /// Mails a new verification link to a signed-in account's address (nothing when it is
    /// already verified).
    /// - Throws: ``PortcullisError`` `throttled`.
    public func sendVerification(to account: Account, clientAddress: String?) async throws {
        guard !account.isEmailVerified else { return }
        try await throttle?.reserveMailRequest(clientAddress: clientAddress)
        try await throttle?.reserveMail(.verifyEmail, to: account.email)
        _ = try await store.apply(try mailer.verification(for: account), stamp: revocations.stamp())
    }

    /// Mails a new verification link to `email` for someone who is not signed in (the sign-in page
    /// of an unverified account offers it). Answers like ``requestPasswordReset(email:clientAddress:)``:
    /// the same way, after the same work, whether or not the address has an account.
    public func requestVerification(email rawEmail: String, clientAddress: String?) async throws {
        let email = try EmailAddress.normalize(rawEmail)
        try await throttle?.reserveMailRequest(clientAddress: clientAddress)
        guard try await mayMail(.verifyEmail, to: email) else { return }
        Task { await issue(.verifyEmail, to: email) }
    }

    /// Proves an address with a verification link's token.
    /// - Throws: ``PortcullisError`` `invalidToken`.
    @discardableResult
    public func confirmEmail(token: String) async throws -> Account {
        let (hash, account) = try await usableToken(token, for: .verifyEmail)
        let applied = try await applyUsingToken([
            .useOneTimeToken(hash: hash, purpose: .verifyEmail),
            .changeAccount(id: account.id, AccountChange(emailVerified: true)),
        ])
        sessions?.refresh(accountID: account.id)
        logger.info("email verified", metadata: ["portcullis.account_id": "\(account.id)"])
        return applied.account ?? account
    }

    // MARK: Parts

    /// The token's hash and its account, when the token can be used for `purpose` now and its
    /// account is enabled and still has the address the link went to.
    private func usableToken(_ token: String, for purpose: OneTimeToken.Purpose) async throws -> ([UInt8], Account) {
        guard let hash = AccountMailer.tokenHash(token), let record = try await store.oneTimeToken(hash: hash),
            record.purpose == purpose, record.isUsable(at: clock.now),
            let account = try await store.account(id: record.accountID), !account.isDisabled, account.email == record.email
        else { throw PortcullisError.invalidToken }
        return (hash, account)
    }

    /// Applies writes that use a token: a token used by someone else in the meantime is `invalidToken`.
    private func applyUsingToken(_ writes: [StoreWrite]) async throws -> AppliedWrites {
        do {
            return try await store.apply(writes, stamp: revocations.stamp())
        } catch let error as StoreError where error.kind == .unusable {
            throw PortcullisError.invalidToken
        }
    }

    /// Whether one more mail of `purpose` may go to `email`, counting it if so. A full count is
    /// logged and answered like any other request (see ``requestPasswordReset(email:clientAddress:)``).
    private func mayMail(_ purpose: OneTimeToken.Purpose, to email: String) async throws -> Bool {
        do {
            try await throttle?.reserveMail(purpose, to: email)
            return true
        } catch let error as PortcullisError where error.kind == .throttled {
            logger.notice("link not sent: too many to this address", metadata: ["portcullis.purpose": "\(purpose.rawValue)"])
            return false
        }
    }

    /// Queues a link for `email` if it has an enabled account. Runs after the request has been
    /// answered; failures are logged, never shown.
    private func issue(_ purpose: OneTimeToken.Purpose, to email: String) async {
        do {
            guard let account = try await store.account(email: email), !account.isDisabled else { return }
            if purpose == .verifyEmail, account.isEmailVerified { return }
            let writes = purpose == .resetPassword ? try mailer.reset(for: account) : try mailer.verification(for: account)
            _ = try await store.apply(writes, stamp: revocations.stamp())
        } catch {
            logger.warning(
                "link not issued",
                metadata: ["portcullis.purpose": "\(purpose.rawValue)", "portcullis.error": "\(String(describing: error))"]
            )
        }
    }
}
